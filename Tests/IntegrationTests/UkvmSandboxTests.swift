// UkvmSandboxTests.swift: the sandbox of a real run: what /proc says while
// a guest runs, a forbidden call stopped (the probe program, built for the
// tests only, makes one as soon as the sandbox is on), and --x-no-sandbox.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: sandbox", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmSandboxTests {
    /// /proc/PID/status of a running monitor, as "Key" -> "value".
    func status(of pid: Int32) throws -> [String: String] {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    /// While a guest runs: the filter on, no new privileges, no capability
    /// in any set that grants one (the bounding set is left: Sandbox.swift);
    /// and a stop signal still stops it cleanly.
    @Test func whileAGuestRuns() throws {
        let guest = try Background([monitorPath, ukvmImage("yield"), "20000", "1"])
        defer { guest.stop() }
        #expect(guest.waitFor("yield: 1 sleeps"), "\(guest.output)")
        let s = try status(of: guest.process.processIdentifier)
        #expect(s["Seccomp"] == "2" && s["Seccomp_filters"] == "1", "\(s)")
        #expect(s["NoNewPrivs"] == "1", "\(s)")
        for set in ["CapEff", "CapPrm", "CapInh", "CapAmb"] {
            #expect(s[set] == "0000000000000000", "\(set): \(s)")
        }
        guest.signal(SIGTERM)
        let r = guest.wait(timeout: 20)
        #expect(r.status == 143 && r.output.contains("ukvm: stopped by signal 15"), "\(r)")
    }

    @Test func offWhenAskedFor() throws {
        let guest = try Background([monitorPath, "--x-no-sandbox", ukvmImage("yield"), "20000", "1"])
        defer { guest.stop() }
        #expect(guest.waitFor("yield: 1 sleeps"), "\(guest.output)")
        let s = try status(of: guest.process.processIdentifier)
        #expect(s["Seccomp"] == "0" && s["NoNewPrivs"] == "0", "\(s)")
        if getuid() == 0 { #expect(s["CapEff"] != "0000000000000000", "\(s)") }
    }

    /// A call outside the filter, made by the monitor itself once the
    /// sandbox is on: stopped, one line naming it, 126; the guest never runs.
    @Test(arguments: [("open", "forbidden system call openat (257)"),
                      ("write", "forbidden arguments to system call write (1)"),
                      ("ioctl", "forbidden arguments to system call ioctl (16)"),
                      ("mmap", "forbidden arguments to system call mmap (9)")])
    func forbiddenCallIsStopped(probe: String, line: String) throws {
        let r = run([testProgramPath("ukvm-sandbox-probe"), ukvmImage("hello")], environment: ["UKVM_PROBE": probe])
        #expect(r.status == 126, "\(r)")
        #expect(r.errorOutput == "ukvm: sandbox: \(line)\n", "\(r)")
        #expect(!r.output.contains("Solo5"), "the guest must not run: \(r)")
    }

    /// As solo5-hvt: the name it was invoked by, and upstream's status 1.
    @Test func forbiddenCallAsSolo5hvt() throws {
        let dir = TempDirectory(name: "probe")
        let link = dir.path + "/solo5-hvt"
        #expect(symlink(testProgramPath("ukvm-sandbox-probe"), link) == 0)
        let r = run([link, ukvmImage("hello")], environment: ["UKVM_PROBE": "open"])
        #expect(r.status == 1, "\(r)")
        #expect(r.errorOutput == "solo5-hvt: sandbox: forbidden system call openat (257)\n", "\(r)")
    }

    /// The probe is the monitor: without a forbidden call, or without the
    /// sandbox, its runs are ordinary runs.
    @Test func probeWithoutACall() throws {
        let plain = run([testProgramPath("ukvm-sandbox-probe"), ukvmImage("hello")], environment: ["UKVM_PROBE": "none"])
        #expect(plain.status == 0 && plain.output.contains("hello\n"), "\(plain)")
        let off = run([testProgramPath("ukvm-sandbox-probe"), "--x-no-sandbox", ukvmImage("hello")],
                      environment: ["UKVM_PROBE": "open"])
        #expect(off.status == 0 && off.errorOutput == "probe: the call was made\n", "\(off)")
    }
}
