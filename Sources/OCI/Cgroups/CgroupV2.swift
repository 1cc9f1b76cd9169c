// CgroupV2.swift: a container's cgroup on the unified hierarchy (cgroup
// v2), as runc's fs2 driver keeps it: the controllers enabled in every
// ancestor's cgroup.subtree_control, limits in the v2 files, the freezer
// built in (cgroup.freeze).

import Glibc

struct CgroupV2: CgroupManager {
    let path: String
    let mountpoint: String
    var version: Int { 2 }
    var dir: String { mountpoint + path }

    /// The controllers ukvm-oci uses.
    static let wanted = ["cpu", "cpuset", "memory", "pids"]

    func apply(pid: Int32) throws(OCIError) {
        // Each level down to the parent hands the controllers on.
        var level = mountpoint
        for part in path.split(separator: "/").dropLast() {
            try enableControllers(level)
            level += "/" + part
            if mkdir(level, 0o755) != 0 && errno != EEXIST { throw .system(level, errno: errno) }
        }
        try enableControllers(level)
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw .system(dir, errno: errno) }
        try CgroupFiles.write(dir, "cgroup.procs", String(pid))
    }

    private func enableControllers(_ level: String) throws(OCIError) {
        let available = Set((CgroupFiles.read(level, "cgroup.controllers") ?? "").split(separator: " ").map(String.init))
        let enabled = Set((CgroupFiles.read(level, "cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let missing = CgroupV2.wanted.filter { available.contains($0) && !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        try CgroupFiles.write(level, "cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
    }

    /// cpu.shares (2 to 262144) to cpu.weight (1 to 10000), as runc maps it.
    static func weight(shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262144)
        return 1 + ((s - 2) * 9999) / 262142
    }

    func set(_ r: CgroupResources) throws(OCIError) {
        if let limit = r.memoryLimit, limit != 0 {
            try CgroupFiles.write(dir, "memory.max", limit < 0 ? "max" : String(limit))
        }
        // v1's memory+swap is v2's swap alone.
        if let swap = r.memorySwap, swap != 0, Files.exists(dir + "/memory.swap.max") {
            let value: String
            if swap < 0 { value = "max" } else if let limit = r.memoryLimit, limit > 0 {
                guard swap >= limit else {
                    throw OCIError("linux.resources.memory.swap (\(swap)) is below the memory limit (\(limit))")
                }
                value = String(swap - limit)
            } else { value = String(swap) }
            try CgroupFiles.write(dir, "memory.swap.max", value)
        }
        if let reservation = r.memoryReservation, reservation != 0 {
            try CgroupFiles.write(dir, "memory.low", reservation < 0 ? "max" : String(reservation))
        }
        if let shares = r.cpuShares, shares > 0 {
            try CgroupFiles.write(dir, "cpu.weight", String(CgroupV2.weight(shares: shares)))
        }
        if r.cpuQuota != nil || r.cpuPeriod != nil {
            let old = (CgroupFiles.read(dir, "cpu.max") ?? "max 100000").split(separator: " ")
            let quota = r.cpuQuota.map { $0 > 0 ? String($0) : "max" } ?? (old.first.map(String.init) ?? "max")
            let period = r.cpuPeriod.flatMap { $0 > 0 ? String($0) : nil } ?? (old.count > 1 ? String(old[1]) : "100000")
            try CgroupFiles.write(dir, "cpu.max", quota + " " + period)
        }
        if let cpus = r.cpusetCPUs { try CgroupFiles.write(dir, "cpuset.cpus", cpus) }
        if let mems = r.cpusetMems { try CgroupFiles.write(dir, "cpuset.mems", mems) }
        if let limit = r.pidsLimit { try CgroupFiles.write(dir, "pids.max", limit > 0 ? String(limit) : "max") }
    }

    func freeze() throws(OCIError) {
        try CgroupFiles.write(dir, "cgroup.freeze", "1")
        for _ in 0..<2000 {
            if isFrozen { return }
            usleep(1000)
        }
        try? thaw()
        throw OCIError("\(dir): the cgroup did not freeze")
    }

    func thaw() throws(OCIError) {
        try CgroupFiles.write(dir, "cgroup.freeze", "0")
    }

    var isFrozen: Bool {
        CgroupFiles.keyed(dir, "cgroup.events").contains { $0.0 == "frozen" && $0.1 == 1 }
    }

    func stats() -> CgroupStats {
        var s = CgroupStats()
        for (k, v) in CgroupFiles.keyed(dir, "cpu.stat") {
            switch k {
            case "usage_usec": s.cpuTotal = v * 1000
            case "user_usec": s.cpuUser = v * 1000
            case "system_usec": s.cpuKernel = v * 1000
            case "nr_periods": s.throttlingPeriods = v
            case "nr_throttled": s.throttledPeriods = v
            case "throttled_usec": s.throttledTime = v * 1000
            default: break
            }
        }
        s.memoryUsage = CgroupFiles.number(dir, "memory.current") ?? 0
        s.memoryMaxUsage = CgroupFiles.number(dir, "memory.peak") ?? 0
        s.memoryLimit = CgroupFiles.number(dir, "memory.max") ?? UInt64(Int64.max)
        s.memoryFailcnt = CgroupFiles.keyed(dir, "memory.events").first { $0.0 == "max" }?.1 ?? 0
        s.memoryRaw = CgroupFiles.keyed(dir, "memory.stat")
        s.memoryCache = s.memoryRaw.first { $0.0 == "file" }?.1 ?? 0
        s.pidsCurrent = CgroupFiles.number(dir, "pids.current") ?? 0
        s.pidsLimit = CgroupFiles.number(dir, "pids.max") ?? 0
        return s
    }

    func pids() -> [Int32] { CgroupFiles.pids(dir) }

    func destroy() throws(OCIError) {
        var tries = 0
        while rmdir(dir) != 0 {
            if errno == ENOENT { return }
            tries += 1
            guard errno == EBUSY, tries < 500 else { throw .system("removing cgroup \(dir)", errno: errno) }
            usleep(2000)
        }
    }
}
