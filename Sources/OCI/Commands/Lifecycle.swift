// Lifecycle.swift: `start`, `kill` and `delete`: releasing the waiting
// container process, signalling it, and removing what the container left.

import Glibc
import Monitor

extension Runtime {
    /// Lets the container process go on to boot the guest.
    func start(_ id: String) throws(OCIError) {
        let state = try store.load(id)
        switch store.status(state) {
        case .running, .paused: throw OCIError("cannot start an already running container")
        case .stopped: throw OCIError("cannot start a container that has stopped")
        case .created: break
        }
        let path = store.fifo(id)
        let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENXIO { throw OCIError("the container process is not waiting to start") }
            throw .system(path, errno: errno)
        }
        var byte = UInt8(ascii: "0")
        let n = write(fd, &byte, 1)
        let e = errno
        close(fd)
        guard n == 1 else { throw .system("\(path): write", errno: e) }
        unlink(path)
        laterHooks(state)?.runLogged(.poststart, status: "running", pid: state.pid)
    }

    /// Sends `signal` to the container process.
    func kill(_ id: String, signal text: String, all: Bool) throws(OCIError) {
        let state = try store.load(id)
        let signo = try SignalNames.parse(text)
        guard store.status(state) != .stopped else { throw .notRunning(id) }
        guard Glibc.kill(state.pid, signo) == 0 else {
            if errno == ESRCH { throw .notRunning(id) }
            throw .system("kill \(state.pid)", errno: errno)
        }
        // --all: every process in the container's cgroup, as runc does (the
        // monitor is the only one; anything else there is signalled too).
        if all { for pid in containerPIDs(state) where pid != state.pid { _ = Glibc.kill(pid, signo) } }
    }

    /// Removes the container: refused while it runs unless `force` (then
    /// SIGKILL first); a created one is killed, as runc does.
    func delete(_ id: String, force: Bool) throws(OCIError) {
        try StateStore.validate(id)
        guard store.isOurs(id) else {
            if force { return }
            throw .noSuchContainer(id)
        }
        let state = try store.load(id)
        let status = store.status(state)
        if (status == .running || status == .paused) && !force {
            throw OCIError("cannot delete container \(id) that is not stopped: \(status.rawValue)")
        }
        let cgroup = state.cgroup
        if status != .stopped {
            Glibc.kill(state.pid, SIGKILL)
            // A frozen process dies only once thawed.
            if status == .paused { try? cgroup?.thaw() }
            guard HostProcess.waitForExit(pid: state.pid, startTime: state.startTime, timeout: 10) else {
                throw OCIError("container process \(state.pid) did not die after SIGKILL")
            }
        }
        cleanUpNetwork(state)
        let hooks = laterHooks(state)
        try cgroup?.destroy()
        try store.remove(id)
        hooks?.runLogged(.poststop, status: "stopped", pid: 0)
    }

    /// Takes the redirects off the container's interfaces, in its network
    /// namespace, from a child process (this one stays where it is). The
    /// taps went with the monitor's fds.
    private func cleanUpNetwork(_ state: ContainerState) {
        // Never the host's: the path is checked again, in case it now names it.
        guard let path = state.netns, !state.interfaces.isEmpty, !HostNetwork.isHost(path),
              let fd = try? Namespace.open(path) else { return }
        defer { close(fd) }
        let pid = fork()
        if pid == 0 {
            if (try? Namespace.join(fd: fd, path: path)) != nil {
                for iface in state.interfaces { TapRedirect.remove(interface: iface) }
            }
            exit(0)
        }
        var status: Int32 = 0
        if pid > 0 { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
    }
}

/// Signal names and numbers, as `runc kill` takes them.
enum SignalNames {
    static let names: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("IOT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL),
        ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM),
        ("TERM", SIGTERM), ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP),
        ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU),
        ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO),
        ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    /// "TERM", "SIGTERM", "sigterm" or "15".
    static func parse(_ text: String) throws(OCIError) -> Int32 {
        if let n = Int32(text), n > 0, n < 65 { return n }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        guard let signo = names.first(where: { $0.0 == name })?.1 else {
            throw OCIError("unknown signal \"\(text)\"")
        }
        return signo
    }
}
