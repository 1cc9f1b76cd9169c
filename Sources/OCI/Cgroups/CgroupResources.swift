// CgroupResources.swift: the part of linux.resources a cgroup applies
// (memory, CPU, cpuset, pids), from config.json at create and from the
// JSON or the flags of `update`. Unset fields leave the cgroup as it is.

import JSON
import Monitor

struct CgroupResources: Equatable {
    /// Bytes; -1 is no limit.
    var memoryLimit: Int64?
    var memoryReservation: Int64?
    /// Memory plus swap, bytes; -1 is no limit.
    var memorySwap: Int64?
    var cpuShares: UInt64?
    /// Microseconds per period; -1 (or 0) is no quota.
    var cpuQuota: Int64?
    var cpuPeriod: UInt64?
    var cpusetCPUs: String?
    var cpusetMems: String?
    /// 0 or -1 is no limit.
    var pidsLimit: Int64?

    var isEmpty: Bool { self == CgroupResources() }

    /// The runtime spec's LinuxResources object (config.json's
    /// linux.resources, or what `update --resources` reads); `where_`
    /// prefixes field names in errors.
    static func parse(_ r: FieldReader) throws(OCIError) -> CgroupResources {
        var res = CgroupResources()
        let memory = try r.object("memory", required: false)
        res.memoryLimit = try memory.int64("limit")
        res.memoryReservation = try memory.int64("reservation")
        res.memorySwap = try memory.int64("swap")
        let cpu = try r.object("cpu", required: false)
        if let shares = try cpu.int64("shares") { res.cpuShares = try nonNegative(shares, "cpu.shares") }
        res.cpuQuota = try cpu.int64("quota")
        if let period = try cpu.int64("period") { res.cpuPeriod = try nonNegative(period, "cpu.period") }
        res.cpusetCPUs = try cpu.optionalString("cpus").flatMap { $0.isEmpty ? nil : $0 }
        res.cpusetMems = try cpu.optionalString("mems").flatMap { $0.isEmpty ? nil : $0 }
        res.pidsLimit = try r.object("pids", required: false).int64("limit")
        return res
    }

    private static func nonNegative(_ v: Int64, _ name: String) throws(OCIError) -> UInt64 {
        guard v >= 0 else { throw OCIError("linux.resources.\(name): \(v) is negative") }
        return UInt64(v)
    }

    /// `other`'s fields where it sets them, ours elsewhere.
    func merged(with other: CgroupResources) -> CgroupResources {
        var r = self
        r.memoryLimit = other.memoryLimit ?? r.memoryLimit
        r.memoryReservation = other.memoryReservation ?? r.memoryReservation
        r.memorySwap = other.memorySwap ?? r.memorySwap
        r.cpuShares = other.cpuShares ?? r.cpuShares
        r.cpuQuota = other.cpuQuota ?? r.cpuQuota
        r.cpuPeriod = other.cpuPeriod ?? r.cpuPeriod
        r.cpusetCPUs = other.cpusetCPUs ?? r.cpusetCPUs
        r.cpusetMems = other.cpusetMems ?? r.cpusetMems
        r.pidsLimit = other.pidsLimit ?? r.pidsLimit
        return r
    }
}
