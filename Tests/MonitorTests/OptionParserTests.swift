// OptionParserTests.swift: flags, their errors, and the original form;
// matching the flags' devices to a manifest (DeviceBinding).

import CKVM
@testable import Image
@testable import Monitor
@testable import Support
import Testing

@Suite struct OptionParserTests {
    /// A parser whose file and interface checks are fakes.
    func parser(files: Set<String> = ["/disk"], interfaces: Set<String> = ["tap0"]) -> OptionParser {
        OptionParser(fileExists: { files.contains($0.description) }, interfaceExists: { interfaces.contains($0) })
    }

    /// The modules of a launch whose inherited fds (@N) all pass for taps.
    func modules() -> Launch {
        let launch = Launch()
        launch.net.inheritTap = { _, _ in Tap.Inherited(name: "tap9", mtu: 1500) }
        return launch
    }

    func parse(_ args: [String]) throws(MonitorError) -> (Options, BlockModule, NetModule) {
        let launch = modules()
        let o = try parser().parse(args.map { Argument($0) }, modules: launch.modules)
        return (o, launch.block, launch.net)
    }

    func error(_ args: [String]) -> MonitorError? {
        do {
            _ = try parse(args)
            return nil
        } catch {
            return error
        }
    }

    @Test func allFlags() throws {
        let (o, block, net) = try parse([
            "--mem=64", "--block:disk=/x.img", "--block-sector-size:disk=4096",
            "--net:net0=tap0", "--net-mac:net0=02:00:00:0a:bB:01", "--net:net1=@3",
            "kernel", "a", "b c", "--mem=1"])
        #expect(o.action == .run)
        #expect(o.kernel == "kernel")
        #expect(o.commandLine == Array("a b c --mem=1".utf8))
        #expect(o.legacy == nil)
        #expect(o.memorySize == 64 << 20)
        #expect(block.paths.map(\.name) == ["disk"] && block.paths.map(\.path) == ["/x.img"])
        #expect(block.sectorSizes == ["disk": 4096])
        #expect(block.requests == [DeviceRequest(name: "disk", type: .blockBasic)])
        #expect(net.targets.map(\.target) == ["tap0", "@3"])
        #expect(net.requests.map(\.name) == ["net0", "net1"])
        #expect(net.macs["net0"] == [2, 0, 0, 0x0a, 0xbb, 1])
    }

    @Test func defaultsAndRounding() throws {
        let (o, _, _) = try parse(["k"])
        #expect(o.kernel == "k" && o.commandLine == [])
        #expect(o.memorySize == 512 << 20)
        #expect(try parse(["--mem=5", "k"]).0.memorySize == 4 << 20)
        #expect(try parse(["--mem=4096", "k"]).0.memorySize == 4 << 30)
    }

    @Test func doubleDashEndsFlags() throws {
        let (o, _, _) = try parse(["--", "--kernel", "--mem=3"])
        #expect(o.kernel == "--kernel")
        #expect(o.commandLine == Array("--mem=3".utf8))
    }

    @Test func helpAndVersion() throws {
        #expect(try parse(["--help"]).0.action == .help)
        #expect(try parse(["-h"]).0.action == .help)
        #expect(try parse(["--version"]).0.action == .version)
        #expect(try parse(["--mem=8", "--version", "--bogus"]).0.action == .version)
        let usage = OptionParser.usage(modules: Launch().modules)
        for flag in ["--mem=", "--block:", "--block-sector-size:", "--net:", "--net-mac:"] {
            #expect(usage.contains(flag))
        }
    }

    @Test func unknownAndMissing() {
        #expect(error(["--bogus", "k"]) == .unknownOption("--bogus"))
        #expect(error(["-x", "k"]) == .unknownOption("-x"))
        #expect(error(["--memory=4", "k"]) == .unknownOption("--memory=4"))
        #expect(error([]) == .missingKernel)
        #expect(error(["--mem=8"]) == .missingKernel)
        #expect(error(["--"]) == .missingKernel)
    }

    @Test func badMemory() {
        #expect(error(["--mem=abc", "k"])
            == .badValue(flag: "--mem", value: "abc", expected: "number of MiB (1 or more)"))
        #expect(error(["--mem=", "k"]) != nil)
        #expect(error(["--mem", "k"]) != nil)
        #expect(error(["--mem=-4", "k"]) != nil)
        #expect(error(["--mem=+4", "k"]) != nil)
        #expect(error(["--mem=0", "k"]) != nil)
        #expect(error(["--mem=4098", "k"]) != nil)
        #expect(error(["--mem=99999999999999999999999", "k"]) != nil)
        #expect(error(["--mem=17592186044416", "k"]) != nil)   // 2^44 MiB: overflows bytes
    }

    /// What upstream's tender accepts: below 2 MiB is 2 MiB, odd sizes are
    /// rounded down, 4097 is 4096; each adjustment is said once.
    @Test func memoryAsUpstream() throws {
        for (mib, size, warned) in [(1, 2, true), (2, 2, false), (3, 2, true), (5, 4, true), (512, 512, false),
                                    (4096, 4096, false), (4097, 4096, true)] as [(Int, UInt64, Bool)] {
            let o = try parse(["--mem=\(mib)", "k"]).0
            #expect(o.memorySize == size << 20, "--mem=\(mib)")
            #expect(o.warnings.count == (warned ? 1 : 0), "--mem=\(mib)")
        }
    }

    /// As with upstream's tender, --help and --version win wherever they
    /// stand among the flags, even after a bad one.
    @Test func helpAndVersionWinAmongFlags() throws {
        #expect(try parse(["--bogus", "--version"]).0.action == .version)
        #expect(try parse(["--mem=zz", "--help", "k"]).0.action == .help)
        #expect(error(["k", "--version"]) == nil)   // after KERNEL: the guest's
        #expect(try parse(["k", "--version"]).0.commandLine == Array("--version".utf8))
    }

    @Test func badMACs() {
        for mac in ["01:00:00:00:00:01", "02:00:00:00:00", "02:00:00:00:00:00:00", "02:00:00:00:00:0g",
                    "2:00:00:00:00:01", "002:00:00:00:00:01", "02-00-00-00-00-01", "", "::::::"] {
            #expect(error(["--net:n=tap0", "--net-mac:n=\(mac)", "k"]) != nil, "\(mac)")
        }
        #expect(MAC.parse("02:00:00:00:00:01") == [2, 0, 0, 0, 0, 1])
        #expect(MAC.parse("fe:ff:ff:ff:ff:ff") == [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(MAC.parse("ff:ff:ff:ff:ff:ff") == nil)
        let random = MAC.random()
        #expect(random?.count == 6)
        #expect((random?[0] ?? 1) & 3 == 2)  // unicast, locally administered
    }

    @Test func badSectorSizes() {
        for size in ["0", "256", "1000", "513", "65536", "131072", "x", "-512"] {
            #expect(error(["--block:d=/x", "--block-sector-size:d=\(size)", "k"]) != nil, "\(size)")
        }
        for size in ["512", "1024", "4096", "32768"] {
            #expect(error(["--block:d=/x", "--block-sector-size:d=\(size)", "k"]) == nil, "\(size)")
        }
    }

    @Test func badDeviceFlags() {
        #expect(error(["--block:disk", "k"]) == .malformedFlag(arg: "--block:disk", form: "--block:NAME=PATH"))
        #expect(error(["--block:disk=", "k"]) != nil)
        #expect(error(["--block:=/x", "k"]) == .badDeviceName(flag: "--block"))
        #expect(error(["--block:\(String(repeating: "n", count: 68))=/x", "k"]) == .badDeviceName(flag: "--block"))
        #expect(error(["--block:\(String(repeating: "n", count: 67))=/x", "k"]) == nil)
        #expect(error(["--block:d=/x", "--block:d=/y", "k"]) == .duplicateDevice(name: "d", flag: "--block"))
        #expect(error(["--net:n=tap0", "--net:n=tap1", "k"]) == .duplicateDevice(name: "n", flag: "--net"))
        #expect(error(["--net:n=@7", "--net:m=@7", "k"])
            == .netDevice(name: "m", iface: "@7", reason: "file descriptor 7 is attached twice"))
        #expect(error(["--net:n=@x", "k"]) != nil)
        #expect(error(["--net:n=@", "k"]) != nil)
        #expect(error(["--net:n=@99999999999", "k"]) != nil)
        #expect(error(["--net:n=a/b", "k"]) != nil)
        #expect(error(["--net:n=0123456789abcdef", "k"]) != nil)  // 16 bytes: too long
        #expect(error(["--net", "k"]) == .unknownOption("--net"))
    }

    /// Paths and the command line keep bytes that are not UTF-8; flags and
    /// device names are text.
    @Test func argumentsKeepTheirBytes() throws {
        let launch = modules()
        let disk = Argument(bytes: Array("--block:d=/d".utf8) + [0xff, 0xfe])
        let kernel = Argument(bytes: [0x6b, 0x80])
        let arg = Argument(bytes: [0x61, 0xc3, 0x28])
        let o = try parser().parse([disk, kernel, arg, "b"], modules: launch.modules)
        #expect(o.kernel.bytes == [0x6b, 0x80])
        #expect(o.commandLine == [0x61, 0xc3, 0x28, 0x20, 0x62])
        #expect(launch.block.paths.first?.path.bytes == Array("/d".utf8) + [0xff, 0xfe])
        #expect(launch.block.paths.first?.path.description == "/d\u{FFFD}\u{FFFD}")
        let badName = Argument(bytes: Array("--block:".utf8) + [0xff] + Array("=/x".utf8))
        #expect(throws: MonitorError.badDeviceName(flag: "--block")) {
            try parser().parse([badName, "k"], modules: Launch().modules)
        }
        let badIface = Argument(bytes: Array("--net:n=tap".utf8) + [0xff])
        #expect(throws: MonitorError.self) { try parser().parse([badIface, "k"], modules: Launch().modules) }
        #expect(Argument(bytes: [0x61, 0, 0x62]).withPath { _ in 1 } == nil)
        #expect(Argument("/x").withPath { String(cString: $0) } == "/x")
    }

    @Test func commandLineLength() {
        let ok = String(repeating: "a", count: 8189)
        #expect(error(["k", ok, "b"]) == nil)                  // 8191 bytes
        #expect(error(["k", ok, "bc"]) == .commandLineTooLong(8192))
    }

    @Test func legacyForm() throws {
        let launch = Launch()
        let o = try parser().parse(["--mem=32", "k", "/disk", "tap0", "x", "y"], modules: launch.modules)
        #expect(o.legacy == LegacyForm(disk: "/disk", tap: "tap0"))
        #expect(o.commandLine == Array("x y".utf8))
        #expect(launch.block.requests.isEmpty)
    }

    @Test func legacyFormNeedsBothAndNoDeviceFlags() throws {
        func legacy(_ args: [Argument]) throws -> Options {
            try parser().parse(args, modules: Launch().modules)
        }
        var o = try legacy(["k", "/disk", "tap1"])
        #expect(o.legacy == nil && o.commandLine == Array("/disk tap1".utf8))
        #expect(try legacy(["k", "/nodisk", "tap0"]).legacy == nil)
        #expect(try legacy(["k", "/disk"]).legacy == nil)
        #expect(try legacy(["k", "tap0", "/disk"]).legacy == nil)
        o = try legacy(["--block:d=/disk", "k", "/disk", "tap0"])
        #expect(o.legacy == nil && o.commandLine == Array("/disk tap0".utf8))
        #expect(try legacy(["--net:n=tap0", "k", "/disk", "tap0"]).legacy == nil)
    }

    /// The original form is the ordinary flags for the image's first block
    /// and network devices, and a warning for what the image lacks.
    @Test func legacyFormRewrite() {
        let form = LegacyForm(disk: "/disk", tap: "tap0")
        let both = form.flags(for: .declaring([("a", .netBasic), ("b", .blockBasic), ("c", .blockBasic)]))
        #expect(both.flags == ["--block:b=/disk", "--net:a=tap0"] && both.warnings.isEmpty)
        let none = form.flags(for: .empty)
        #expect(none.flags.isEmpty && none.warnings.count == 2)
        #expect(none.warnings[0].contains("DISK '/disk' is not attached"))
        #expect(none.warnings[1].contains("ignoring TAP 'tap0'"))
    }

    @Test func interfaceNames() {
        #expect(NetInterface.isValidName("tap0"))
        #expect(NetInterface.isValidName("012345678901234"))
        #expect(!NetInterface.isValidName("0123456789012345"))
        #expect(!NetInterface.isValidName(""))
        #expect(!NetInterface.isValidName(".."))
        #expect(!NetInterface.isValidName("a/b"))
        #expect(!NetInterface.exists("../../../etc"))
        #expect(NetInterface.exists("lo"))
    }
}

@Suite struct DeviceBindingTests {
    let manifest = Manifest(entries: [Manifest.Entry(name: "", type: .reservedFirst),
                                      Manifest.Entry(name: "disk", type: .blockBasic),
                                      Manifest.Entry(name: "net0", type: .netBasic)])

    func bind(_ args: [String]) -> MonitorError? {
        let launch = Launch()
        do throws(MonitorError) {
            _ = try OptionParser(fileExists: { _ in false }, interfaceExists: { _ in false })
                .parse((args + ["k"]).map { Argument($0) }, modules: launch.modules)
            _ = try DeviceBinding.resolve(launch.modules, in: manifest)
            return nil
        } catch {
            return error
        }
    }

    /// Each device is looked up once and handed to the module that asked.
    @Test func handlesGoToTheirModules() throws {
        let launch = Launch()
        _ = try parser.parse(["--net:net0=tap0", "--block:disk=/x", "k"], modules: launch.modules)
        let bound = try DeviceBinding.resolve(launch.modules, in: manifest)
        #expect(bound.map(\.handle) == [1, 2])
        #expect(bound[0].module === launch.block && bound[1].module === launch.net)
    }

    let parser = OptionParser(fileExists: { _ in false }, interfaceExists: { _ in false })

    @Test func allAttached() {
        #expect(bind(["--block:disk=/x", "--net:net0=tap0"]) == nil)
        #expect(bind(["--block:disk=/x", "--net:net0=tap0", "--net-mac:net0=02:00:00:00:00:01",
                      "--block-sector-size:disk=4096"]) == nil)
    }

    @Test func declaredButNotAttached() {
        #expect(bind(["--net:net0=tap0"]) == .deviceNotAttached(name: "disk", flag: "--block:disk=PATH"))
        #expect(bind(["--block:disk=/x"]) == .deviceNotAttached(name: "net0", flag: "--net:net0=TAP"))
        #expect(MonitorError.deviceNotAttached(name: "disk", flag: "--block:disk=PATH").description
            == "device 'disk' declared in the manifest is not attached; use --block:disk=PATH")
    }

    @Test func attachedButNotDeclared() {
        #expect(bind(["--block:disk=/x", "--net:net0=tap0", "--block:more=/y"]) == .deviceNotDeclared(name: "more"))
        #expect(bind(["--block:disk=/x", "--net:net0=tap0", "--net:n2=tap1"]) == .deviceNotDeclared(name: "n2"))
    }

    @Test func wrongType() {
        #expect(bind(["--block:net0=/x", "--net:disk=tap0"])
            == .deviceWrongType(name: "net0", declared: "network", given: "block"))
    }

    @Test func optionsForUnattachedDevices() {
        #expect(bind(["--block:disk=/x", "--net:net0=tap0", "--block-sector-size:net0=512"]) != nil)
        #expect(bind(["--block:disk=/x", "--net:net0=tap0", "--net-mac:disk=02:00:00:00:00:01"]) != nil)
    }
}

/// --gdb, --gdb-port and --dumpcore (DebugModule).
@Suite struct DebugFlagTests {
    func module(_ flags: [String]) throws(MonitorError) -> DebugModule {
        let launch = Launch()
        var options = Options()
        for f in flags { try launch.parser.apply(Argument(f), to: &options, modules: launch.modules) }
        return launch.debug
    }

    @Test func flags() throws {
        #expect(try module([]).gdbPort == nil)
        #expect(try module([]).hostFeatures == 0)
        #expect(try module(["--gdb"]).gdbPort == DebugModule.defaultPort)
        #expect(try module(["--gdb"]).hostFeatures == UInt32(UKVM_HOST_FEATURE_DEBUG))
        #expect(try module(["--gdb=0"]).gdbPort == 0)
        #expect(try module(["--gdb=65535"]).gdbPort == 65535)
        // Upstream's form: the port applies with --gdb, in either order.
        #expect(try module(["--gdb-port=4321"]).gdbPort == nil)
        #expect(try module(["--gdb-port=4321", "--gdb"]).gdbPort == 4321)
        #expect(try module(["--gdb", "--gdb-port=4321"]).gdbPort == 4321)
        #expect(try module(["--dumpcore=/tmp"]).dumpDirectory == Argument("/tmp"))
        #expect(try module(["--dumpcore=/tmp"]).hostFeatures == 0)
    }

    @Test func badValues() {
        for bad in ["--gdb=65536", "--gdb=-1", "--gdb=", "--gdb=12a", "--gdb-port=x", "--dumpcore", "--dumpcore="] {
            #expect(throws: MonitorError.self, "\(bad)") { try module([bad]) }
        }
    }

    @Test func usage() {
        let text = OptionParser.usage(modules: Launch().modules)
        #expect(text.contains("--gdb[=PORT]") && text.contains("--dumpcore=DIR") && text.contains("1234"))
    }
}
