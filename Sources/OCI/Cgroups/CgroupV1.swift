// CgroupV1.swift: a container's cgroup on cgroup v1, one directory in each
// hierarchy (memory, cpu,cpuacct, cpuset, pids, freezer, ... and named
// ones such as name=systemd), as runc's fs driver keeps it.

import Glibc

struct CgroupV1: CgroupManager {
    let path: String
    let mounts: CgroupMounts
    var version: Int { 1 }

    /// The cgroup's directory in the hierarchy holding `controller`.
    func dir(_ controller: String) -> String? {
        mounts.hierarchy(controller).map { $0.mountpoint + path }
    }

    func apply(pid: Int32) throws(OCIError) {
        for h in mounts.v1 {
            let isCpuset = h.controllers.contains("cpuset")
            try CgroupFiles.makeDirectories(root: h.mountpoint, path: path) { (made: String) throws(OCIError) in
                // A new cpuset has no CPUs and no memory nodes, and takes no
                // process until it has: the parent's, as runc does.
                if isCpuset { try inheritCpuset(made) }
            }
            try CgroupFiles.write(h.mountpoint + path, "cgroup.procs", String(pid))
        }
    }

    private func inheritCpuset(_ dir: String) throws(OCIError) {
        let parent = String(dir[..<dir.lastIndex(of: "/")!])
        for name in ["cpuset.cpus", "cpuset.mems"] where (CgroupFiles.read(dir, name) ?? "").isEmpty {
            try CgroupFiles.write(dir, name, CgroupFiles.read(parent, name) ?? "")
        }
    }

    func set(_ r: CgroupResources) throws(OCIError) {
        if let memory = dir("memory") { try setMemory(memory, r) }
        if let cpu = dir("cpu") {
            if let shares = r.cpuShares, shares > 0 { try CgroupFiles.write(cpu, "cpu.shares", String(shares)) }
            if let period = r.cpuPeriod, period > 0 { try CgroupFiles.write(cpu, "cpu.cfs_period_us", String(period)) }
            if let quota = r.cpuQuota, quota != 0 {
                try CgroupFiles.write(cpu, "cpu.cfs_quota_us", String(quota < 0 ? -1 : quota))
            }
        }
        if let cpuset = dir("cpuset") {
            if let cpus = r.cpusetCPUs { try CgroupFiles.write(cpuset, "cpuset.cpus", cpus) }
            if let mems = r.cpusetMems { try CgroupFiles.write(cpuset, "cpuset.mems", mems) }
        }
        if let pids = dir("pids"), let limit = r.pidsLimit {
            try CgroupFiles.write(pids, "pids.max", limit > 0 ? String(limit) : "max")
        }
    }

    /// The limit and memory+swap must stay limit <= memsw at every step:
    /// raising, memsw goes first; lowering, the limit does.
    private func setMemory(_ dir: String, _ r: CgroupResources) throws(OCIError) {
        let hasSwapFile = Files.exists(dir + "/memory.memsw.limit_in_bytes")
        let swap = hasSwapFile ? r.memorySwap : nil
        if let limit = r.memoryLimit, limit != 0 {
            let current = CgroupFiles.number(dir, "memory.limit_in_bytes") ?? 0
            let raising = limit < 0 || UInt64(limit) > current
            if raising, let swap { try CgroupFiles.write(dir, "memory.memsw.limit_in_bytes", String(swap)) }
            try CgroupFiles.write(dir, "memory.limit_in_bytes", String(limit))
            if !raising, let swap { try CgroupFiles.write(dir, "memory.memsw.limit_in_bytes", String(swap)) }
        } else if let swap, swap != 0 {
            try CgroupFiles.write(dir, "memory.memsw.limit_in_bytes", String(swap))
        }
        if let reservation = r.memoryReservation, reservation != 0 {
            try CgroupFiles.write(dir, "memory.soft_limit_in_bytes", String(reservation))
        }
    }

    func freeze() throws(OCIError) {
        guard let freezer = dir("freezer") else { throw OCIError("no freezer hierarchy is mounted") }
        // FREEZING until every task stopped; runc writes again meanwhile.
        for _ in 0..<2000 {
            try CgroupFiles.write(freezer, "freezer.state", "FROZEN")
            if CgroupFiles.read(freezer, "freezer.state") == "FROZEN" { return }
            usleep(1000)
        }
        try? thaw()
        throw OCIError("\(freezer): the cgroup did not freeze")
    }

    func thaw() throws(OCIError) {
        guard let freezer = dir("freezer") else { throw OCIError("no freezer hierarchy is mounted") }
        try CgroupFiles.write(freezer, "freezer.state", "THAWED")
    }

    var isFrozen: Bool {
        dir("freezer").flatMap { CgroupFiles.read($0, "freezer.state") } == "FROZEN"
    }

    func stats() -> CgroupStats {
        var s = CgroupStats()
        if let acct = dir("cpuacct") {
            s.cpuTotal = CgroupFiles.number(acct, "cpuacct.usage") ?? 0
            s.cpuPerCPU = (CgroupFiles.read(acct, "cpuacct.usage_percpu") ?? "").split(separator: " ")
                .compactMap { UInt64($0.trimmed) }
            // USER_HZ ticks, as nanoseconds.
            let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            for (k, v) in CgroupFiles.keyed(acct, "cpuacct.stat") {
                if k == "user" { s.cpuUser = v * (1_000_000_000 / ticks) }
                if k == "system" { s.cpuKernel = v * (1_000_000_000 / ticks) }
            }
        }
        if let cpu = dir("cpu") {
            for (k, v) in CgroupFiles.keyed(cpu, "cpu.stat") {
                if k == "nr_periods" { s.throttlingPeriods = v }
                if k == "nr_throttled" { s.throttledPeriods = v }
                if k == "throttled_time" { s.throttledTime = v }
            }
        }
        if let memory = dir("memory") {
            s.memoryUsage = CgroupFiles.number(memory, "memory.usage_in_bytes") ?? 0
            s.memoryMaxUsage = CgroupFiles.number(memory, "memory.max_usage_in_bytes") ?? 0
            s.memoryLimit = CgroupFiles.number(memory, "memory.limit_in_bytes") ?? 0
            s.memoryFailcnt = CgroupFiles.number(memory, "memory.failcnt") ?? 0
            s.memoryRaw = CgroupFiles.keyed(memory, "memory.stat")
            s.memoryCache = s.memoryRaw.first { $0.0 == "cache" }?.1 ?? 0
        }
        if let pids = dir("pids") {
            s.pidsCurrent = CgroupFiles.number(pids, "pids.current") ?? 0
            s.pidsLimit = CgroupFiles.number(pids, "pids.max") ?? 0
        }
        return s
    }

    func pids() -> [Int32] {
        guard let d = dir("pids") ?? dir("memory") ?? mounts.v1.first.map({ $0.mountpoint + path }) else { return [] }
        return CgroupFiles.pids(d)
    }

    /// rmdir in every hierarchy; the kernel may still hold the cgroup busy
    /// a moment after its last process went.
    func destroy() throws(OCIError) {
        for h in mounts.v1 {
            let d = h.mountpoint + path
            var tries = 0
            while rmdir(d) != 0 {
                if errno == ENOENT { break }
                tries += 1
                guard errno == EBUSY, tries < 500 else { throw .system("removing cgroup \(d)", errno: errno) }
                usleep(2000)
            }
        }
    }
}
