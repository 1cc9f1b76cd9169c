// VirtioTests.swift: boots the virtio test unikernels under QEMU, through
// scripts/virtio-run, and checks what they print and how they exit.
//
// The guests that every backend runs are in GuestTests.swift; here is what
// only QEMU has: the plain QEMU command line, the clock against the host's,
// virtio-run itself, and the virtio devices. QEMU runs with TCG here (see
// docs/platform.md). Network tests run inside a network namespace of their
// own.

import Foundation
import Testing
import TestSupport

/// Boots `name` with virtio-run, or announces why it cannot and returns nil.
func bootVirtio(_ name: String, _ args: [String] = [], flags: [String] = [],
                timeout: Int = 60, test: String = #function) -> ProcessResult? {
    Backend.virtio.boot(name, args, flags: flags, timeout: timeout, test: test)
}

@Suite("virtio: test unikernels under QEMU",
       .enabled(if: qemuUnavailable == nil, "needs qemu-system-x86_64"),
       .serialized)
struct VirtioTests {
    /// The plain QEMU command line works too; its status is the raw
    /// isa-debug-exit one: guest status 0 is QEMU status 3 (platform.c).
    @Test func helloWithoutScript() throws {
        let r = run(["/usr/bin/env", "qemu-system-x86_64", "-kernel", virtioImage("hello"),
                     "-append", "plain qemu", "-display", "none", "-nodefaults",
                     "-no-reboot", "-serial", "stdio",
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"], timeout: 60)
        #expect(r.status == 3, "\(r)")
        #expect(r.output.contains(helloWorld4 + "cmdline: plain qemu\n"), "\(r)")
    }

    /// The guest sleeps 1 s by its own clock; seen from here that must be
    /// at least 1 s too, which checks the TSC calibration (the guest alone
    /// cannot tell a wrong frequency: both its clocks run off the TSC). A
    /// clock that runs fast ends early, whatever the load; one that runs
    /// slow is caught only when grossly so, since a loaded host (or QEMU's
    /// boot) delays the end too, and a test gives no verdict on the host's
    /// scheduling. The images are built before the clock starts.
    @Test func time() throws {
        _ = virtioImage("time")
        let start = Date()
        let r = try #require(bootVirtio("time"))
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        #expect(elapsed > 0.95 && elapsed < 10.0, "1 s in the guest took \(elapsed) s")
    }

    // MARK: virtio-run itself

    @Test func timeoutKillsQEMU() throws {
        // 10^11 iterations: minutes under TCG.
        let r = try #require(bootVirtio("spin", ["100000000000"], timeout: 2))
        #expect(r.status == 124, "\(r)")
        #expect(!r.timedOut, "\(r)")
        #expect(r.errorOutput.contains("timed out"), "\(r)")
    }

    @Test func missingImage() throws {
        let r = run([virtioRun, repoPath("build/virtio/nosuch.virtio")], timeout: 30)
        #expect(r.status == 2, "\(r)")
        #expect(r.errorOutput == "virtio-run: no such image: \(repoPath("build/virtio/nosuch.virtio"))\n", "\(r)")
    }

    @Test func missingDisk() throws {
        let r = run([virtioRun, "-d", "/nonexistent/disk.img", virtioImage("blk")], timeout: 30)
        #expect(r.status == 2, "\(r)")
        #expect(r.errorOutput == "virtio-run: no such disk image: /nonexistent/disk.img\n", "\(r)")
    }

    @Test func missingTap() throws {
        let r = run([virtioRun, "-n", "nosuchtap0", virtioImage("net")], timeout: 30)
        #expect(r.status == 2, "\(r)")
        #expect(r.errorOutput.hasPrefix("virtio-run: no such network interface: nosuchtap0"), "\(r)")
        #expect(r.errorOutput.split(separator: "\n").count == 1, "\(r)")
    }

    /// Like a monitor, the kernel refuses to run without the devices its
    /// manifest declares.
    @Test func declaredDeviceMissing() throws {
        let r = try #require(bootVirtio("blk"))
        #expect(r.status == 1, "\(r)")
        #expect(r.output.contains("no virtio-blk device left for 'storage'"), "\(r)")
        #expect(!r.output.contains("SUCCESS"), "\(r)")
    }

    // MARK: Devices

    /// blk's round trips through virtio-blk (the largest request is one
    /// device request); BlkBackendsTests compares the disk with ukvm's.
    @Test func blk() throws {
        let disk = TempFile(size: BlkDisk.size(blockSize: 512))
        let r = try #require(bootVirtio("blk", ["--solo5:debug"], flags: ["-d", disk.path]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("blk: 2051 blocks of 512 bytes"), "\(r)")
        #expect(r.output.contains("block size 512, 1048576 bytes per request"), "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        let data = try disk.contents()
        #expect(data.count == BlkDisk.size(blockSize: 512))
        #expect(BlkDisk.firstBadBlock(data, blockSize: 512) == nil)
    }

    @Test func blkbench() throws {
        let disk = TempFile(size: 1 << 20)
        let r = try #require(bootVirtio("blkbench", flags: ["-d", disk.path]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("blkbench: write 1048576 bytes"), "\(r)")
        #expect(r.output.contains("blkbench: read 1048576 bytes"), "\(r)")
    }
}

/// Network tests: a namespace per test, taps inside it, the guest and ping
/// inside it. The namespace goes away when the test ends, however it ends.
@Suite("virtio: network under QEMU",
       .enabled(if: qemuUnavailable == nil && networkUnavailable == nil,
                "needs qemu-system-x86_64, root, ip and ping"),
       .serialized)
struct VirtioNetTests {
    /// Runs the guest `image` in the background inside `ns` and, once it
    /// serves, `probe` in the foreground; returns both results. The probe
    /// waits for "net: serving": under TCG a boot takes seconds, more while
    /// other suites keep both CPUs busy, and ping gives up at its first
    /// "unreachable", 3 s after its first ARP request went unanswered (this
    /// failed every time beside VirtioTests' spinning guest).
    func withGuest(_ ns: NetNamespace, _ image: String, flags: [String], args: [String],
                   probe: () -> ProcessResult) throws -> (guest: ProcessResult, probe: ProcessResult) {
        let guest = try Background(ns.exec([virtioRun, "-t", "60"] + flags + [virtioImage(image)] + args))
        guard guest.waitFor("net: serving", timeout: 60) else {
            return (guest.wait(timeout: 15),
                    ProcessResult(status: -1, output: "", errorOutput: "not run: the guest never served", timedOut: false))
        }
        let p = probe()
        return (guest.wait(timeout: 75), p)
    }

    @Test func ping() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.0.0.1/24")
        let (guest, ping) = try withGuest(ns, "net", flags: ["-n", "tap0"],
                                            args: ["10.0.0.2", "-n", "5"]) {
            // -w: wait for 5 answers (the guest may still be booting).
            run(ns.exec(["ping", "-c", "5", "-i", "0.2", "-w", "30", "10.0.0.2"]), timeout: 40)
        }
        withExtendedLifetime(ns) {}     // the namespace outlives the guest
        #expect(ping.status == 0, "\(ping)")
        #expect(ping.output.contains("5 received"), "\(ping)")
        #expect(guest.status == 0, "\(guest)")
        #expect(guest.output.contains("Application acquired 'service0' as network device"), "\(guest)")
        #expect(guest.output.contains("net: answered 5 echo requests"), "\(guest)")
    }

    /// A flood ping wraps every ring many times over.
    @Test func floodPing() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.0.0.1/24")
        let (guest, ping) = try withGuest(ns, "net", flags: ["-n", "tap0"],
                                            args: ["10.0.0.2", "-n", "2002"]) {
            let warmup = run(ns.exec(["ping", "-c", "2", "-i", "0.2", "-w", "30", "10.0.0.2"]), timeout: 40)
            guard warmup.status == 0 else { return warmup }
            return run(ns.exec(["ping", "-f", "-c", "2000", "-w", "60", "10.0.0.2"]), timeout: 70)
        }
        withExtendedLifetime(ns) {}
        #expect(ping.status == 0, "\(ping)")
        #expect(ping.output.contains("2000 received"), "\(ping)")
        #expect(guest.status == 0, "\(guest)")
    }

    /// Two NICs: the n-th -n is the n-th NET_BASIC device of the manifest.
    @Test func twoDevices() throws {
        let ns = try NetNamespace()
        try ns.addTap("tap0", address: "10.0.0.1/24")
        try ns.addTap("tap1", address: "10.0.1.1/24")
        let (guest, ping) = try withGuest(ns, "net2", flags: ["-n", "tap0", "-n", "tap1"],
                                            args: ["10.0.0.2", "10.0.1.2", "-n", "4"]) {
            let first = run(ns.exec(["ping", "-c", "2", "-i", "0.2", "-w", "30", "10.0.0.2"]), timeout: 40)
            guard first.status == 0 else { return first }
            return run(ns.exec(["ping", "-c", "2", "-i", "0.2", "-w", "30", "10.0.1.2"]), timeout: 40)
        }
        withExtendedLifetime(ns) {}
        #expect(ping.status == 0, "\(ping)")
        #expect(guest.status == 0, "\(guest)")
        #expect(guest.output.contains("service0: 10.0.0.2"), "\(guest)")
        #expect(guest.output.contains("service1: 10.0.1.2"), "\(guest)")
        #expect(guest.output.contains("net: answered 4 echo requests"), "\(guest)")
    }
}
