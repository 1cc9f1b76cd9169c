// ExitStatus.swift: how a run ends, and the exit status each ending gives,
// for each personality (Personality.swift). This is the one place the
// monitor's exit statuses are defined; --help prints the table of the
// personality it runs as, docs/exit-codes.md describes the same codes, and
// a test checks that the two agree.

import Glibc
import KVM

/// How a run of the monitor ended: all its exit status depends on.
enum Outcome: Equatable {
    /// --help or --version: printed, nothing run.
    case printed(Options.Action)
    /// The guest halted with `status` (solo5_exit); `synced` says whether
    /// its block devices were synced afterwards.
    case guestExited(status: Int32, synced: Bool)
    /// A stop signal (SIGTERM, SIGINT, SIGHUP) ended the run; devices synced.
    case stopped(signal: Int32)
    /// gdb's kill ended the run (--gdb); devices synced.
    case killedByDebugger
    /// The monitor failed, or ended a faulting guest; `message` is the one
    /// line it prints (without the program name).
    case failure(FailureClass, message: String)

    /// The line the monitor prints on stderr for this ending, if any.
    func message(as personality: Personality) -> String? {
        switch self {
        case .printed, .guestExited: return nil
        case .stopped(let signo) where personality == .ukvm:
            return "stopped by signal \(signo)"
        case .stopped(let signo):
            // Upstream's tender handles SIGINT and SIGTERM only.
            return signo == SIGHUP ? nil : "Exiting on signal \(signo)"
        case .killedByDebugger: return "killed from the debugger"
        case .failure(_, let message): return message
        }
    }

    /// The line to print with `notes` (e.g. where a core file went) added;
    /// a guest that exited by itself gets a line only when there are notes.
    func message(as personality: Personality, adding notes: [String]) -> String? {
        guard !notes.isEmpty else { return message(as: personality) }
        var head = message(as: personality)
        if case .guestExited(let status, _) = self { head = "guest exited with status \(status)" }
        return ([head ?? ""] + notes).joined(separator: "; ")
    }
}

enum ExitStatus {
    static let success: Int32 = 0
    // ukvm's own statuses.
    /// The monitor could not start: usage, image, devices, KVM set-up.
    static let startFailure: Int32 = 125
    /// The guest did something fatal that the monitor detected.
    static let guestFault: Int32 = 126
    /// A host error at run time, or a guest that exited 0 whose disk writes
    /// could not be synced.
    static let hostError: Int32 = 127
    /// Stopped by signal N: `signalBase + N`.
    static let signalBase: Int32 = 128
    /// Killed from the debugger (gdb's kill): as if by SIGKILL.
    static let debuggerKill: Int32 = signalBase + SIGKILL
    // As solo5-hvt: upstream's tender exits 1 for every error of its own.
    static let tenderError: Int32 = 1

    /// The exit status of a run that ended with `outcome`.
    static func code(for outcome: Outcome, as personality: Personality = .ukvm) -> Int32 {
        switch (outcome, personality) {
        case (.printed(.help), .solo5hvt):
            return tenderError     // upstream's --help is a usage error
        case (.printed, _):
            return success
        case (.guestExited(let status, let synced), _):
            let code = guestStatus(status)
            guard code == success && !synced else { return code }
            return personality == .ukvm ? hostError : tenderError
        case (.stopped(let signo), .ukvm):
            return signalBase + signo
        case (.killedByDebugger, .ukvm):
            return debuggerKill
        case (.failure(let kind, _), .ukvm):
            switch kind {
            case .startup: return startFailure
            case .guestFault: return guestFault
            case .host: return hostError
            }
        case (.stopped, .solo5hvt), (.failure, .solo5hvt), (.killedByDebugger, .solo5hvt):
            return tenderError
        }
    }

    /// The status the sandbox's SIGSYS report exits with when the filter
    /// stopped a system call (Sandbox/ViolationReport.swift): a monitor made
    /// to do what it never does, which in a correct monitor only a guest
    /// exploiting it could cause, so a guest fault; 1 as solo5-hvt.
    static func sandboxStop(as personality: Personality) -> Int32 {
        code(for: .failure(.guestFault, message: ""), as: personality)
    }

    /// Whether the run must end by the signal itself rather than by exit():
    /// as solo5-hvt, SIGHUP, which upstream's tender leaves at its default
    /// action (we sync the disks first).
    static func diesBySignal(_ outcome: Outcome, as personality: Personality) -> Int32? {
        if case .stopped(let signo) = outcome, signo == SIGHUP, personality != .ukvm { return signo }
        return nil
    }

    /// A guest's HALT status as a process exit status: its low 8 bits, what
    /// exit(3) keeps of it anyway (and what upstream's monitor passes on),
    /// so 256 is 0 and -1 is 255.
    static func guestStatus(_ status: Int32) -> Int32 {
        Int32(UInt8(truncatingIfNeeded: status))
    }

    /// Every exit status with its meaning, as --help prints it.
    static func table(_ personality: Personality) -> [(codes: String, meaning: String)] {
        let guest = ("0-255", "the guest's own status (solo5_exit), its low 8 bits: 0 success, "
            + "1 failure, 255 abort or a fault the guest reported")
        switch personality {
        case .ukvm:
            return [
                guest,
                ("\(startFailure)", "the monitor could not start: bad flag, image, device or KVM set-up"),
                ("\(guestFault)", "guest fault seen by the monitor (bad hypercall, triple fault, ...), "
                    + "or a system call the sandbox forbids"),
                ("\(hostError)", "host error while running, or a guest that exited 0 whose disk "
                    + "could not be synced"),
                ("\(signalBase)+N", "stopped by signal N (SIGINT, SIGTERM, SIGHUP), disks synced"),
                ("\(debuggerKill)", "killed from the debugger (--gdb, gdb's kill), as if by SIGKILL; "
                    + "disks synced"),
            ]
        case .solo5hvt:
            return [
                guest,
                ("\(tenderError)", "also every error of the tender's own (flags, image, devices, "
                    + "guest faults, host errors, a system call the sandbox forbids), SIGINT or "
                    + "SIGTERM, and gdb's kill (--gdb), as upstream's solo5-hvt"),
                ("SIGHUP", "the tender dies by the signal, as upstream's does, after syncing the disks"),
            ]
        }
    }
}
