// CgroupMounts.swift: the cgroup hierarchies this host has, read from
// /proc/self/mountinfo, and the cgroups this process is in, from
// /proc/self/cgroup. v1: one mount per hierarchy, with its controllers
// (cpu and cpuacct often together); v2: one unified mount. A hybrid host
// (v1 controllers, and a cgroup2 mount holding none) is run as v1, as runc
// does: the controllers are where the limits are.

struct CgroupMounts: Equatable {
    struct Hierarchy: Equatable {
        let mountpoint: String
        /// "memory", "cpu", "cpuacct", ..., or "name=systemd".
        let controllers: [String]
    }

    var v1: [Hierarchy] = []
    var unified: String?

    /// 1 or 2; nil on a host with no cgroup file system mounted.
    var version: Int? {
        if v1.contains(where: { $0.controllers.contains { !$0.hasPrefix("name=") } }) { return 1 }
        return unified == nil ? nil : 2
    }

    /// The v1 hierarchy holding `controller`.
    func hierarchy(_ controller: String) -> Hierarchy? {
        v1.first { $0.controllers.contains(controller) }
    }

    static let controllerNames: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
        "perf_event", "hugetlb", "pids", "rdma", "misc",
    ]

    /// The cgroup mounts of a mountinfo text (fields: ID PARENT MAJ:MIN ROOT
    /// MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS).
    static func parse(mountinfo: String) -> CgroupMounts {
        var mounts = CgroupMounts()
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count >= dash + 4 else { continue }
            let mountpoint = unescape(fields[4])
            switch fields[dash + 1] {
            case "cgroup":
                let options = fields[dash + 3].split(separator: ",").map(String.init)
                let controllers = options.filter { controllerNames.contains($0) || $0.hasPrefix("name=") }
                if !controllers.isEmpty, !mounts.v1.contains(where: { $0.controllers == controllers }) {
                    mounts.v1.append(Hierarchy(mountpoint: mountpoint, controllers: controllers))
                }
            case "cgroup2":
                if mounts.unified == nil { mounts.unified = mountpoint }
            default:
                continue
            }
        }
        return mounts
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ field: String) -> String {
        var out: [UInt8] = []
        let b = Array(field.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// This host's mounts.
    static func current() throws(OCIError) -> CgroupMounts {
        let text = String(decoding: try Files.read("/proc/self/mountinfo", limit: 8 << 20), as: UTF8.self)
        return parse(mountinfo: text)
    }

    /// The cgroups of a /proc/PID/cgroup text: controller (or "" for v2,
    /// "name=systemd") to path.
    static func parse(procCgroup: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in procCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[1].isEmpty {
                paths[""] = String(parts[2])
            } else {
                for c in parts[1].split(separator: ",") { paths[String(c)] = String(parts[2]) }
            }
        }
        return paths
    }

    /// The cgroups this process is in.
    static func own() -> [String: String] {
        guard let bytes = try? Files.read("/proc/self/cgroup", limit: 1 << 20) else { return [:] }
        return parse(procCgroup: String(decoding: bytes, as: UTF8.self))
    }
}
