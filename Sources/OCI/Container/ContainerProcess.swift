// ContainerProcess.swift: the container's process, forked by `create`. It
// is the PID containerd knows, first waiting, then the monitor itself:
//
//   create: enter the container's network namespace (if the image has
//           network devices), read the interfaces, fill in the guest's
//           command line, tell `create` it is ready (or what is wrong),
//           then wait on the start FIFO without booting anything;
//   start:  one byte through the FIFO lets it go on: taps and redirects,
//           then the monitor runs the plan's LaunchConfiguration in this
//           very process (Ukvm.run), and its exit status (the guest's) is
//           the container's.
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
    let consoleSlave: Int32?
    /// The start FIFO, opened for reading by `create` before the fork: a
    /// reader exists from the fork on, so `start` can never find none.
    let fifo: Int32
    let log: RuntimeLog

    /// What the child sends `create` over the sync pipe: "ok", or the error.
    static let ready = "ok"

    /// Whether the child has anything to check before it waits (the
    /// network namespace and interfaces), so that `create` must wait for
    /// its verdict. Without network devices it has nothing that can fail,
    /// and `create` returns at once (no wait for the child to be scheduled).
    var reportsReadiness: Bool { !plan.nets.isEmpty }

    /// Runs in the forked child; never returns.
    func run(sync: Int32, preserveFDs: Int32) -> Never {
        resetSignals()
        _ = setsid()
        if let slave = consoleSlave { ConsoleSocket.adopt(slave: slave) }
        var keep = Set(plan.fds + [sync, fifo])
        if let netns { keep.insert(netns.fd) }
        closeOtherFDs(keep: keep, below: 3 + preserveFDs)
        var guestArgs = plan.guestArgs, facts: [InterfaceFacts] = []
        if reportsReadiness {
            do throws(OCIError) {
                (guestArgs, facts) = try prepare()
            } catch {
                report(sync, error.message)
                exit(1)
            }
            report(sync, ContainerProcess.ready)
        }
        close(sync)
        guard waitForStart() else { exit(MonitorLimits.startFailureStatus) }
        exit(start(guestArgs: guestArgs, facts: facts))
    }

    /// Network namespace, interfaces, guest command line.
    private func prepare() throws(OCIError) -> ([String], [InterfaceFacts]) {
        if let netns { try Namespace.join(fd: netns.fd, path: netns.path) }
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
        return Ukvm.run(plan.configuration(nets: nets, macs: macs, guestArgs: guestArgs))
    }

    private func report(_ sync: Int32, _ message: String) {
        try? Files.writeAll(sync, Array(message.utf8), what: "sync pipe")
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
