// OCIKubernetesStatsTests.swift: CRI's ContainerStats of a unikernel in a
// pod under a 64 MiB limit reads the container's own cgroup: the memory
// its guest touched (below the limit) and the CPU time it used, not the
// figures of the cgroup containerd or the caller run in. A case of
// OCIKubernetesTests, in its pod, against its one containerd.

import Foundation
import Testing
import TestSupport

extension OCIKubernetesTests {
    static let memtouch = (name: "memtouch", ref: "localhost/ukvmtest/memtouch:latest", args: [String]())

    /// A proto3 JSON uint64 (a string) or number inside `stats[group][field].value`.
    static func figure(_ stats: [String: Any]?, _ group: String, _ field: String) -> Double? {
        let value = ((stats?[group] as? [String: Any])?[field] as? [String: Any])?["value"]
        if let s = value as? String { return Double(s) }
        return (value as? NSNumber)?.doubleValue
    }

    /// The CPU time every CPU of the machine spent since boot, in ns
    /// (/proc/stat's first line): what a figure read from the root cgroup
    /// would come close to.
    static func machineCPUTime() -> Double {
        let first = ((try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? "").split(separator: "\n").first
        let ticks = first?.split(separator: " ").dropFirst().compactMap { Double($0) }.reduce(0, +) ?? 0
        return ticks * 1e9 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// memtouch with "wait" in the pod, its memory limit 64 MiB: it runs
    /// with all its memory written, and ContainerStats shows it.
    func statsUnderLimit(_ cri: CRIContainerd, pod: String) throws {
        let limit = 64.0 * 1024 * 1024
        let created = try cri.json("RuntimeService/CreateContainer", [
            "pod_sandbox_id": pod,
            "config": ["metadata": ["name": "memtouch"], "image": ["image": Self.memtouch.ref], "args": ["wait"],
                       "log_path": "memtouch.log",
                       "linux": ["resources": ["memory_limit_in_bytes": Int(limit)]]],
            "sandbox_config": podConfig(cri),
        ])
        let id = try #require(created["container_id"] as? String)
        _ = try cri.json("RuntimeService/StartContainer", ["container_id": id])
        defer {
            _ = try? cri.json("RuntimeService/StopContainer", ["container_id": id, "timeout": 10])
            _ = try? cri.json("RuntimeService/RemoveContainer", ["container_id": id])
        }
        #expect(waitForLog(cri, "memtouch", "memtouch: waiting"), "\(status(cri, id))")
        let log = (try? String(contentsOfFile: cri.dir + "/logs/memtouch.log", encoding: .utf8)) ?? ""
        let touched = log.split(separator: "\n").first { $0.contains("memtouch: touched ") }
            .flatMap { $0.components(separatedBy: "memtouch: touched ").last?.split(separator: " ").first }
            .flatMap { Double($0) } ?? 0
        #expect(touched >= 50, "\(log)")

        let stats = try cri.json("RuntimeService/ContainerStats", ["container_id": id])["stats"] as? [String: Any]
        let memory = Self.figure(stats, "memory", "working_set_bytes") ?? 0
        let cpu = Self.figure(stats, "cpu", "usage_core_nano_seconds") ?? 0
        #expect(memory >= touched * 1024 * 1024 && memory < limit, "\(String(describing: stats))")
        #expect(cpu > 0 && cpu < Self.machineCPUTime() / 100, "\(String(describing: stats))")
    }
}
