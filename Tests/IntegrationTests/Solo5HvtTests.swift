// Solo5HvtTests.swift: the monitor invoked as solo5-hvt behaves as
// upstream's tender does for everything a driver can observe
// (docs/compatibility.md): --version, --help, exit statuses, messages.

import Foundation
import Testing
import TestSupport

/// build/bin/solo5-hvt, the link `make` puts beside ukvm.
var solo5hvt: String { binPath("solo5-hvt") }

@Suite("ukvm as solo5-hvt", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct Solo5HvtTests {
    @Test func version() {
        let r = run([solo5hvt, "--version"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.isEmpty, "\(r)")
        #expect(r.errorOutput == "solo5-hvt tender, version v0.12.1 (ukvm 0.2.0)\nABI version 2\n", "\(r)")
    }

    /// albatross looks for solo5-hvt.2 (the tender for ABI version 2) and
    /// reads "ABI version N" from --version.
    @Test func versionUnderAnotherName() throws {
        let dir = NSTemporaryDirectory() + "ukvmtest-name-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/solo5-hvt.2", withDestinationPath: monitorPath)
        let r = run([dir + "/solo5-hvt.2", "--version"])
        #expect(r.status == 0, "\(r)")
        #expect(r.errorOutput.hasPrefix("solo5-hvt.2 tender, version "), "\(r)")
        #expect(r.errorOutput.split(separator: "\n").contains("ABI version 2"), "\(r)")
    }

    @Test func helpIsAUsageError() {
        let r = run([solo5hvt, "--help"])
        #expect(r.status == 1, "\(r)")
        #expect(r.output.isEmpty && r.errorOutput.hasPrefix("usage: solo5-hvt "), "\(r)")
    }

    /// Every error of the tender's own is 1, with one line naming it.
    @Test func tenderErrorsAreOne() {
        let disk = TempFile(size: 4096)
        for (args, word) in [(["--bogus", ukvmImage("hello")], "--bogus"),
                             ([String](), "KERNEL"),
                             (["/nonexistent/image.hvt"], "/nonexistent/image.hvt"),
                             ([ukvmImage("blk")], "storage"),
                             (["--block:storage=/nonexistent", ukvmImage("blk")], "/nonexistent"),
                             (["--mem=0", ukvmImage("hello")], "--mem"),
                             (["--block:storage=\(disk.path)", ukvmImage("badcalls"), "port"], "guest fault")] {
            let r = run([solo5hvt] + args)
            #expect(r.status == 1, "\(args): \(r)")
            let lines = r.errorOutput.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("solo5-hvt: ") && lines[0].contains(word), "\(args): \(r)")
        }
    }

    /// The guest's status passes through, its low 8 bits.
    @Test(arguments: [(0, 0), (1, 1), (67, 67), (125, 125), (126, 126), (255, 255), (300, 44), (256, 0)])
    func guestStatus(status: Int, expected: Int32) {
        let r = run([solo5hvt, ukvmImage("status"), String(status)])
        #expect(r.status == expected, "\(r)")
        #expect(r.errorOutput.isEmpty, "\(r)")
    }

    /// The upstream form's words after KERNEL are always the guest's: no
    /// `KERNEL DISK TAP` rewriting under this name.
    @Test func noOriginalForm() {
        let r = run([solo5hvt, ukvmImage("hello"), "/dev/null", "lo"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("cmdline: /dev/null lo\n"), "\(r)")
        #expect(!r.output.contains("Providing disk"), "\(r)")
    }

    /// SIGTERM and SIGINT: 1 and upstream's line.
    @Test(arguments: [SIGTERM, SIGINT])
    func stopSignal(signo: Int32) throws {
        let guest = try Background([solo5hvt, ukvmImage("spin"), "1000000000000"])
        #expect(guest.waitFor("spin: running at CPL 3"), "\(guest.output)")
        guest.signal(signo)
        let r = guest.wait(timeout: 30)
        #expect(r.killedBy == nil && r.status == 1, "\(r)")
        #expect(r.output.contains("solo5-hvt: Exiting on signal \(signo)\n"), "\(r)")
    }

    /// SIGHUP: upstream's tender leaves it at its default action, so a
    /// driver sees the tender killed by it; ours syncs the disks first.
    @Test func sighupKills() throws {
        let guest = try Background([solo5hvt, ukvmImage("spin"), "1000000000000"])
        #expect(guest.waitFor("spin: running at CPL 3"), "\(guest.output)")
        guest.signal(SIGHUP)
        let r = guest.wait(timeout: 30)
        #expect(r.killedBy == SIGHUP, "\(r)")
    }
}
