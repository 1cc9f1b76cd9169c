// ExitStatus.swift: how a run ends, and the exit status each ending gives.
// This is the one place the monitor's exit statuses are defined; --help
// prints `ExitStatus.table`, docs/exit-codes.md describes the same codes,
// and a test checks that the two agree.

/// How a run of the monitor ended: all its exit status depends on.
enum Outcome: Equatable {
    /// --help or --version: printed, nothing run.
    case informational
    /// The guest halted with `status` (solo5_exit); `synced` says whether
    /// its block devices were synced afterwards.
    case guestExited(status: Int32, synced: Bool)
    /// A stop signal (SIGTERM, SIGINT, SIGHUP) ended the run; devices synced.
    case stopped(signal: Int32)
    /// The monitor failed, or ended a faulting guest; `message` is the one
    /// line it prints (without "ukvm: ").
    case failure(FailureClass, message: String)

    /// The line the monitor prints on stderr for this ending, if any.
    var message: String? {
        switch self {
        case .informational, .guestExited: return nil
        case .stopped(let signo): return "stopped by signal \(signo)"
        case .failure(_, let message): return message
        }
    }
}

enum ExitStatus {
    static let success: Int32 = 0
    /// The monitor could not start: usage, image, devices, KVM set-up.
    static let startFailure: Int32 = 125
    /// The guest did something fatal that the monitor detected.
    static let guestFault: Int32 = 126
    /// A host error at run time, or a guest that exited 0 whose disk writes
    /// could not be synced.
    static let hostError: Int32 = 127
    /// Stopped by signal N: `signalBase + N`.
    static let signalBase: Int32 = 128

    /// The exit status of a run that ended with `outcome`.
    static func code(for outcome: Outcome) -> Int32 {
        switch outcome {
        case .informational:
            return success
        case .guestExited(let status, let synced):
            let code = guestStatus(status)
            return code == success && !synced ? hostError : code
        case .stopped(let signo):
            return signalBase + signo
        case .failure(.startup, _):
            return startFailure
        case .failure(.guestFault, _):
            return guestFault
        case .failure(.host, _):
            return hostError
        }
    }

    /// A guest's HALT status as a process exit status: its low 8 bits, what
    /// exit(3) keeps of it anyway (and what upstream's monitor passes on),
    /// so 256 is 0 and -1 is 255.
    static func guestStatus(_ status: Int32) -> Int32 {
        Int32(UInt8(truncatingIfNeeded: status))
    }

    /// Every exit status with its meaning, as --help prints it.
    static let table: [(codes: String, meaning: String)] = [
        ("0-255", "the guest's own status (solo5_exit), its low 8 bits: 0 success, "
            + "1 failure, 255 abort or a fault the guest reported"),
        ("\(startFailure)", "the monitor could not start: bad flag, image, device or KVM set-up"),
        ("\(guestFault)", "guest fault seen by the monitor (bad hypercall, triple fault, ...)"),
        ("\(hostError)", "host error while running, or a guest that exited 0 whose disk "
            + "could not be synced"),
        ("\(signalBase)+N", "stopped by signal N (SIGINT, SIGTERM, SIGHUP), disks synced"),
    ]
}
