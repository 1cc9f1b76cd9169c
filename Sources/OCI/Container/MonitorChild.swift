// MonitorChild.swift: the monitor in a child of the container's process.
//
// The monitor enters its sandbox before the guest runs (no capability, a
// seccomp filter that allows only the run's own calls: docs/hardening.md),
// and a sandbox is for the rest of a process's life. The container's
// process must still remove the tap redirects when the guest ends (tc, with
// CAP_NET_ADMIN), so the monitor runs in a forked child (no exec: the same
// binary, nothing to find on the start path), and this process, the one
// containerd knows, waits for it and passes the stop signals on. If this
// process is killed (SIGKILL: a forced delete), the kernel kills the child.

import CKVM
import Glibc
import Monitor

enum MonitorChild {
    /// The child's pid once forked, for the forwarding handler; 0 before.
    nonisolated(unsafe) private static let child: UnsafeMutablePointer<pid_t> = {
        let p = UnsafeMutablePointer<pid_t>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    /// Runs the monitor with `arguments` in a child; returns its exit status
    /// (128+N if it died by signal N).
    static func run(arguments: [String]) -> Int32 {
        // Blocked across the fork: a signal now is delivered to the
        // forwarding handler once there is a child to forward it to.
        var stop = sigset_t(), old = sigset_t()
        sigemptyset(&stop)
        for s in forwarded { sigaddset(&stop, s) }
        sigprocmask(SIG_BLOCK, &stop, &old)
        _ = child.pointee
        let parent = getpid()
        let pid = fork()
        if pid == 0 {
            // Dies with this process; already gone, already dead.
            _ = ckvm_prctl(PR_SET_PDEATHSIG, UInt(SIGKILL), 0)
            if getppid() != parent { _exit(128 + SIGKILL) }
            sigprocmask(SIG_SETMASK, &old, nil)
            _exit(Ukvm.run(arguments: arguments))
        }
        guard pid > 0 else {
            sigprocmask(SIG_SETMASK, &old, nil)
            return MonitorLimits.startFailureStatus
        }
        child.pointee = pid
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signo in
            if MonitorChild.child.pointee > 0 { kill(MonitorChild.child.pointee, signo) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for s in forwarded { sigaction(s, &action, nil) }
        sigprocmask(SIG_SETMASK, &old, nil)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signo = status & 0x7f
        return signo == 0 ? (status >> 8) & 0xff : 128 + signo
    }
}
