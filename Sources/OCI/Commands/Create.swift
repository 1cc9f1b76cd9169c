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
        if case .path(let path) = plan.network, !plan.nets.isEmpty {
            netns = (try Namespace.open(path), path)
        }
        defer { if let netns { close(netns.fd) } }
        try store.create(id)
        do throws(OCIError) {
            let namespaces = ContainerNamespaces(specs: spec.namespaces, hostname: spec.hostname,
                                                 mountpoint: store.directory(id))
            let pid = try spawn(id, plan: plan, netns: netns, options: options,
                                cgroup: (cgroup, spec.resources), namespaces: namespaces)
            guard let startTime = HostProcess.startTime(pid: pid) else {
                throw OCIError("the container process \(pid) ended during create")
            }
            var path: String?
            if case .path(let p) = plan.network, !plan.nets.isEmpty { path = p }
            try store.save(ContainerState(id: id, pid: pid, startTime: startTime, bundle: bundle, rootfs: rootfs,
                                          created: Clock.rfc3339Now(), annotations: spec.annotations,
                                          netns: path, interfaces: plan.nets.map(\.interface),
                                          cgroup: cgroup, memoryMiB: try Conventions.memoryMiB(spec)))
            if let pidFile = options.pidFile {
                try Files.writeAtomically(Files.absolute(pidFile), "\(pid)", mode: 0o644)
            }
            return pid
        } catch {
            try? cgroup.destroy()
            try? store.remove(id)
            throw error
        }
    }

    /// Forks the container process and, when it has anything to check,
    /// waits for its verdict.
    private func spawn(_ id: String, plan: LaunchPlan, netns: (fd: Int32, path: String)?,
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
        var sync: [Int32] = [0, 0], go: [Int32] = [0, 0]
        guard coci_pipe(&sync) == 0 else { throw .system("pipe", errno: errno) }
        guard coci_pipe(&go) == 0 else {
            close(sync[0]); close(sync[1])
            throw .system("pipe", errno: errno)
        }
        let child = ContainerProcess(id: id, plan: plan, netns: netns, consoleSlave: slave, fifo: fifo, log: log,
                                     namespaces: namespaces)
        let ownPID: Int32?
        do throws(OCIError) {
            ownPID = try namespaces.preparePID()
        } catch {
            close(sync[0]); close(sync[1]); close(go[0]); close(go[1])
            throw error
        }
        let pid = fork()
        if pid == 0 {
            close(sync[0])
            close(go[1])
            child.run(sync: sync[1], go: go[0], preserveFDs: options.preserveFDs)
        }
        ContainerNamespaces.restorePID(ownPID)
        close(sync[1])
        close(go[0])
        guard pid > 0 else {
            close(sync[0])
            close(go[1])
            throw .system("fork", errno: errno)
        }
        // In its cgroup, with its limits, before it does anything.
        do throws(OCIError) {
            try CgroupPlacement.place(pid: pid, in: cgroup.manager, resources: cgroup.resources)
        } catch {
            close(sync[0])
            close(go[1])
            reap(pid)
            throw error
        }
        var byte: UInt8 = 1
        _ = write(go[1], &byte, 1)
        close(go[1])
        guard child.reportsReadiness else {
            close(sync[0])
            return pid
        }
        let answer = (try? Files.read(fd: sync[0], what: "sync pipe", limit: 65536)) ?? []
        close(sync[0])
        let message = String(decoding: answer, as: UTF8.self)
        guard message == ContainerProcess.ready else {
            reap(pid)
            throw OCIError(message.isEmpty ? "the container process ended during create" : message)
        }
        return pid
    }

    private func reap(_ pid: Int32) {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
