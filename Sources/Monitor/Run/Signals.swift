// Signals.swift: SIGTERM, SIGINT and SIGHUP stop the guest cleanly.
//
// The handler only records the signal and sets kvm_run.immediate_exit, so
// that KVM_RUN returns EINTR at once, even if the signal arrived just before
// the call. The run loop then sees the signal, the devices are synced, and
// the monitor exits with 128 + N. Both variables are set before any handler
// is installed, so the handler only ever stores through plain pointers.

import Glibc

enum Signals {
    /// The signal that asked us to stop, or 0.
    nonisolated(unsafe) private static var caughtSignal: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    /// kvm_run.immediate_exit of the vCPU, once there is one.
    nonisolated(unsafe) private static var immediateExit: UnsafeMutablePointer<UInt8>?

    static let stopSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// The pending stop signal, or 0.
    @inline(__always)
    static var caught: Int32 { caughtSignal.pointee }

    /// Ends the process by `signo`, its default action: the handler is
    /// removed and the signal unblocked first.
    static func die(by signo: Int32) -> Never {
        signal(signo, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signo)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(signo)
        _exit(signalExitBase + signo)  // not reached: the default action ends us
    }

    /// What a shell reports for a process killed by signal N.
    private static let signalExitBase: Int32 = 128

    /// Installs the handlers; `immediateExit` points into the vCPU's kvm_run.
    static func install(immediateExit: UnsafeMutablePointer<UInt8>) {
        _ = caughtSignal
        Signals.immediateExit = immediateExit
        // Writes to a closed console pipe must fail with EPIPE, not kill us.
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signo in
            Signals.caughtSignal.pointee = signo
            Signals.immediateExit?.pointee = 1
        }
        sigemptyset(&action.sa_mask)
        for s in stopSignals { sigaddset(&action.sa_mask, s) }
        action.sa_flags = 0   // no SA_RESTART: blocking calls return EINTR
        for s in stopSignals { sigaction(s, &action, nil) }
        // A parent may have started us with these signals blocked (seen:
        // Foundation's Process, from a thread that blocks them); a monitor
        // that cannot be stopped cleanly would be a bad neighbour.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in stopSignals { sigaddset(&unblock, s) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
    }
}
