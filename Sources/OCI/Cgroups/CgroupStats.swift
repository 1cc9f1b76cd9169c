// CgroupStats.swift: a cgroup's figures, whichever version they came from,
// and their JSON as `runc events --stats` prints it ("data" of a "stats"
// event: cpu, memory, pids, as libcontainer's types name the fields).

import JSON
import Monitor

struct CgroupStats: Equatable {
    /// Nanoseconds.
    var cpuTotal: UInt64 = 0
    var cpuUser: UInt64 = 0
    var cpuKernel: UInt64 = 0
    var cpuPerCPU: [UInt64] = []
    var throttlingPeriods: UInt64 = 0
    var throttledPeriods: UInt64 = 0
    /// Nanoseconds.
    var throttledTime: UInt64 = 0
    /// Bytes.
    var memoryUsage: UInt64 = 0
    var memoryMaxUsage: UInt64 = 0
    /// Bytes; UInt64.max-ish values mean no limit, as the kernel says it.
    var memoryLimit: UInt64 = 0
    var memoryFailcnt: UInt64 = 0
    var memoryCache: UInt64 = 0
    var memoryRaw: [(String, UInt64)] = []
    var pidsCurrent: UInt64 = 0
    /// 0: no limit.
    var pidsLimit: UInt64 = 0

    static func == (a: CgroupStats, b: CgroupStats) -> Bool { a.json == b.json }

    var json: JSON {
        .object([
            ("cpu", .object([
                ("usage", .object([("total", .int(cpuTotal)), ("percpu", .array(cpuPerCPU.map { .int($0) })),
                                   ("kernel", .int(cpuKernel)), ("user", .int(cpuUser))])),
                ("throttling", .object([("periods", .int(throttlingPeriods)),
                                        ("throttledPeriods", .int(throttledPeriods)),
                                        ("throttledTime", .int(throttledTime))])),
            ])),
            ("memory", .object([
                ("cache", .int(memoryCache)),
                ("usage", .object([("limit", .int(memoryLimit)), ("usage", .int(memoryUsage)),
                                   ("max", .int(memoryMaxUsage)), ("failcnt", .int(memoryFailcnt))])),
                ("raw", .object(memoryRaw.map { ($0.0, .int($0.1)) })),
            ])),
            ("pids", .object([("current", .int(pidsCurrent)), ("limit", .int(pidsLimit))])),
            ("blkio", .object([])),
            ("hugetlb", .object([])),
        ])
    }
}
