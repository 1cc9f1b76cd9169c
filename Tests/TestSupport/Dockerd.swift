// Dockerd.swift: a dockerd of the test's own (Debian's docker.io), inside a
// network namespace the test made, with its own config, data root, exec
// root, pid file, socket and cgroup parent, and ukvm-oci as its `ukvm`
// runtime. dockerd starts its own containerd below the exec root. When the
// object goes: containers removed, dockerd stopped (then containerd and the
// shims, killed if they linger), overlay and nsfs mounts undone, cgroups
// removed, the directory and the namespace deleted.
//
// nsenter --net, not `ip netns exec`: the latter remounts /sys in a new
// mount namespace, and dockerd then finds no devices cgroup.

import Foundation

/// Why the Docker tests cannot run here, or nil.
public let dockerUnavailable: String? = {
    if getuid() != 0 { return "SKIPPED: the Docker tests need root" }
    if let kvm = kvmUnavailable { return kvm }
    if let busybox = busyboxUnavailable { return busybox }
    for p in ["/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/nsenter"]
    where !FileManager.default.isExecutableFile(atPath: p) {
        return "SKIPPED: \(p) is missing (scripts/setup installs docker.io)"
    }
    return nil
}()

public final class Dockerd: ContainerEngine {
    public let name = "docker"
    public let netns: NetNamespace
    public let dir: String
    public let socket: String
    /// dockerd's plugin directory, outside --exec-root.
    private let created = PackagePaths(["/run/docker", "/run/docker/plugins"])
    /// The cgroup parent of every container of this daemon.
    public let cgroupParent: String
    private let daemon: Background

    public init() throws {
        netns = try NetNamespace()
        dir = try makeTempDirectory("ukvmtest-docker")
        socket = dir + "/docker.sock"
        cgroupParent = "ukvmtest-docker-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let config: [String: Any] = [
            "storage-driver": "overlay2",
            "cgroup-parent": "/" + cgroupParent,
            "runtimes": ["ukvm": ["path": binPath("ukvm-oci")]],
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/daemon.json"))
        daemon = try Background(withSignalsUnblocked(["/usr/bin/nsenter", "--net=" + netns.path, "/usr/sbin/dockerd",
                                 "--config-file", dir + "/daemon.json", "--data-root", dir + "/data",
                                 "--exec-root", dir + "/exec", "--pidfile", dir + "/dockerd.pid",
                                 "-H", "unix://" + socket, "--iptables=false", "--ip6tables=false"]))
        for _ in 0..<600 {
            if cli(["version"], timeout: 10).status == 0 { return }
            if !daemon.process.isRunning { break }
            usleep(50_000)
        }
        let log = daemon.output
        cleanUp()
        throw SetupError("dockerd did not come up:\n\(log)")
    }

    /// Debian's docker CLI (not another one earlier on PATH).
    public func command(_ args: [String]) -> [String] {
        ["/usr/bin/docker", "-H", "unix://" + socket] + args
    }

    public func cli(_ args: [String], timeout: Double) -> ProcessResult {
        run(command(args), timeout: timeout)
    }

    public var ukvmRuntime: [String] { ["--runtime=ukvm"] }
    public var runcRuntime: [String] { ["--runtime=runc"] }

    private func cleanUp() {
        let ids = cli(["ps", "-aq"], timeout: 20).output.split(separator: "\n").map(String.init)
        if !ids.isEmpty { cli(["rm", "-f"] + ids, timeout: 60) }
        // Not Background.wait: containerd holds dockerd's output pipe too.
        daemon.signal(SIGTERM)
        for _ in 0..<400 where daemon.process.isRunning { usleep(50_000) }
        daemon.stop()
        // dockerd's containerd and its shims, should they outlive it.
        killProcesses(matching: dir + "/exec/containerd")
        killProcesses(matching: dir + "/data/containerd")
        unmountEverything(below: dir)
        removeCgroups(cgroupParent)
        try? FileManager.default.removeItem(atPath: dir)
        created.removeCreated()
    }

    deinit { cleanUp() }
}
