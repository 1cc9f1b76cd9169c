// DebugInterrupt.swift: noticing gdb's Ctrl-C while the guest runs.
//
// While KVM_RUN runs, the monitor's only thread is in the guest. The
// socket is put in O_ASYNC mode, owned by this process: when bytes arrive
// the kernel sends SIGIO, whose handler records it and sets
// kvm_run.immediate_exit. KVM_RUN then returns EINTR at once (also if the
// signal came just before the call), and the run loop asks the session,
// which reads the bytes: a 0x03 stops the guest. SIGIO is admitted in
// KVM_RUN's signal mask (Signals.admit). SA_RESTART: a read or write of
// the monitor's own that SIGIO interrupts goes on; a POLL hypercall's wait
// ends early, as for any signal. No thread, and no cost when --gdb is not
// given: nothing here is installed then.

import Glibc
import KVM

enum DebugInterrupt {
    /// 1 when SIGIO arrived since the last `rearm()`.
    nonisolated(unsafe) private static var flag: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    /// kvm_run.immediate_exit of the vCPU.
    nonisolated(unsafe) private static var immediateExit: UnsafeMutablePointer<UInt8>?

    static var pending: Bool { flag.pointee != 0 }

    /// Signals input on `fd` while the guest runs on `vcpu`.
    static func install(socket fd: Int32, vcpu: VCPU) -> Bool {
        _ = flag
        DebugInterrupt.immediateExit = vcpu.immediateExit
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            DebugInterrupt.flag.pointee = 1
            DebugInterrupt.immediateExit?.pointee = 1
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        guard sigaction(SIGIO, &action, nil) == 0 else { return false }
        // SIGIO must reach KVM_RUN and the waits: a parent may have started
        // us with it blocked, and KVM_RUN runs with the waits' mask.
        Signals.admit(SIGIO)
        if let mask = Signals.runMask, (try? vcpu.setSignalMask(mask)) == nil { return false }
        guard fcntl(fd, F_SETOWN, getpid()) == 0 else { return false }
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_ASYNC) == 0
    }

    /// Before the guest runs again: forget what was handled. The caller
    /// then looks for input that arrived before this, which no new SIGIO
    /// will announce.
    static func rearm() {
        flag.pointee = 0
        immediateExit?.pointee = 0
    }

    /// Treats input as an interrupt (it arrived while nobody looked).
    static func raise() {
        flag.pointee = 1
        immediateExit?.pointee = 1
    }

    /// No more interrupts: the session ended (closing the socket stops its
    /// signals).
    static func uninstall() {
        flag.pointee = 0
    }
}
