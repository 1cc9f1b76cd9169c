// OCIKubernetesTests.swift: unikernels in a Kubernetes pod, through the
// interface the kubelet speaks: containerd's CRI plugin (Debian's
// containerd 1.6), started by the test in a network namespace of its own
// (CRIContainerd.swift), driven call by call as the kubelet drives it
// (scripts/cri-client). The pod's sandbox goes to runc through ukvm-oci;
// the unikernels run on ukvm-oci, the pod's network is a CNI bridge of the
// test's own.

import Foundation
import Testing
import TestSupport

@Suite("ukvm-oci under Kubernetes' CRI", .serialized)
struct OCIKubernetesTests {
    static let images: [(name: String, ref: String, args: [String])] = [
        ("status", "localhost/ukvmtest/status:latest", ["7"]),
        ("spin", "localhost/ukvmtest/spin:latest", ["1000000000000000"]),
        ("net", "localhost/ukvmtest/net:latest", ["{{service0.ip}}"]),
    ]

    func podConfig(_ cri: CRIContainerd) -> [String: Any] {
        ["metadata": ["name": "unikernels", "uid": "ukvmtest-\(getpid())", "namespace": "default", "attempt": 0],
         "log_directory": cri.dir + "/logs",
         "linux": ["cgroup_parent": "/" + cri.cgroupParent]]
    }

    /// CreateContainer and StartContainer of image `ref` in the pod.
    func start(_ cri: CRIContainerd, pod: String, name: String, ref: String) throws -> String {
        let created = try cri.json("RuntimeService/CreateContainer", [
            "pod_sandbox_id": pod,
            "config": ["metadata": ["name": name], "image": ["image": ref], "log_path": "\(name).log"],
            "sandbox_config": podConfig(cri),
        ])
        let id = try #require(created["container_id"] as? String)
        _ = try cri.json("RuntimeService/StartContainer", ["container_id": id])
        return id
    }

    func status(_ cri: CRIContainerd, _ id: String) -> [String: Any] {
        ((try? cri.json("RuntimeService/ContainerStatus", ["container_id": id]))?["status"] as? [String: Any]) ?? [:]
    }

    func waitForLog(_ cri: CRIContainerd, _ name: String, _ text: String) -> Bool {
        for _ in 0..<400 {
            if ((try? String(contentsOfFile: cri.dir + "/logs/\(name).log", encoding: .utf8)) ?? "").contains(text) {
                return true
            }
            usleep(50_000)
        }
        return false
    }

    @Test(.enabled(if: criUnavailable == nil, "needs root, /dev/kvm, containerd, CNI plugins, grpcio, protobuf, busybox"))
    func podLifecycle() throws {
        let cri = try CRIContainerd()
        let dir = TempDirectory(name: "cri-images")
        try writeBusyboxImage(dir.path + "/pause.tar", reference: CRIContainerd.sandboxImage,
                              entrypoint: ["/bin/busybox", "sleep", "2147483647"])
        try cri.importImage(dir.path + "/pause.tar")
        for image in Self.images + [Self.memtouch] {
            let archive = dir.path + "/\(image.name).tar"
            let r = run([binPath("ukvm-oci"), "image", "--output", archive, "--name", image.ref,
                         ukvmImage(image.name)] + image.args)
            guard r.status == 0 else { throw SetupError("ukvm-oci image: \(r)") }
            try cri.importImage(archive)
        }

        let version = try cri.json("RuntimeService/Version", ["version": "v1"])
        #expect(version["runtime_api_version"] as? String == "v1" && version["runtime_name"] as? String == "containerd")

        // The pod, with the ukvm handler: its sandbox goes to runc.
        let sandbox = try cri.json("RuntimeService/RunPodSandbox", ["config": podConfig(cri), "runtime_handler": "ukvm"])
        let pod = try #require(sandbox["pod_sandbox_id"] as? String)

        // A guest exiting 7: its status, reason and CRI log.
        let exited = try start(cri, pod: pod, name: "status", ref: Self.images[0].ref)
        var s: [String: Any] = [:]
        for _ in 0..<400 {
            s = status(cri, exited)
            if s["state"] as? String == "CONTAINER_EXITED" { break }
            usleep(50_000)
        }
        #expect(s["state"] as? String == "CONTAINER_EXITED" && s["exit_code"] as? Int == 7 && s["reason"] as? String == "Error",
                "\(s)")
        let log = (try? String(contentsOfFile: cri.dir + "/logs/status.log", encoding: .utf8)) ?? ""
        #expect(log.contains(" stdout F Solo5: solo5_exit(7) called"), "\(log)")

        // A running guest: its stats, then StopContainer (SIGTERM -> 143).
        let spinning = try start(cri, pod: pod, name: "spin", ref: Self.images[1].ref)
        #expect(waitForLog(cri, "spin", "spin: running"))
        let stats = try cri.json("RuntimeService/ContainerStats", ["container_id": spinning])["stats"] as? [String: Any]
        #expect((stats?["attributes"] as? [String: Any])?["id"] as? String == spinning, "\(String(describing: stats))")
        #expect(stats?["cpu"] != nil && stats?["memory"] != nil, "\(String(describing: stats))")
        _ = try cri.json("RuntimeService/StopContainer", ["container_id": spinning, "timeout": 10])
        s = status(cri, spinning)
        #expect(s["state"] as? String == "CONTAINER_EXITED" && s["exit_code"] as? Int == 143, "\(s)")

        try statsUnderLimit(cri, pod: pod)

        // A net unikernel answering ping at the pod's address.
        let net = try start(cri, pod: pod, name: "net", ref: Self.images[2].ref)
        #expect(waitForLog(cri, "net", "net: serving"), "\(status(cri, net))")
        let podStatus = try cri.json("RuntimeService/PodSandboxStatus", ["pod_sandbox_id": pod])["status"] as? [String: Any]
        let ip = ((podStatus?["network"] as? [String: Any])?["ip"] as? String) ?? ""
        #expect(ip.hasPrefix("10.90.1."), "\(String(describing: podStatus))")
        let ping = run(cri.netns.exec(["ping", "-c", "3", "-W", "2", ip]))
        #expect(ping.status == 0 && ping.output.contains("3 received"), "\(ping)")
        let netLog = (try? String(contentsOfFile: cri.dir + "/logs/net.log", encoding: .utf8)) ?? ""
        #expect(netLog.contains("net: service0: \(ip) "), "\(netLog)")

        for id in [exited, spinning, net] {
            if id == net { _ = try cri.json("RuntimeService/StopContainer", ["container_id": id, "timeout": 10]) }
            _ = try cri.json("RuntimeService/RemoveContainer", ["container_id": id])
        }
        _ = try cri.json("RuntimeService/StopPodSandbox", ["pod_sandbox_id": pod])
        _ = try cri.json("RuntimeService/RemovePodSandbox", ["pod_sandbox_id": pod])
        let left = try cri.json("RuntimeService/ListPodSandbox", [:])["items"] as? [Any] ?? []
        #expect(left.isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cri.dir + "/ukvm/k8s.io")) ?? []).isEmpty)
    }
}
