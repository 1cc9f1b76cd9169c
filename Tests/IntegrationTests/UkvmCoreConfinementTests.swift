// UkvmCoreConfinementTests.swift: --dumpcore=DIR lets a subverted monitor
// create files nowhere but in DIR. The probe program (Tests/SandboxProbe)
// does what injected code would: once the sandbox is on, openat on DIR's
// descriptor with the core file's flags (all the filter checks) and a path
// outside DIR: absolute, or climbing out with "..". Landlock refuses it.

import Foundation
import Testing
import TestSupport

@Suite("ukvm --dumpcore: the core file stays in DIR", .serialized,
       .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmCoreConfinementTests {
    func attempt(_ target: (_ cores: String, _ outside: String) -> String) throws {
        let cores = TempDirectory(name: "cores"), outside = TempDirectory(name: "outside")
        let victim = outside.path + "/planted"
        let r = run([testProgramPath("ukvm-sandbox-probe"), "--dumpcore=\(cores.path)", ukvmImage("hello")],
                    environment: ["UKVM_PROBE": "coreescape", "UKVM_PROBE_DIR": cores.path,
                                  "UKVM_PROBE_TARGET": target(cores.path, victim)])
        #expect(r.errorOutput.contains("probe: refused: Permission denied"), "\(r)")
        #expect(!r.errorOutput.contains("the call was made"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: victim), "a file was created outside DIR")
        #expect(outside.files().isEmpty && cores.files().isEmpty, "\(outside.files()) \(cores.files())")
        // The run itself goes on, as a run without the attempt does.
        #expect(r.status == 0 && r.output.contains("hello"), "\(r)")
    }

    @Test func absolutePathOutside() throws {
        try attempt { _, victim in victim }
    }

    @Test func dotDotOutOfTheDirectory() throws {
        // Both directories are in the same temporary directory.
        try attempt { _, victim in
            "../" + URL(fileURLWithPath: victim).deletingLastPathComponent().lastPathComponent + "/planted"
        }
    }

    /// The confinement does not stop the core file itself.
    @Test func coreStillWritten() throws {
        let cores = TempDirectory(name: "cores")
        let r = ukvm(["--mem=8", "--dumpcore=\(cores.path)", ukvmImage("abort")])
        #expect(r.errorOutput.contains("core dumped to \(cores.path)/core.abort."), "\(r)")
        #expect(cores.files().count == 1)
    }
}
