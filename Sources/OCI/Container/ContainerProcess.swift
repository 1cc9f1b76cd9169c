// ContainerProcess.swift: the container's process, forked by `create`. It
// is the PID containerd knows, first waiting, then the monitor itself:
//
//   create: once in its cgroup, enter the container's namespaces (the
//           network one: join the spec's path, or a new one), let `create`
//           run the prestart and createRuntime hooks, run the
//           createContainer hooks, read the interfaces, fill in the guest's
//           command line, tell `create` it is ready or what is wrong
//           (CreateHandshake), then wait on the start FIFO without booting
//           anything;
//   start:  one byte through the FIFO lets it go on: the startContainer
//           hooks, taps and redirects, then the monitor runs the plan's
//           LaunchConfiguration in this very process (Ukvm.run), and its
//           exit status (the guest's) is the container's.
//
// Running the monitor in-process rather than exec'ing build/bin/ukvm: one
// binary to install, no path to find at start, no exec on the start path,
// and the process containerd watches and signals is the monitor itself.
// The monitor sandboxes itself before the guest runs (docs/hardening.md),
// so this process cannot run tc afterwards: the redirects are taken off by
// `delete`, which the shim (and `run`) always calls; the taps go with the
// monitor's descriptors.

import Glibc
import Monitor

struct ContainerProcess {
    let id: String
    let plan: LaunchPlan
    let netns: (fd: Int32, path: String)?
    /// A new network namespace is asked for (spec without a path).
    let newNetwork: Bool
    let hooks: HookContext
    let consoleSlave: Int32?
    /// The start FIFO, opened for reading by `create` before the fork: a
    /// reader exists from the fork on, so `start` can never find none.
    let fifo: Int32
    let log: RuntimeLog
    /// linux.namespaces but network (Container/ContainerNamespaces.swift).
    let namespaces: ContainerNamespaces

    /// Whether the child has anything to check or run before it waits (the
    /// interfaces, namespaces to enter, create-time hooks), so that
    /// `create` must wait for its verdict. Otherwise nothing it does can
    /// fail in a way `create` could report, and `create` returns at once
    /// (no wait for the child to be scheduled).
    var reportsReadiness: Bool { !plan.nets.isEmpty || namespaces.entersAny || hooks.hooks.runAtCreate }

    /// Whether `create` runs hooks once the child is in its namespaces.
    var hasRuntimeHooks: Bool { !hooks.hooks[.prestart].isEmpty || !hooks.hooks[.createRuntime].isEmpty }

    /// Runs in the forked child; never returns. Waits first for `create`'s
    /// release: by then it is in its cgroup, with its limits.
    func run(handshake: CreateHandshake, preserveFDs: Int32) -> Never {
        handshake.enterChild()
        guard handshake.awaitRelease() else { exit(1) }
        resetSignals()
        _ = setsid()
        if let slave = consoleSlave { ConsoleSocket.adopt(slave: slave) }
        var keep = Set(plan.fds + handshake.childFDs + [fifo])
        if let netns { keep.insert(netns.fd) }
        closeOtherFDs(keep: keep, below: 3 + preserveFDs)
        var guestArgs = plan.guestArgs, facts: [InterfaceFacts] = []
        do throws(OCIError) {
            try namespaces.enter()
            try enterNetworkNamespace()
            if reportsReadiness {
                if hasRuntimeHooks && !handshake.awaitGo() { exit(1) }
                try hooks.run(.createContainer, status: "creating", pid: hostPID())
                (guestArgs, facts) = try prepare()
                handshake.sayReady()
            }
        } catch {
            if reportsReadiness { handshake.sayFailed(error.message) } else { log.error(error.message) }
            exit(1)
        }
        handshake.leaveChild()
        guard waitForStart() else { exit(MonitorLimits.startFailureStatus) }
        do throws(OCIError) {
            try hooks.run(.startContainer, status: "created", pid: hostPID())
        } catch {
            log.error(error.message)
            exit(MonitorLimits.startFailureStatus)
        }
        exit(start(guestArgs: guestArgs, facts: facts))
    }

    /// The spec's network namespace: the path's, or a new one. Hooks see it
    /// as /proc/PID/ns/net (Docker's network set-up moves the veth there).
    private func enterNetworkNamespace() throws(OCIError) {
        if let netns {
            try Namespace.join(fd: netns.fd, path: netns.path)
        } else if newNetwork {
            try Namespace.unshareNetwork()
        }
    }

    /// This process's PID as the runtime sees it, for the hooks' state: in
    /// a PID namespace of its own getpid() is 1, but /proc is still the
    /// host's until the pivot at start.
    private func hostPID() -> Int32 {
        var buffer = [CChar](repeating: 0, count: 32)
        let n = readlink("/proc/self", &buffer, buffer.count - 1)
        return n > 0 ? Int32(String(cString: buffer)) ?? getpid() : getpid()
    }

    /// Interfaces, guest command line.
    private func prepare() throws(OCIError) -> ([String], [InterfaceFacts]) {
        guard !plan.nets.isEmpty else { return (try ContainerProcess.checkedCommandLine(plan.guestArgs), []) }
        var facts: [InterfaceFacts] = []
        var byName: [String: InterfaceFacts] = [:]
        for net in plan.nets {
            let f: InterfaceFacts
            do throws(OCIError) {
                f = try InterfaceFacts.read(net.interface)
            } catch {
                throw OCIError("\(plan.imagePath): network device '\(net.name)': \(error.message)")
            }
            facts.append(f)
            byName[net.name] = f
            byName[net.interface] = f
        }
        return (try ContainerProcess.checkedCommandLine(Placeholders.fill(plan.guestArgs, interfaces: byName)), facts)
    }

    /// The guest's arguments, if their command line fits the boot info.
    static func checkedCommandLine(_ args: [String]) throws(OCIError) -> [String] {
        let length = args.joined(separator: " ").utf8.count
        guard length <= MonitorLimits.commandLineMax else {
            throw OCIError("the guest's command line (process.args after the image) is \(length) bytes, "
                + "at most \(MonitorLimits.commandLineMax) are allowed")
        }
        return args
    }

    /// Blocks until `start` writes its byte; false if the FIFO was closed
    /// without one (the container is being deleted).
    private func waitForStart() -> Bool {
        var pfd = pollfd(fd: fifo, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, -1) < 0 && errno == EINTR {}
        var byte: UInt8 = 0
        var n: Int
        repeat { n = read(fifo, &byte, 1) } while n < 0 && errno == EINTR
        close(fifo)
        return n == 1
    }

    /// Taps and redirects, then the monitor; returns the exit status.
    private func start(guestArgs: [String], facts: [InterfaceFacts]) -> Int32 {
        var redirects: [TapRedirect] = []
        do throws(OCIError) {
            for (i, f) in facts.enumerated() {
                redirects.append(try TapRedirect.setUp(f, tap: TapRedirect.tapName(containerID: id, index: i)))
            }
        } catch {
            for r in redirects { TapRedirect.remove(interface: r.interface) }
            log.error("\(plan.imagePath): \(error.message)")
            return MonitorLimits.startFailureStatus
        }
        var nets: [NetConfiguration.Device] = [], macs: [String: [UInt8]] = [:]
        do throws(MonitorError) {
            for (net, (redirect, f)) in zip(plan.nets, zip(redirects, facts)) {
                nets.append(try NetConfiguration.inherited(name: net.name, fd: redirect.fd))
                macs[net.name] = f.mac
            }
        } catch {
            for r in redirects { TapRedirect.remove(interface: r.interface) }
            log.error("\(plan.imagePath): \(error)")
            return MonitorLimits.startFailureStatus
        }
        if namespaces.isolatesFileSystem {
            // Once the monitor has opened all it uses: nothing of the host
            // left in its view of the file system.
            let (mountpoint, proc) = (namespaces.mountpoint, namespaces.ownsPIDNamespace)
            LaunchHooks.beforeSandbox = {
                try ContainerNamespaces.pivotToEmptyRoot(mountpoint: mountpoint, ownPIDNamespace: proc)
            }
        }
        return Ukvm.run(plan.configuration(nets: nets, macs: macs, guestArgs: guestArgs))
    }

    /// The guest is stopped by signals the runtime passes on (kill): the
    /// dispositions the shim left must not hide them.
    private func resetSignals() {
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2] { signal(s, SIG_DFL) }
        var all = sigset_t()
        sigfillset(&all)
        sigprocmask(SIG_UNBLOCK, &all, nil)
    }

    /// Closes every inherited fd but stdio, the first `below` fds
    /// (--preserve-fds) and `keep`.
    private func closeOtherFDs(keep: Set<Int32>, below: Int32) {
        for name in Files.list("/proc/self/fd") {
            guard let fd = Int32(name), fd >= below, !keep.contains(fd) else { continue }
            close(fd)
        }
    }
}
