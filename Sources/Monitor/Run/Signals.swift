// Signals.swift: SIGTERM, SIGINT and SIGHUP stop the guest cleanly.
//
// The stop signals are blocked, except at the points where the monitor
// waits, each of which admits them atomically with the wait itself:
//   - KVM_RUN, through the vCPU's signal mask (KVM_SET_SIGNAL_MASK): a stop
//     signal makes it return EINTR, and stays pending (the mask is restored
//     before KVM_RUN returns); the run loop then takes it (`takePending`);
//   - ppoll in the device wait (POLL, NETIO) and before console writes,
//     through ppoll's signal mask: the handler runs, ppoll returns EINTR.
// A signal that arrives anywhere else stays pending until the next of
// these, so none can be lost between a check of the flag and a wait (as
// one could between a short poll and a long sleep). The handler only
// records the signal; the run loop sees it, the devices are synced, and the
// monitor exits with 128 + N.
//
// SIGALRM, when the console buffer is offered, is the console's alarm
// (ConsoleBuffer.swift): admitted by KVM_RUN only, so that it ends a run of
// the guest that lasts too long without an exit, and taken like a stop
// signal (`takePending`), but recording nothing.

import Glibc

enum Signals {
    /// The signal that asked us to stop, or 0. Allocated before any handler
    /// is installed, so that the handler only stores through a constant
    /// pointer (no exclusivity check, no lazy set-up in the handler).
    nonisolated(unsafe) private static let caughtSignal: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    /// The signal mask of the waits: the mask the monitor was started with,
    /// less the stop signals. Nil until `install`.
    nonisolated(unsafe) private(set) static var waitMask: UnsafeMutablePointer<sigset_t>?
    /// The signal mask of KVM_RUN: the waits' mask, less the console's
    /// alarm when it is in use. Nil until `install`.
    nonisolated(unsafe) private(set) static var runMask: UnsafeMutablePointer<sigset_t>?
    /// The signal that ends a long run of the guest for the console buffer.
    static let consoleAlarm = SIGALRM

    static let stopSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// The pending stop signal, or 0.
    @inline(__always)
    static var caught: Int32 { caughtSignal.pointee }

    /// Ends the process by `signo`, its default action: the handler is
    /// removed and the signal unblocked first. The signal goes to the
    /// process id recorded by `install` (kill, not raise: the sandbox then
    /// has one call to allow, with the pid and the signal checked).
    static func die(by signo: Int32) -> Never {
        signal(signo, SIG_DFL)
        var set = only(signo)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        kill(pid ?? getpid(), signo)
        _exit(signalExitBase + signo)  // not reached: the default action ends us
    }

    /// Our process id, recorded by `install`.
    nonisolated(unsafe) private static var pid: pid_t?

    /// What a shell reports for a process killed by signal N.
    private static let signalExitBase: Int32 = 128

    /// A set of `signo` alone.
    static func only(_ signo: Int32) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signo)
        return set
    }

    /// A set of the stop signals.
    static var stopSet: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in stopSignals { sigaddset(&set, s) }
        return set
    }

    /// Installs the handlers and blocks the stop signals in the calling
    /// thread (the only one), outside the waits that admit them.
    static func install() {
        _ = caughtSignal
        pid = getpid()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signo in Signals.caughtSignal.pointee = signo }
        action.sa_mask = stopSet
        action.sa_flags = 0   // no SA_RESTART: an interrupted wait returns EINTR
        for s in stopSignals { sigaction(s, &action, nil) }
        // The waits run with the mask we were started with, less the stop
        // signals: a parent may have started us with them blocked (seen:
        // Foundation's Process, from a thread that blocks them), and a
        // monitor that cannot be stopped cleanly would be a bad neighbour.
        var block = stopSet
        let mask = UnsafeMutablePointer<sigset_t>.allocate(capacity: 1)
        mask.initialize(to: sigset_t())
        sigprocmask(SIG_BLOCK, &block, mask)
        for s in stopSignals { sigdelset(mask, s) }
        waitMask = mask
        let run = UnsafeMutablePointer<sigset_t>.allocate(capacity: 1)
        run.initialize(to: mask.pointee)
        runMask = run
    }

    /// Makes SIGALRM the console's alarm: a handler that does nothing (a
    /// signal left at its default action would end the process the moment
    /// it arrived during KVM_RUN), blocked everywhere but in KVM_RUN.
    static func useConsoleAlarm() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigaction(consoleAlarm, &action, nil)
        var set = only(consoleAlarm)
        sigprocmask(SIG_BLOCK, &set, nil)
        if let waitMask { sigaddset(waitMask, consoleAlarm) }
        if let runMask { sigdelset(runMask, consoleAlarm) }
    }

    /// The calls of signal handling during the run: return from the
    /// handler, take a signal that interrupted KVM_RUN; and, to die by
    /// SIGHUP (`die(by:)`, as solo5-hvt), reset its action, unblock it and
    /// send it to ourselves.
    static func sandboxNeeds(diesBySignal: Bool) -> SandboxNeeds {
        let needs = SandboxNeeds.call(.rtSigreturn, why: "stop signal handler")
            + .call(.rtSigtimedwait, why: "a stop signal that interrupted KVM_RUN")
        guard diesBySignal else { return needs }
        let sighup = UInt32(SIGHUP), why = "solo5-hvt dies by SIGHUP", pid = self.pid ?? getpid()
        return needs + SandboxNeeds([
            SandboxRule(.rtSigaction, [ArgumentTest(0, .equals32(sighup))], why: why),
            SandboxRule(.rtSigprocmask, [ArgumentTest(0, .equals32(UInt32(SIG_UNBLOCK)))], why: why),
            SandboxRule(.kill, [ArgumentTest(0, .equals32(UInt32(bitPattern: pid))), ArgumentTest(1, .equals32(sighup))],
                        why: why),
        ])
    }

    /// Lets `signo` (not a stop signal) in everywhere: unblocked now, and in
    /// the waits' mask, which the caller hands KVM again (KVM_SET_SIGNAL_MASK)
    /// if the vCPU has it. A parent may have started us with it blocked.
    static func admit(_ signo: Int32) {
        var set = only(signo)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        if let waitMask { sigdelset(waitMask, signo) }
        if let runMask { sigdelset(runMask, signo) }
    }

    /// After KVM_RUN returned EINTR: takes the stop signals and the
    /// console's alarm that are pending (they interrupted KVM_RUN and stayed
    /// blocked), and records a stop signal.
    static func takePending() {
        var set = stopSet
        sigaddset(&set, consoleAlarm)
        var none = timespec(tv_sec: 0, tv_nsec: 0)
        while true {
            let signo = sigtimedwait(&set, nil, &none)
            guard signo > 0 else { return }
            if signo != consoleAlarm { caughtSignal.pointee = signo }
        }
    }

    /// Takes the console's alarm if it is pending: it went off while the
    /// monitor was not in KVM_RUN, and would otherwise end the next run at
    /// once for nothing.
    static func discardConsoleAlarm() {
        var set = only(consoleAlarm)
        var none = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&set, nil, &none)
    }
}
