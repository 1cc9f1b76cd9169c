// DriverTests.swift: our solo5-hvt link driven the way the tools that run
// Solo5 unikernels today drive upstream's tender, each inside network
// namespaces the test makes and deletes:
//   - albatross (robur-coop/albatross): checks `--version` for "ABI version
//     N", starts the tender under `taskset` with --mem in MB, the taps it
//     created on a bridge named like the manifest's device, --net-mac
//     always, the block files it created, `--` and the guest's arguments;
//     stdin, stdout and stderr are one write-only fd on a FIFO its console
//     daemon reads; it stops the guest with SIGTERM and reads exit 1 as a
//     failure not to restart.
//   - urunc (a containerd runtime for unikernels): execs the tender in the
//     container's place with --mem in decimal MB, --net:NAME=TAP,
//     --net-mac, --block:storage=PATH, `--`, the image and its command
//     line; the exit status is the container's, uninterpreted; it stops the
//     guest with SIGKILL.

import Foundation
import Testing
import TestSupport

@Suite("Drivers of solo5-hvt", .serialized,
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"),
       .enabled(if: networkUnavailable == nil, "needs root, /dev/net/tun, ip and ping"))
struct DriverTests {
    /// A FIFO and a reader collecting what comes through it, as albatross's
    /// console daemon does.
    final class Console: @unchecked Sendable {
        let path = NSTemporaryDirectory() + "ukvmtest-console-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        private let lock = NSLock()
        private var data = Data()
        private let fd: Int32

        init() throws {
            guard mkfifo(path, 0o600) == 0 else { throw SetupError("mkfifo \(path)") }
            fd = open(path, O_RDONLY | O_NONBLOCK)
            guard fd >= 0 else { throw SetupError("open \(path)") }
            Thread.detachNewThread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { lock.withLock { data.append(contentsOf: buffer.prefix(n)) } }
                    else if n < 0 && errno != EAGAIN { break }
                    else { usleep(2_000) }
                }
            }
        }

        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

        func waitFor(_ s: String, timeout: Double = 20) -> Bool {
            let end = Date().addingTimeInterval(timeout)
            while Date() < end { if text.contains(s) { return true }; usleep(10_000) }
            return text.contains(s)
        }

        deinit { unlink(path) }
    }

    @Test func albatross() throws {
        // albatross refuses a tender whose --version has no matching line.
        let version = run([solo5hvt, "--version"])
        #expect(version.errorOutput.split(separator: "\n").contains("ABI version 2"), "\(version)")

        let ns = try NetNamespace()
        let setup = sh("""
            ip -n \(ns.name) link add service0 type bridge && \
            ip -n \(ns.name) addr add 10.71.0.1/24 dev service0 && \
            ip -n \(ns.name) link set service0 up && \
            ip -n \(ns.name) tuntap add vmmtap0 mode tap && \
            ip -n \(ns.name) link set vmmtap0 master service0 && \
            ip -n \(ns.name) link set vmmtap0 up
            """)
        #expect(setup.status == 0, "\(setup)")
        let console = try Console()
        let tender = "\(solo5hvt) --mem=64 --net:service0=vmmtap0 --net-mac:service0=02:a1:b2:c3:d4:e5 " +
            "-- \(ukvmImage("net")) 10.71.0.2"
        let guest = try Background(withSignalsUnblocked(ns.exec(["/bin/sh", "-c",
            "exec 3>>\(console.path); exec taskset -c 0 \(tender) <&3 >&3 2>&3"])))
        #expect(console.waitFor("net: serving"), "\(console.text)")
        let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", "10.71.0.2"]), timeout: 30)
        #expect(ping.output.contains("3 received"), "\(ping)")
        let neigh = sh("ip -n \(ns.name) neigh show 10.71.0.2")
        #expect(neigh.output.contains("02:a1:b2:c3:d4:e5"), "\(neigh)")
        guest.signal(SIGTERM)
        let r = guest.wait(timeout: 30)
        #expect(r.killedBy == nil && r.status == 1, "albatross reads 1 as 'do not restart': \(r)")
        #expect(console.waitFor("solo5-hvt: Exiting on signal 15"), "\(console.text)")
    }

    /// albatross with a block device it created: the guest's writes are in
    /// the file, and the guest's own status is the exit status.
    @Test func albatrossBlock() throws {
        let disk = TempFile(size: 1 << 20)
        let console = try Console()
        let tender = "\(solo5hvt) --mem=64 --block:storage=\(disk.path) --block-sector-size:storage=4096 " +
            "-- \(ukvmImage("blk"))"
        let guest = try Background(withSignalsUnblocked(["/bin/sh", "-c",
            "exec 3>>\(console.path); exec taskset -c 0 \(tender) <&3 >&3 2>&3"]))
        let r = guest.wait(timeout: 60)
        #expect(r.status == 0, "\(r)\n\(console.text)")
        #expect(console.waitFor("SUCCESS"), "\(console.text)")
        #expect(try disk.contents().contains { $0 != 0 }, "the guest's writes reached the file")
    }

    @Test func urunc() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0_urunc", address: "10.72.0.1/24")
        let memory = String(268_435_456 / 1_000_000)   // bytes / 10^6: 268
        let guest = try Background(ns.exec([solo5hvt, "--mem=\(memory)", "--net:service0=tap0_urunc",
                                            "--net-mac:service0=02:00:00:00:72:02", "--", ukvmImage("net"),
                                            "10.72.0.2"]))
        #expect(guest.waitFor("net: serving"), "\(guest.output)")
        let ping = run(ns.exec(["ping", "-c", "3", "-W", "5", "10.72.0.2"]), timeout: 30)
        #expect(ping.output.contains("3 received"), "\(ping)")
        guest.signal(SIGKILL)
        let r = guest.wait(timeout: 10)
        #expect(r.killedBy == SIGKILL, "\(r)")
        // The container's exit status is the guest's, uninterpreted.
        let status = run([solo5hvt, "--mem=256", "--", ukvmImage("status"), "7"])
        #expect(status.status == 7, "\(status)")
    }
}
