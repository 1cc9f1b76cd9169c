// UkvmDeviceTests.swift: block and network devices on our monitor, and the
// bad input around them.

import Foundation
import Testing

@Suite("ukvm: block devices", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmBlockTests {
    @Test(arguments: [512, 4096])
    func roundTrip(sectorSize: Int) throws {
        let disk = TempFile(size: 256 * sectorSize)
        let r = ukvm(["--block:storage=\(disk.path)", "--block-sector-size:storage=\(sectorSize)",
                      ukvmImage("blk")])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("blk: 256 blocks of \(sectorSize) bytes"), "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        // What the guest wrote is in the file: block 1, byte 0 of its pattern.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: disk.path))
        #expect(bytes.count == 256 * sectorSize)
        #expect(bytes[sectorSize] == UInt8(truncatingIfNeeded: 1 * 31 + 0 * 7))
        #expect(bytes[sectorSize + 3] == UInt8(truncatingIfNeeded: 1 * 31 + 3 * 7))
    }

    /// The seed's form: `ukvm KERNEL DISK TAP`, /dev/null an empty disk.
    @Test func seedFormEmptyDisk() throws {
        let r = ukvm([ukvmImage("hello"), "/dev/null", "lo", "after"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("Providing disk: 0 sectors @ 512 = 0 bytes"), "\(r)")
        #expect(r.output.contains(helloWorld4 + "cmdline: after\n"), "\(r)")
    }

    /// A guest that bypasses its kernel's checks gets EINVAL; the monitor
    /// survives and the disk still works.
    @Test func hostileArgumentsGetEINVAL() throws {
        let disk = TempFile(size: 64 * 512)
        let r = ukvm(["--block:storage=\(disk.path)", ukvmImage("badcalls"), "einval"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    /// Hypercalls whose own arguments are outside guest memory, or ports
    /// that are no hypercall: the monitor ends the run with one line and 126.
    @Test(arguments: ["puts", "wrap", "struct", "port"])
    func guestFaults(mode: String) throws {
        let disk = TempFile(size: 64 * 512)
        let r = ukvm(["--block:storage=\(disk.path)", ukvmImage("badcalls"), mode])
        #expect(r.status == 126, "\(r)")
        #expect(r.output.contains("badcalls: now misbehaving"), "\(r)")
        #expect(!r.output.contains("FAILURE"), "\(r)")
        #expect(r.errorOutput.contains("ukvm: guest fault:") && r.errorOutput.contains("rip=0x"), "\(r)")
        #expect(r.errorOutput.split(separator: "\n").count == 1, "\(r)")
    }

    /// SIGTERM in the middle of a long run of writes: the monitor stops
    /// with 128 + 15, and what the guest wrote before is in the file, which
    /// keeps its size.
    @Test func sigtermMidWrite() throws {
        let size = 64 << 20  // about 130,000 writes: seconds, at an exit each
        let disk = TempFile(size: size)
        let guest = try Background([monitorPath, "--block:storage=\(disk.path)", ukvmImage("blkbench")])
        #expect(guest.waitFor("Solo5: Application acquired 'storage'"), "\(guest.output)")
        usleep(100_000)
        guest.signal(SIGTERM)
        let r = guest.wait(timeout: 60)  // syncing what was written takes a while
        #expect(r.status == 143, "\(r)")
        #expect(r.output.contains("ukvm: stopped by signal 15"), "\(r)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: disk.path))
        #expect(bytes.count == size)
        #expect(bytes.prefix(512).allSatisfy { $0 == 0xa5 }, "the first block was written")
    }
}

@Suite("ukvm: bad input", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmBadInputTests {
    /// Each bad invocation: exit 125 and one line on stderr naming the problem.
    func expectRefused(_ args: [String], mentioning: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let r = ukvm(args)
        #expect(r.status == 125, "\(r)", sourceLocation: sourceLocation)
        let lines = r.errorOutput.split(separator: "\n")
        #expect(lines.count == 1, "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorOutput.lowercased().contains(mentioning.lowercased()), "\(r)", sourceLocation: sourceLocation)
        #expect(!r.output.contains("Solo5:"), "the guest must not start: \(r)", sourceLocation: sourceLocation)
    }

    @Test func flagsAndImages() throws {
        let garbage = TempFile(size: 4096, name: "garbage")
        expectRefused(["--frobnicate", ukvmImage("hello")], mentioning: "--frobnicate")
        expectRefused(["--mem=lots", ukvmImage("hello")], mentioning: "--mem")
        expectRefused(["--mem=1", ukvmImage("hello")], mentioning: "mem")
        expectRefused(["/nonexistent/image"], mentioning: "/nonexistent/image")
        expectRefused([garbage.path], mentioning: garbage.path)
        expectRefused([virtioImageOrSkip()], mentioning: "ABI")
        expectRefused([], mentioning: "usage")
    }

    @Test func blockDevices() throws {
        let ok = TempFile(size: 8192)
        let odd = TempFile(size: 1000, name: "odd")
        let empty = TempFile(size: 0, name: "empty")
        let readOnly = TempFile(size: 8192, name: "ro")
        chmod(readOnly.path, 0o444)
        expectRefused([ukvmImage("blk")], mentioning: "storage")
        expectRefused(["--block:storage=/nonexistent/disk", ukvmImage("blk")], mentioning: "/nonexistent/disk")
        expectRefused(["--block:storage=\(odd.path)", ukvmImage("blk")], mentioning: "multiple")
        expectRefused(["--block:storage=\(empty.path)", ukvmImage("blk")], mentioning: "empty")
        expectRefused(["--block:storage=\(readOnly.path)", ukvmImage("blk")], mentioning: "read-only")
        expectRefused(["--block:storage=\(ok.path)", "--block-sector-size:storage=1000", ukvmImage("blk")],
                      mentioning: "sector size")
        expectRefused(["--block:storage=\(ok.path)", "--block:other=\(ok.path)", ukvmImage("blk")],
                      mentioning: "other")
        expectRefused(["--block:storage=\(ok.path)", ukvmImage("hello")], mentioning: "storage")
        expectRefused(["--net:storage=lo", ukvmImage("blk")], mentioning: "storage")
        // The disk was not touched by any refused run.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ok.path))
        #expect(bytes == Data(count: 8192))
    }
}

/// The virtio hello image, which carries the virtio ABI note (or the hvt
/// image with its note patched, when virtio images are not built).
func virtioImageOrSkip() -> String {
    let path = virtioImage("hello")
    return FileManager.default.fileExists(atPath: path) ? path : "/nonexistent/virtio-image-not-built"
}

@Suite("ukvm: network devices",
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: networkUnavailable == nil, "needs root, /dev/net/tun, ip and ping"))
struct UkvmNetTests {
    @Test func pingAndFlood() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.66.0.1/24")
        let guest = try Background(ns.exec([monitorPath, "--net:service0=tap0", ukvmImage("net"), "10.66.0.2"]))
        defer { guest.stop() }
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", "10.66.0.2"]), timeout: 30)
        #expect(ping.status == 0, "\(ping)")
        #expect(ping.output.contains("3 received"), "\(ping)")
        let flood = run(ns.exec(["ping", "-f", "-q", "-c", "10000", "-w", "120", "10.66.0.2"]), timeout: 150)
        #expect(flood.status == 0, "\(flood)")
        #expect(flood.output.contains("10000 received, 0% packet loss"), "\(flood)")
    }

    /// The upstream-like image (no CPL3 note, no NETIO): the monitor's base
    /// network path, POLL, NET_READ and NET_WRITE, end to end.
    @Test func pingBaseABI() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.69.0.1/24")
        let guest = try Background(ns.exec([monitorPath, "--net:service0=tap0", ukvmImage("net-cpl0"),
                                            "10.69.0.2"]))
        defer { guest.stop() }
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        let flood = run(ns.exec(["ping", "-f", "-q", "-c", "300", "-w", "60", "10.69.0.2"]), timeout: 90)
        #expect(flood.output.contains("300 received, 0% packet loss"), "\(flood)")
    }

    @Test func twoNICs() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.67.0.1/24")
        try ns.addTap("tap1", address: "10.68.0.1/24")
        let guest = try Background(ns.exec([monitorPath, "--net:service0=tap0", "--net:service1=tap1",
                                            "--net-mac:service1=02:00:00:00:00:42",
                                            ukvmImage("net2"), "10.67.0.2", "10.68.0.2", "-n", "7"]))
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        for address in ["10.67.0.2", "10.68.0.2"] {
            let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", address]), timeout: 30)
            #expect(ping.output.contains("3 received"), "\(ping)")
        }
        // Checked while the guest runs: the tap drops the entry on exit.
        let neigh = sh("ip -n \(ns.name) neigh show 10.68.0.2")
        #expect(neigh.output.contains("02:00:00:00:00:42"), "\(neigh)")
        // The seventh echo ends the guest.
        run(ns.exec(["ping", "-c", "1", "-W", "5", "10.67.0.2"]), timeout: 30)
        let r = guest.wait(timeout: 20)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("net: answered 7 echo requests"), "\(r)")
    }

    @Test func badTaps() throws {
        let ns = try NetNamespace()
        sh("ip -n \(ns.name) tuntap add dev tapdown mode tap")
        for (args, word) in [(["--net:service0=nosuchtap"], "nosuchtap"),
                             (["--net:service0=tapdown"], "down"),
                             (["--net:service0=tapdown", "--net-mac:service0=zz:00:00:00:00:00"], "mac"),
                             ([String](), "service0")] {
            let r = run(ns.exec([monitorPath] + args + [ukvmImage("net"), "10.0.0.2"]))
            #expect(r.status == 125, "\(r)")
            #expect(r.errorOutput.lowercased().contains(word), "\(r)")
        }
        // The monitor did not create the missing tap.
        #expect(sh("ip -n \(ns.name) link show nosuchtap").status != 0)
    }
}
