// UkvmCoreDumpTests.swift: --dumpcore: a guest that faults leaves an ELF
// core file, named in the exit message, from which Debian's gdb shows the
// faulting function and the stack; on our images and their CPL-0 variants,
// for a trap, an abort and a fault only the monitor sees.

import Foundation
import Testing
import TestSupport

@Suite("ukvm --dumpcore: core files for gdb", .serialized)
struct UkvmCoreDumpTests {
    /// Runs `test` with --dumpcore into a new directory; returns the run,
    /// the core file's path (the one file there) and gdb's backtrace of it.
    func dump(_ image: String, args: [String] = [], flags: [String] = [], in dir: TempDirectory)
        throws -> (run: ProcessResult, core: String, bt: ProcessResult) {
        let r = ukvm(flags + ["--mem=32", "--dumpcore=\(dir.path)", image] + args, timeout: 60)
        let files = dir.files()
        try #require(files.count == 1, "one core file: \(files) \(r)")
        let core = dir.path + "/" + files[0]
        let bt = run(["/usr/bin/env", "gdb", "-nx", "-batch", "-ex", "bt", image, core], timeout: 60)
        return (r, core, bt)
    }

    /// The exception test faults (ud2, #UD) in solo5_app_main: the core
    /// says SIGILL there, on top of the stack the kernel called it from.
    @Test(arguments: [Backend.ukvm, .ukvmCPL0])
    func exception(on backend: Backend) throws {
        if let reason = kvmUnavailable ?? gdbUnavailable { return announceSkip(reason) }
        let dir = TempDirectory(name: "cores")
        let (r, core, bt) = try dump(backend.image("exception"), in: dir)
        #expect(r.status == 255, "\(r)")
        #expect(r.output.contains("Solo5: trap: type=#UD"), "\(r)")
        #expect(r.errorOutput == "ukvm: guest exited with status 255; core dumped to \(core)\n", "\(r)")
        #expect(URL(fileURLWithPath: core).lastPathComponent.hasPrefix("core.exception"), "\(core)")
        #expect(bt.output.contains("Program terminated with signal SIGILL"), "\(bt)")
        #expect(bt.output.contains("#0  solo5_app_main"), "\(bt)")
        #expect(bt.output.contains("exception.c:9"), "\(bt)")
        #expect(bt.output.contains("in kernel_main") && bt.output.contains("in _start"), "\(bt)")
    }

    /// solo5_abort(): the core stops in it, called from solo5_app_main.
    @Test(arguments: [Backend.ukvm, .ukvmCPL0])
    func abort(on backend: Backend) throws {
        if let reason = kvmUnavailable ?? gdbUnavailable { return announceSkip(reason) }
        let dir = TempDirectory(name: "cores")
        let (r, core, bt) = try dump(backend.image("abort"), in: dir)
        #expect(r.status == 255, "\(r)")
        #expect(r.errorOutput == "ukvm: guest exited with status 255; core dumped to \(core)\n", "\(r)")
        #expect(bt.output.contains("Program terminated with signal SIGABRT"), "\(bt)")
        #expect(bt.output.contains("solo5_abort ()"), "\(bt)")
        #expect(bt.output.contains("in solo5_app_main") && bt.output.contains("abort.c:9"), "\(bt)")
    }

    /// A fault only the monitor sees (a hypercall port that is none): 126,
    /// and the core is where the guest was.
    @Test func monitorSeenFault() throws {
        if let reason = kvmUnavailable ?? gdbUnavailable { return announceSkip(reason) }
        let dir = TempDirectory(name: "cores")
        let disk = TempFile(size: 64 * 512)
        let (r, core, bt) = try dump(ukvmImage("badcalls"), args: ["port"],
                                     flags: ["--block:storage=\(disk.path)"], in: dir)
        #expect(r.status == 126, "\(r)")
        #expect(r.errorOutput.hasPrefix("ukvm: guest fault: invalid port I/O"), "\(r)")
        #expect(r.errorOutput.hasSuffix("; core dumped to \(core)\n"), "\(r)")
        #expect(bt.output.contains("Program terminated with signal SIGSEGV"), "\(bt)")
        #expect(bt.output.contains("hypercall") && bt.output.contains("solo5_app_main"), "\(bt)")
    }

    /// Only faults leave a core; two runs never share a file name; a
    /// directory that cannot be opened stops the monitor before the guest.
    @Test func namingAndChoice() throws {
        if let reason = kvmUnavailable { return announceSkip(reason) }
        let dir = TempDirectory(name: "cores")
        let ok = ukvm(["--dumpcore=\(dir.path)", ukvmImage("hello")])
        #expect(ok.status == 0 && ok.errorOutput.isEmpty && dir.files().isEmpty, "\(ok)")
        let status = ukvm(["--dumpcore=\(dir.path)", ukvmImage("status"), "3"])
        #expect(status.status == 3 && dir.files().isEmpty, "\(status)")
        for _ in 0..<2 { _ = ukvm(["--mem=8", "--dumpcore=\(dir.path)", ukvmImage("abort")]) }
        let cores = dir.files()
        #expect(cores.count == 2 && Set(cores).count == 2, "\(cores)")
        // Sparse: the guest's untouched memory costs no disk.
        var st = stat()
        #expect(stat(dir.path + "/" + cores[0], &st) == 0)
        #expect(st.st_size > 7 << 20 && st.st_blocks * 512 < st.st_size / 2, "size \(st.st_size), blocks \(st.st_blocks)")

        let bad = ukvm(["--dumpcore=/nonexistent/cores", ukvmImage("hello")])
        #expect(bad.status == 125, "\(bad)")
        #expect(bad.errorOutput == "ukvm: --dumpcore=/nonexistent/cores: No such file or directory\n", "\(bad)")
        #expect(!bad.output.contains("Solo5"), "nothing of the guest ran: \(bad)")
    }
}
