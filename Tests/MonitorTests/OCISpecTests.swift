// OCISpecTests.swift: ukvm-oci's reading of config.json, its conventions,
// placeholders, command line and container paths.

import Foundation
import Testing
import TestSupport
@testable import OCI

@Suite struct OCISpecTests {
    static let minimal = #"{"ociVersion":"1.0.2","process":{"args":["/u.ukvm","a"]},"root":{"path":"rootfs"}}"#

    func spec(_ text: String) throws -> RuntimeSpec { try RuntimeSpec.parse(Array(text.utf8)) }

    @Test func minimalSpec() throws {
        let s = try spec(OCISpecTests.minimal)
        #expect(s.args == ["/u.ukvm", "a"])
        #expect(s.rootPath == "rootfs")
        #expect(s.network == .host)
        #expect(s.memoryLimit == nil)
        #expect(try Conventions.memoryMiB(s) == 512)
    }

    @Test func namespacesMemoryMountsAnnotations() throws {
        let s = try spec(#"""
            {"ociVersion":"1.0.2-dev","process":{"args":["/u"],"terminal":false},"root":{"path":"/r"},
             "mounts":[{"destination":"/solo5/block/d","source":"/host/d","type":"bind","options":["rbind"]},
                       {"destination":"/proc","type":"proc","source":"proc"}],
             "annotations":{"org.solo5.net.service0":"eth3"},
             "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/x"}],
                      "resources":{"memory":{"limit":67108864}}}}
            """#)
        #expect(s.network == .path("/var/run/netns/x"))
        #expect(s.memoryLimit == 64 << 20)
        #expect(try Conventions.memoryMiB(s) == 54, "the limit, less the monitor's share (MemoryBudget)")
        #expect(s.mounts.count == 2 && s.mounts[0].isBind && !s.mounts[1].isBind)
        #expect(Conventions.interface("service0", index: 0, spec: s) == "eth3")
        #expect(Conventions.interface("other", index: 1, spec: s) == "eth1")
        #expect(Conventions.blockPath("d", spec: s) == "/solo5/block/d")
    }

    @Test func memoryIsClampedAndRounded() throws {
        var s = try spec(OCISpecTests.minimal)
        s.memoryLimit = 11 << 20 | 12345
        #expect(try Conventions.memoryMiB(s) == 2)
        s.memoryLimit = 64 << 30
        #expect(try Conventions.memoryMiB(s) == 4096)
        s.memoryLimit = 1 << 20
        #expect(throws: OCIError.self) { try Conventions.memoryMiB(s) }
    }

    @Test(arguments: [
        (#"{"process":{"args":["/u"]},"root":{"path":"r"}}"#, "ociVersion is missing"),
        (#"{"ociVersion":"2.0.0","process":{"args":["/u"]},"root":{"path":"r"}}"#, "not supported"),
        (#"{"ociVersion":"1.0.0","process":{"args":[]},"root":{"path":"r"}}"#, "process.args is empty"),
        (#"{"ociVersion":"1.0.0","process":{"args":"/u"},"root":{"path":"r"}}"#, "process.args: expected an array"),
        (#"{"ociVersion":"1.0.0","process":{"args":["/u"]}}"#, "root is missing"),
        (#"{"ociVersion":"1.0.0","process":{"args":["/u"]},"root":{"path":"r"},"linux":{"resources":{"memory":{"limit":"x"}}}}"#,
         "linux.resources.memory.limit: expected an integer"),
        (#"{"ociVersion":"1.0.0","process":{"args":["/u"]},"root":{"path":"r"},"hooks":{"prestart":[{"path":"x"}]}}"#,
         "hooks.prestart[0].path \"x\": must be an absolute path"),
        (#"{"ociVersion":"1.0.0","process":{"args":["/u"]},"root":{"path":"r"},"hooks":{"prestop":[]}}"#,
         "hooks.prestop: unknown hook point"),
        (#"{"ociVersion":"1.0.0","process":{"args":["/u"]},"root":{"path":"r"},"hooks":{"poststop":[{"path":"/x","timeout":0}]}}"#,
         "hooks.poststop[0].timeout 0"),
        (#"{"ociVersion":"1.0.0",}"#, "config.json: unexpected"),
    ])
    func badSpecs(text: String, message: String) {
        do throws(OCIError) {
            _ = try RuntimeSpec.parse(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func placeholders() throws {
        let eth0 = InterfaceFacts(name: "eth0", mac: [2, 0, 0, 0, 0, 0x2a], mtu: 1400, up: true,
                                  ipv4: (0x0a_00_00_05, 24), gateway: 0x0a_00_00_01)
        let table = ["service0": eth0, "eth0": eth0]
        #expect(try Placeholders.fill(["--ip={{service0.cidr}}", "{{eth0.gateway}}", "{{eth0.mac}}/{{eth0.mtu}}",
                                       "{{service0.netmask}}", "plain"], interfaces: table)
            == ["--ip=10.0.0.5/24", "10.0.0.1", "02:00:00:00:00:2a/1400", "255.255.255.0", "plain"])
        #expect(throws: OCIError.self) { try Placeholders.fill(["{{eth1.ip}}"], interfaces: table) }
        #expect(throws: OCIError.self) { try Placeholders.fill(["{{eth0.colour}}"], interfaces: table) }
        #expect(throws: OCIError.self) { try Placeholders.fill(["{{eth0.ip"], interfaces: table) }
        var bare = eth0
        bare.ipv4 = nil
        bare.gateway = nil
        #expect(throws: OCIError.self) { try Placeholders.fill(["{{eth0.ip}}"], interfaces: ["eth0": bare]) }
        #expect(throws: OCIError.self) { try Placeholders.fill(["{{eth0.gateway}}"], interfaces: ["eth0": bare]) }
    }

    @Test func defaultGatewayFromProcRoute() {
        let table = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
            eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """
        #expect(InterfaceFacts.defaultGateway(table, interface: "eth0") == 0x0a_00_00_01)
        #expect(InterfaceFacts.defaultGateway(table, interface: "eth1") == nil)
    }

    @Test func commandLineFlags() throws {
        let set = Commands.named("create")!.flags
        let p = try Invocation.parse(["--bundle", "/b", "--pid-file=/p", "-b", "/c", "--no-pivot", "id1"][...], set)
        #expect(p.values["bundle"] == "/c" && p.values["pid-file"] == "/p")
        #expect(p.switches.contains("no-pivot"))
        #expect(p.arguments == ["id1"])
        #expect(throws: OCIError.self) { try Invocation.parse(["--nope", "x"][...], set) }
        #expect(throws: OCIError.self) { try Invocation.parse(["--bundle"][...], set) }
        let g = try Invocation.parse(["--root", "/r", "--log-format", "json", "--systemd-cgroup", "state", "x"][...],
                                     Commands.global)
        #expect(g.values["root"] == "/r" && g.switches.contains("systemd-cgroup") && g.arguments == ["state", "x"])
    }

    @Test func signalsAndIDs() throws {
        #expect(try SignalNames.parse("SIGTERM") == SIGTERM)
        #expect(try SignalNames.parse("kill") == SIGKILL)
        #expect(try SignalNames.parse("9") == 9)
        #expect(throws: OCIError.self) { try SignalNames.parse("SIGNOPE") }
        #expect(throws: OCIError.self) { try SignalNames.parse("0") }
        for bad in ["", ".", "..", "a/b", "a b", "x\u{0}"] {
            #expect(throws: OCIError.self) { try StateStore.validate(bad) }
        }
        try StateStore.validate("abc-DEF_1.2+3")
    }

    @Test func procStat() {
        let line = Array("123 (a) b) c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10".utf8)
        let s = HostProcess.parseStat(line)
        #expect(s?.state == UInt8(ascii: "S"))
        #expect(s?.startTime == 987654)
    }

    /// Symlinks in a hostile rootfs resolve inside it, never to host files.
    @Test func containerPathsStayInside() throws {
        let dir = try makeTempDirectory("ukvmtest-rootfs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/rootfs/solo5/block", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/host", withIntermediateDirectories: true)
        try "inside".write(toFile: dir + "/rootfs/etc-passwd", atomically: true, encoding: .utf8)
        try "bound".write(toFile: dir + "/host/disk", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir + "/rootfs/solo5/block/abs", withDestinationPath: "/etc-passwd")
        try fm.createSymbolicLink(atPath: dir + "/rootfs/solo5/block/up", withDestinationPath: "../../../../../../etc/hostname")
        let mounts = [RuntimeSpec.Mount(destination: "/mnt/data", source: dir + "/host", type: "bind", options: ["rbind"])]
        let files = ContainerFiles(rootfs: dir + "/rootfs", mounts: mounts)
        func read(_ path: String) throws -> String {
            let fd = try files.open(path, flags: O_RDONLY).fd
            defer { close(fd) }
            return String(decoding: try Files.read(fd: fd, what: path, limit: 100), as: UTF8.self)
        }
        #expect(try read("/solo5/block/abs") == "inside")        // "/" is the rootfs
        #expect(throws: OCIError.self) { try read("/solo5/block/up") }  // no /etc/hostname inside
        #expect(try read("/mnt/data/disk") == "bound")
        #expect(throws: OCIError.self) { try read("relative") }
    }
}
