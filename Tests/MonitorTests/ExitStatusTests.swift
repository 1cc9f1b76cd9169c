// ExitStatusTests.swift: every way a run ends, and the exit status it
// gives; and docs/exit-codes.md saying the same as the code.

import CSys
import Foundation
@testable import Monitor
import TestSupport
import Testing

@Suite struct ExitStatusTests {
    @Test func guestStatusPassesThrough() {
        for status: Int32 in [0, 1, 7, 67, 125, 126, 127, 128, 200, 255] {
            #expect(ExitStatus.code(for: .guestExited(status: status, synced: true)) == status)
        }
    }

    /// exit(3) keeps the low 8 bits; the mapping says so itself, so that the
    /// failed-sync rule below sees the same value the shell will.
    @Test func guestStatusIsItsLowByte() {
        #expect(ExitStatus.code(for: .guestExited(status: 256, synced: true)) == 0)
        #expect(ExitStatus.code(for: .guestExited(status: 257, synced: true)) == 1)
        #expect(ExitStatus.code(for: .guestExited(status: -1, synced: true)) == 255)
        #expect(ExitStatus.code(for: .guestExited(status: Int32.min, synced: true)) == 0)
    }

    /// A guest that says it succeeded whose writes did not reach the disk
    /// did not succeed; a guest that failed keeps its own status.
    @Test func failedSync() {
        #expect(ExitStatus.code(for: .guestExited(status: 0, synced: false)) == 127)
        #expect(ExitStatus.code(for: .guestExited(status: 256, synced: false)) == 127)
        #expect(ExitStatus.code(for: .guestExited(status: 3, synced: false)) == 3)
    }

    @Test func monitorEndings() {
        #expect(ExitStatus.code(for: .printed(.help)) == 0)
        #expect(ExitStatus.code(for: .printed(.version)) == 0)
        #expect(ExitStatus.code(for: .failure(.startup, message: "x")) == 125)
        #expect(ExitStatus.code(for: .failure(.guestFault, message: "x")) == 126)
        #expect(ExitStatus.code(for: .failure(.host, message: "x")) == 127)
        #expect(ExitStatus.code(for: .stopped(signal: SIGTERM)) == 143)
        #expect(ExitStatus.code(for: .stopped(signal: SIGINT)) == 130)
        #expect(ExitStatus.code(for: .stopped(signal: SIGHUP)) == 129)
        #expect(ExitStatus.code(for: .killedByDebugger) == 137)
        #expect(ExitStatus.code(for: .killedByDebugger, as: .solo5hvt(name: "solo5-hvt")) == 1)
    }

    /// What a module adds (a core file's path) joins the one line; a guest
    /// that exited by itself then gets a line saying how.
    @Test func notes() {
        let core = "core dumped to /d/core.x.1.2"
        #expect(Outcome.guestExited(status: 255, synced: true).message(as: .ukvm, adding: [core])
            == "guest exited with status 255; core dumped to /d/core.x.1.2")
        #expect(Outcome.guestExited(status: 0, synced: true).message(as: .ukvm, adding: []) == nil)
        #expect(Outcome.failure(.guestFault, message: "guest fault: x at rip=0x1").message(as: .ukvm, adding: [core])
            == "guest fault: x at rip=0x1; core dumped to /d/core.x.1.2")
        #expect(Outcome.killedByDebugger.message(as: .ukvm) == "killed from the debugger")
    }

    /// Errors land in the class their documentation gives them.
    @Test func errorClasses() {
        #expect(MonitorError.unknownOption("-x").failureClass == .startup)
        #expect(MonitorError.blockDevice(name: "d", path: "/p", reason: "r").failureClass == .startup)
        #expect(MonitorError.setup("x").failureClass == .startup)
        #expect(MonitorError.guestAccess(gpa: 0, size: 1).failureClass == .guestFault)
        #expect(MonitorError.guestFault("x").failureClass == .guestFault)
        #expect(MonitorError.hostIO("x").failureClass == .host)
    }

    @Test func messages() {
        #expect(Outcome.printed(.version).message(as: .ukvm) == nil)
        #expect(Outcome.guestExited(status: 0, synced: false).message(as: .ukvm) == nil)
        #expect(Outcome.stopped(signal: 15).message(as: .ukvm) == "stopped by signal 15")
        #expect(Outcome.failure(.startup, message: "bad").message(as: .ukvm) == "bad")
    }

    /// As solo5-hvt: what upstream's tender does. 1 for all its own
    /// errors and for SIGINT/SIGTERM, --help is a usage error, the guest's
    /// status passes through.
    @Test func asSolo5hvt() {
        let hvt = Personality.solo5hvt(name: "solo5-hvt")
        #expect(ExitStatus.code(for: .printed(.help), as: hvt) == 1)
        #expect(ExitStatus.code(for: .printed(.version), as: hvt) == 0)
        for status: Int32 in [0, 1, 125, 126, 200, 255, 300] {
            #expect(ExitStatus.code(for: .guestExited(status: status, synced: true), as: hvt) == status & 0xff)
        }
        #expect(ExitStatus.code(for: .guestExited(status: 0, synced: false), as: hvt) == 1)
        for kind in [FailureClass.startup, .guestFault, .host] {
            #expect(ExitStatus.code(for: .failure(kind, message: "x"), as: hvt) == 1)
        }
        #expect(ExitStatus.code(for: .stopped(signal: SIGTERM), as: hvt) == 1)
        #expect(ExitStatus.code(for: .stopped(signal: SIGINT), as: hvt) == 1)
        #expect(Outcome.stopped(signal: SIGTERM).message(as: hvt) == "Exiting on signal 15")
        #expect(Outcome.stopped(signal: SIGHUP).message(as: hvt) == nil)
        #expect(ExitStatus.diesBySignal(.stopped(signal: SIGHUP), as: hvt) == SIGHUP)
        #expect(ExitStatus.diesBySignal(.stopped(signal: SIGTERM), as: hvt) == nil)
        #expect(ExitStatus.diesBySignal(.stopped(signal: SIGHUP), as: .ukvm) == nil)
    }

    @Test func personalityFromProgramName() {
        #expect(Personality(argv0: "/x/build/bin/ukvm") == .ukvm)
        #expect(Personality(argv0: "ukvm") == .ukvm)
        #expect(Personality(argv0: "/usr/bin/solo5-hvt") == .solo5hvt(name: "solo5-hvt"))
        #expect(Personality(argv0: "solo5-hvt.2") == .solo5hvt(name: "solo5-hvt.2"))
        #expect(Personality(argv0: "") == .ukvm)
    }

    /// docs/exit-codes.md has a row for every status the code defines, and
    /// --help prints them all.
    @Test func documentedOnce() throws {
        let doc = try String(contentsOfFile: repoPath("docs/exit-codes.md"), encoding: .utf8)
        for personality in [Personality.ukvm, .solo5hvt(name: "solo5-hvt")] {
            let usage = OptionParser.usage(modules: Launch().modules, as: personality)
            for row in ExitStatus.table(personality) {
                #expect(doc.contains("| \(row.codes) |"), "docs/exit-codes.md lacks \(row.codes)")
                #expect(usage.contains(row.codes))
            }
        }
    }
}
