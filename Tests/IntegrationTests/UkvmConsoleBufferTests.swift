// UkvmConsoleBufferTests.swift: the console buffer (include/ukvm_ext.h,
// Monitor/Run/ConsoleBuffer.swift). A boot's output costs one exit instead
// of one per write, with the same bytes as without it, in order against
// hypercalls and the monitor's own lines, held at most 50 ms while the guest
// computes, never on a terminal; a hostile length is a guest fault.

import Foundation
import Testing
import TestSupport

/// Why strace or script cannot be used here, if so.
private let toolsUnavailable: String? = {
    for tool in ["/usr/bin/strace", "/usr/bin/script"] where !FileManager.default.isExecutableFile(atPath: tool) {
        return "\(tool) is missing (scripts/setup installs it)"
    }
    return kvmUnavailable
}()

/// A run under strace: its stdout and how many times it entered the guest.
private struct TracedRun {
    let result: ProcessResult
    let kvmRuns: Int
}

/// Runs the monitor with `args` under strace (KVM_RUN calls counted), its
/// stdout a pipe, or a terminal (script's) with `terminal`.
private func traced(_ args: [String], terminal: Bool = false) throws -> TracedRun {
    let dir = try makeTempDirectory("console-buffer")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let log = dir + "/strace"
    let command = (["/usr/bin/strace", "-o", log, "-e", "trace=ioctl", monitorPath] + args).map(quoted)
        .joined(separator: " ")
    let r = terminal ? run(["/usr/bin/script", "-qec", command, "/dev/null"]) : sh(command)
    let calls = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let runs = calls.split(separator: "\n").filter { $0.contains("KVM_RUN") }.count
    return TracedRun(result: r, kvmRuns: runs)
}

@Suite("ukvm: the console buffer", .enabled(if: toolsUnavailable == nil, "\(toolsUnavailable ?? "")"))
struct UkvmConsoleBufferTests {
    /// hello writes 11 times (the boot's messages in one go, its eight
    /// lines, its command line, the exit message): with the buffer the
    /// whole run is one exit (HALT); without, one per write and HALT.
    /// The bytes are the same.
    @Test func helloIsOneExit() throws {
        let buffered = try traced([ukvmImage("hello"), "a", "b"])
        let unbuffered = try traced(["--x-no-console-buffer", ukvmImage("hello"), "a", "b"])
        #expect(buffered.result.status == 0 && unbuffered.result.status == 0, "\(buffered.result) \(unbuffered.result)")
        #expect(buffered.kvmRuns == 1, "\(buffered.result)")
        #expect(unbuffered.kvmRuns == 12, "\(unbuffered.result)")
        #expect(buffered.result.output.contains(helloWorld4 + "cmdline: a b\nSolo5: solo5_exit(0) called\n"))
        #expect(buffered.result.output == unbuffered.result.output)
    }

    /// On a terminal the monitor does not offer the buffer: someone
    /// watching sees each line as the guest writes it.
    @Test func terminalGetsEachWrite() throws {
        let r = try traced([ukvmImage("hello")], terminal: true)
        #expect(r.result.status == 0, "\(r.result)")
        #expect(r.kvmRuns == 12, "\(r.result)")
        #expect(r.result.output.contains("cmdline:"), "\(r.result)")
    }

    /// Output larger than the buffer (bigwrite's 64 KiB goes by PUTS after
    /// the buffered line before it), faults, aborts and exit statuses: the
    /// same stdout, byte for byte, with and without the buffer.
    @Test(arguments: [["bigwrite", "65536"], ["exception"], ["abort"], ["status", "67"], ["time"]])
    func sameOutputAsWithout(_ args: [String]) throws {
        let image = [ukvmImage(args[0])] + args.dropFirst()
        let buffered = ukvm(image), unbuffered = ukvm(["--x-no-console-buffer"] + image)
        #expect(buffered.status == unbuffered.status, "\(buffered) \(unbuffered)")
        if args[0] == "time" {
            // Its figures differ from run to run; the lines do not.
            #expect(buffered.output.contains("SUCCESS") && unbuffered.output.contains("SUCCESS"), "\(buffered)")
        } else {
            #expect(buffered.output == unbuffered.output, "\(buffered)\n\(unbuffered)")
        }
        #expect(!buffered.output.isEmpty)
    }

    /// The guest's text comes out before what the monitor says about the
    /// exit that follows it: here the line before a fatal PUTS, then the
    /// monitor's line about the fault, on one stream.
    @Test func orderAgainstTheMonitorsLines() throws {
        let disk = TempFile(size: 64 * 512)
        let r = sh("\(quoted(monitorPath)) --block:storage=\(disk.path) \(quoted(ukvmImage("badcalls"))) puts 2>&1")
        #expect(r.status == 126, "\(r)")
        let misbehaving = r.output.range(of: "badcalls: now misbehaving\n")
        let fault = r.output.range(of: "ukvm: guest fault:")
        #expect(misbehaving != nil && fault != nil && misbehaving!.upperBound <= fault!.lowerBound, "\(r)")
    }

    /// A guest that prints and then computes makes no exit: the monitor's
    /// alarm ends its run within 50 ms, so its line comes out while it
    /// computes; a stop signal then ends it as usual.
    @Test func textWaitsBoundedWhileTheGuestComputes() throws {
        let guest = try Background(withSignalsUnblocked([monitorPath, ukvmImage("spin"), "1000000000000000"]))
        #expect(guest.waitFor("spin: running at CPL 3\n", timeout: 20), "\(guest.output)")
        #expect(guest.process.isRunning, "\(guest.output)")
        guest.signal(SIGTERM)
        let r = guest.wait(timeout: 20)
        #expect(!r.timedOut && r.status == 143, "\(r)")
        #expect(r.output.hasSuffix("ukvm: stopped by signal 15\n"), "\(r)")
    }

    /// A length beyond the buffer ends the run at the next exit with one
    /// line and the guest-fault status; nothing of the buffer is written.
    @Test func hostileLengthIsAGuestFault() throws {
        let disk = TempFile(size: 64 * 512)
        let r = ukvm(["--block:storage=\(disk.path)", ukvmImage("badcalls"), "console"])
        #expect(r.status == 126, "\(r)")
        #expect(r.errorOutput.hasPrefix("ukvm: guest fault: console buffer: length 4294967295 is beyond "
            + "its 2040 bytes at rip=0x"), "\(r)")
        #expect(r.errorOutput.split(separator: "\n").count == 1, "\(r)")
        #expect(!r.output.contains("FAILURE"), "\(r)")
    }
}
