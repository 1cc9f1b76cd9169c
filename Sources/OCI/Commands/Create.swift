// Create.swift: `create --bundle B --pid-file F [--console-socket S] ID`.
// Reads B/config.json, works out the plan (LaunchPlan), forks the
// container process (ContainerProcess), waits until it is ready or has
// failed, then records the state and the PID and returns: the guest is not
// booted until `start`.

import COCI
import Glibc
import Monitor

struct CreateOptions {
    var bundle = "."
    var pidFile: String?
    var consoleSocket: String?
    var preserveFDs: Int32 = 0
}

extension Runtime {
    /// Creates container `id`; returns the container process's PID.
    @discardableResult
    func create(_ id: String, _ options: CreateOptions) throws(OCIError) -> Int32 {
        try StateStore.validate(id)
        let bundle = Files.absolute(options.bundle)
        let spec = try RuntimeSpec.parse(try Files.read(bundle + "/config.json", limit: RuntimeSpec.maxSize))
        if Delegate.isSandbox(spec) && !argv.isEmpty { try Delegate.exec(argv) }
        if spec.terminal && options.consoleSocket == nil {
            throw OCIError("process.terminal is true but no --console-socket was given")
        }
        if !spec.terminal && options.consoleSocket != nil {
            throw OCIError("--console-socket was given but process.terminal is false")
        }
        let rootfs = spec.rootPath.hasPrefix("/") ? spec.rootPath : bundle + "/" + spec.rootPath
        let plan = try LaunchPlan.make(spec: spec, rootfs: rootfs)
        defer { plan.close() }
        let cgroup = try CgroupPlacement.manager(spec, id: id, systemd: systemdCgroup)
        var netns: (fd: Int32, path: String)?
        if case .path(let path) = plan.network {
            netns = (try Namespace.open(path), path)
        }
        defer { if let netns { close(netns.fd) } }
        try store.create(id)
        var child: Int32 = 0
        do throws(OCIError) {
            let hooks = HookContext(hooks: spec.hooks, id: id, bundle: bundle, annotations: spec.annotations, log: log)
            let namespaces = ContainerNamespaces(specs: spec.namespaces, hostname: spec.hostname,
                                                 mountpoint: store.directory(id))
            let pid = try spawn(id, plan: plan, netns: netns, hooks: hooks, options: options,
                                cgroup: (cgroup, spec.resources), namespaces: namespaces)
            child = pid
            guard let startTime = HostProcess.startTime(pid: pid) else {
                throw OCIError("the container process \(pid) ended during create")
            }
            var path: String?
            if case .path(let p) = plan.network, !plan.nets.isEmpty { path = p }
            try hooks.save(in: store)
            try store.save(ContainerState(id: id, pid: pid, startTime: startTime, bundle: bundle, rootfs: rootfs,
                                          created: Clock.rfc3339Now(), annotations: spec.annotations,
                                          netns: path, interfaces: plan.nets.map(\.interface),
                                          cgroup: cgroup, memoryMiB: try Conventions.memoryMiB(spec)))
            if let pidFile = options.pidFile {
                try Files.writeAtomically(Files.absolute(pidFile), "\(pid)", mode: 0o644)
            }
            return pid
        } catch {
            // A container process that waits for a start that cannot come.
            if child > 0 { reap(child) }
            try? cgroup.destroy()
            try? store.remove(id)
            throw error
        }
    }

    /// Forks the container process and, when it has anything to check,
    /// waits for its verdict.
    private func spawn(_ id: String, plan: LaunchPlan, netns: (fd: Int32, path: String)?, hooks: HookContext,
                       options: CreateOptions,
                       cgroup: (manager: CgroupManager, resources: CgroupResources),
                       namespaces: ContainerNamespaces) throws(OCIError) -> Int32 {
        if plan.nets.isEmpty { _ = try ContainerProcess.checkedCommandLine(plan.guestArgs) }
        let path = store.fifo(id)
        guard mkfifo(path, 0o600) == 0 else { throw .system(path, errno: errno) }
        let fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fifo >= 0 else { throw .system(path, errno: errno) }
        defer { close(fifo) }
        let slave = try options.consoleSocket.map { (s: String) throws(OCIError) in try ConsoleSocket.sendMaster(to: s) }
        defer { if let slave { close(slave) } }
        let handshake = try CreateHandshake()
        let child = ContainerProcess(id: id, plan: plan, netns: netns, newNetwork: plan.network == .new,
                                     hooks: hooks, consoleSlave: slave, fifo: fifo, log: log, namespaces: namespaces)
        let ownPID: Int32?
        do throws(OCIError) {
            ownPID = try namespaces.preparePID()
        } catch {
            handshake.closeAll()
            throw error
        }
        let pid = fork()
        if pid == 0 { child.run(handshake: handshake, preserveFDs: options.preserveFDs) }
        ContainerNamespaces.restorePID(ownPID)
        guard pid > 0 else {
            handshake.closeAll()
            throw .system("fork", errno: errno)
        }
        handshake.enterParent()
        // In its cgroup, with its limits, before it does anything.
        do throws(OCIError) {
            try CgroupPlacement.place(pid: pid, in: cgroup.manager, resources: cgroup.resources)
            try handshake.release()
        } catch {
            handshake.leaveParent()
            reap(pid)
            throw error
        }
        guard child.reportsReadiness else {
            handshake.leaveParent()
            return pid
        }
        try handshake.conduct(child: pid) { () throws(OCIError) in
            try hooks.run(.prestart, status: "creating", pid: pid)
            try hooks.run(.createRuntime, status: "creating", pid: pid)
        }
        return pid
    }

    private func reap(_ pid: Int32) {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
