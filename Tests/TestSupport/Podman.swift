// Podman.swift: podman (Debian's 4.3) with state of the test's own: root,
// run root, temporary directory, cgroupfs, events to a file, and a CNI
// configuration directory holding the test's own bridge network, made the
// default through a containers.conf of the test's (CONTAINERS_CONF). Every
// podman command runs inside a network namespace the test made, so the
// bridge and the containers' veths live there. When the object goes:
// containers removed (conmon with them), mounts undone, libcni's cache for
// the network (/var/lib/cni) removed, the directory and the namespace
// deleted.

import Foundation

/// Why the podman tests cannot run here, or nil.
public let podmanUnavailable: String? = {
    if getuid() != 0 { return "SKIPPED: the podman tests need root" }
    if let kvm = kvmUnavailable { return kvm }
    if let busybox = busyboxUnavailable { return busybox }
    if !FileManager.default.isExecutableFile(atPath: "/usr/bin/podman") {
        return "SKIPPED: podman is missing (scripts/setup installs it)"
    }
    if let cni = cniUnavailable { return cni }
    return nil
}()

public final class Podman: ContainerEngine {
    public let name = "podman"
    public let netns: NetNamespace
    public let dir: String
    /// The CNI network, the engine's default here.
    public let network: String
    public let subnet: String
    /// podman's blob cache, outside --root.
    private let created = PackagePaths(["/var/lib/containers", "/var/lib/containers/cache"])

    public init() throws {
        netns = try NetNamespace()
        dir = try makeTempDirectory("ukvmtest-podman")
        network = "ukvmtest\(getpid())x\(UInt16.random(in: 0...UInt16.max))"
        subnet = "10.89.\(Int.random(in: 1...250))"
        try FileManager.default.createDirectory(atPath: dir + "/cni", withIntermediateDirectories: true)
        let bridge = "ukvmbr\(UInt16.random(in: 0...UInt16.max))"
        try """
            {"cniVersion":"0.4.0","name":"\(network)","plugins":[{"type":"bridge","bridge":"\(bridge)",
             "isGateway":true,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"host-local",
             "routes":[{"dst":"0.0.0.0/0"}],"ranges":[[{"subnet":"\(subnet).0/24","gateway":"\(subnet).1"}]]}}]}
            """.write(toFile: dir + "/cni/\(network).conflist", atomically: true, encoding: .utf8)
        // The hard limits of this machine are below podman's default
        // rlimits, which runc cannot raise without CAP_SYS_RESOURCE.
        try """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
            [network]
            network_backend = "cni"
            default_network = "\(network)"
            network_config_dir = "\(dir)/cni"
            cni_plugin_dirs = ["/usr/lib/cni"]
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """.write(toFile: dir + "/containers.conf", atomically: true, encoding: .utf8)
        let r = cli(["info"], timeout: 60)
        guard r.status == 0 else {
            cleanUp()
            throw SetupError("podman info: \(r)")
        }
    }

    public func command(_ args: [String]) -> [String] {
        ["/usr/bin/env", "CONTAINERS_CONF=" + dir + "/containers.conf", "/usr/bin/nsenter", "--net=" + netns.path,
         "/usr/bin/podman", "--root", dir + "/root", "--runroot", dir + "/runroot", "--tmpdir", dir + "/tmp",
         "--cgroup-manager=cgroupfs", "--events-backend=file", "--network-config-dir", dir + "/cni",
         "--storage-driver", "overlay"] + args
    }

    public func cli(_ args: [String], timeout: Double) -> ProcessResult {
        run(cleanlyStarted(command(args)), timeout: timeout)
    }

    public var ukvmRuntime: [String] { ["--runtime", binPath("ukvm-oci")] }
    public var runcRuntime: [String] { ["--runtime", "/usr/sbin/runc"] }

    private func cleanUp() {
        cli(["rm", "-af", "-t", "0"], timeout: 60)
        killProcesses(matching: dir + "/")
        unmountEverything(below: dir)
        // podman's cgroupfs parent: its containers' and conmon's groups
        // (shared with other podman users: only empty groups go).
        removeCgroups("libpod_parent")
        sh("rm -rf /var/lib/cni/networks/\(network) /var/lib/cni/results/\(network)-*")
        try? FileManager.default.removeItem(atPath: dir)
        created.removeCreated()
    }

    deinit { cleanUp() }
}
