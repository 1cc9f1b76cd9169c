// CRIContainerd.swift: a containerd of the test's own with its CRI plugin
// on (the interface the kubelet speaks), inside a network namespace the
// test made: temporary root, state, socket; a `runc` runtime (the default,
// which the CRI plugin needs to load at all) beside `ukvm` (ukvm-oci, with
// the org.solo5.* pod annotations passed on); restrict_oom_score_adj (no
// CAP_SYS_RESOURCE here: runc fails every pause container otherwise); a
// sandbox image the test builds (busybox sleeping) and a CNI bridge
// network of the test's own. scripts/cri-client makes the calls. When the
// object goes: every pod stopped and removed, containerd and its shims
// stopped, mounts undone, the pods' cgroup parent removed, libcni's cache
// for the network removed, the directory and the namespace deleted.

import Foundation

/// Why the CRI tests cannot run here, or nil.
public let criUnavailable: String? = {
    if let c = containerdUnavailable { return c }
    if let busybox = busyboxUnavailable { return busybox }
    if let cni = cniUnavailable { return cni }
    if sh("/usr/bin/python3 -c 'import grpc, google.protobuf'").status != 0 {
        return "SKIPPED: python3-grpcio or python3-protobuf is missing (scripts/setup installs them)"
    }
    return nil
}()

public final class CRIContainerd {
    public let netns: NetNamespace
    public let dir: String
    public let socket: String
    public let network: String
    /// The pods' cgroup parent (PodSandboxConfig.linux.cgroup_parent).
    public let cgroupParent: String
    public static let sandboxImage = "localhost/ukvmtest/pause:latest"
    private let daemon: Background

    public init() throws {
        netns = try NetNamespace()
        dir = try makeTempDirectory("ukvmtest-cri")
        socket = dir + "/containerd.sock"
        network = "ukvmcri\(getpid())x\(UInt16.random(in: 0...UInt16.max))"
        cgroupParent = "ukvmtest-cri-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/cni", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        try """
            {"cniVersion":"0.4.0","name":"\(network)","plugins":[{"type":"bridge","bridge":"ukvmcribr",
             "isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","routes":[{"dst":"0.0.0.0/0"}],
             "ranges":[[{"subnet":"10.90.1.0/24","gateway":"10.90.1.1"}]]}},{"type":"loopback"}]}
            """.write(toFile: dir + "/cni/10-\(network).conflist", atomically: true, encoding: .utf8)
        let cri = #"plugins."io.containerd.grpc.v1.cri""#
        try """
            version = 2
            root = "\(dir)/root"
            state = "\(dir)/state"
            disabled_plugins = []
            [grpc]
              address = "\(socket)"
            [ttrpc]
              address = "\(socket).ttrpc"
            [debug]
              address = "\(dir)/debug.sock"
            [\(cri)]
              sandbox_image = "\(CRIContainerd.sandboxImage)"
              restrict_oom_score_adj = true
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              [\(cri).containerd]
                default_runtime_name = "runc"
                [\(cri).containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                  [\(cri).containerd.runtimes.runc.options]
                    BinaryName = "/usr/sbin/runc"
                    Root = "\(dir)/runc"
                [\(cri).containerd.runtimes.ukvm]
                  runtime_type = "io.containerd.runc.v2"
                  pod_annotations = ["org.solo5.*"]
                  [\(cri).containerd.runtimes.ukvm.options]
                    BinaryName = "\(binPath("ukvm-oci"))"
                    Root = "\(dir)/ukvm"
              [\(cri).cni]
                bin_dir = "/usr/lib/cni"
                conf_dir = "\(dir)/cni"
            """.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        daemon = try Background(withSignalsUnblocked(["/usr/bin/nsenter", "--net=" + netns.path,
                                                      "/usr/bin/containerd", "--config", dir + "/config.toml"]))
        for _ in 0..<500 {
            if call("RuntimeService/Version", "{}").status == 0 { return }
            if !daemon.process.isRunning { break }
            usleep(50_000)
        }
        let log = daemon.output
        cleanUp()
        throw SetupError("containerd (CRI) did not come up:\n\(log)")
    }

    /// One CRI call (scripts/cri-client): the response JSON on stdout.
    @discardableResult
    public func call(_ method: String, _ request: String, timeout: Double = 60) -> ProcessResult {
        run(["/usr/bin/python3", repoPath("scripts/cri-client"), socket, method, request], timeout: timeout)
    }

    /// One CRI call whose response is decoded; throws if it fails.
    public func json(_ method: String, _ request: [String: Any]) throws -> [String: Any] {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let r = call(method, body)
        guard r.status == 0 else { throw SetupError("\(method): \(r)") }
        return (try JSONSerialization.jsonObject(with: Data(r.output.utf8))) as? [String: Any] ?? [:]
    }

    /// ctr in the CRI plugin's namespace (images are imported there).
    @discardableResult
    public func ctr(_ args: [String], timeout: Double = 60) -> ProcessResult {
        run(["/usr/bin/env", "ctr", "--address", socket, "--namespace", "k8s.io"] + args, timeout: timeout)
    }

    public func importImage(_ archive: String) throws {
        let r = ctr(["image", "import", archive], timeout: 120)
        guard r.status == 0 else { throw SetupError("ctr image import: \(r)") }
    }

    private func cleanUp() {
        let pods = (try? json("RuntimeService/ListPodSandbox", [:]))?["items"] as? [[String: Any]] ?? []
        for pod in pods {
            guard let id = pod["id"] as? String else { continue }
            _ = try? json("RuntimeService/StopPodSandbox", ["pod_sandbox_id": id])
            _ = try? json("RuntimeService/RemovePodSandbox", ["pod_sandbox_id": id])
        }
        daemon.signal(SIGTERM)
        for _ in 0..<200 where daemon.process.isRunning { usleep(50_000) }
        daemon.stop()
        killProcesses(matching: "-address \(socket)")
        unmountEverything(below: dir)
        removeCgroups(cgroupParent)
        sh("rm -rf /var/lib/cni/networks/\(network) /var/lib/cni/results/\(network)-*")
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { cleanUp() }
}
