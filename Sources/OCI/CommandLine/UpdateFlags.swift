// UpdateFlags.swift: `update`'s flags, as runc's: --resources FILE (the
// runtime spec's LinuxResources JSON; "-" is stdin, which containerd's shim
// uses), or one flag per limit, sizes with runc's suffixes (64m, 1g).

import Glibc
import JSON
import Monitor

enum UpdateFlags {
    static let values = ["resources", "memory", "memory-reservation", "memory-swap", "kernel-memory",
                         "kernel-memory-tcp", "cpu-share", "cpu-quota", "cpu-period", "cpu-rt-period",
                         "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
                         "l3-cache-schema", "mem-bw-schema"]

    /// The resources the flags ask for.
    static func resources(_ p: ParsedFlags) throws(OCIError) -> CgroupResources {
        var r = CgroupResources()
        if let source = p.values["resources"] {
            let bytes = source == "-" ? try Files.read(fd: 0, what: "stdin", limit: 1 << 20)
                                      : try Files.read(source, limit: 1 << 20)
            let json: JSON
            do throws(JSONError) {
                json = try JSON.parse(bytes)
            } catch {
                throw OCIError("--resources \(source): \(error)")
            }
            guard json.object != nil else { throw OCIError("--resources \(source): expected a JSON object") }
            r = try CgroupResources.parse(FieldReader(json: json, path: "resources"))
        }
        var f = CgroupResources()
        if let v = p.values["memory"] { f.memoryLimit = try size(v, "memory") }
        if let v = p.values["memory-reservation"] { f.memoryReservation = try size(v, "memory-reservation") }
        if let v = p.values["memory-swap"] { f.memorySwap = try size(v, "memory-swap") }
        if let v = p.values["cpu-share"] { f.cpuShares = UInt64(try number(v, "cpu-share", min: 0)) }
        if let v = p.values["cpu-quota"] { f.cpuQuota = try number(v, "cpu-quota", min: -1) }
        if let v = p.values["cpu-period"] { f.cpuPeriod = UInt64(try number(v, "cpu-period", min: 0)) }
        if let v = p.values["cpuset-cpus"] { f.cpusetCPUs = v }
        if let v = p.values["cpuset-mems"] { f.cpusetMems = v }
        if let v = p.values["pids-limit"] { f.pidsLimit = try number(v, "pids-limit", min: -1) }
        for name in ["kernel-memory", "kernel-memory-tcp", "cpu-rt-period", "cpu-rt-runtime", "blkio-weight",
                     "l3-cache-schema", "mem-bw-schema"] where p.values[name] != nil {
            throw OCIError("update --\(name) is not supported by ukvm-oci")
        }
        return r.merged(with: f)
    }

    static func number(_ text: String, _ flag: String, min: Int64) throws(OCIError) -> Int64 {
        guard let v = Int64(text), v >= min else { throw OCIError("--\(flag) \"\(text)\": expected an integer") }
        return v
    }

    /// "1048576", "64m", "64MiB", "1g", "-1".
    static func size(_ text: String, _ flag: String) throws(OCIError) -> Int64 {
        if text == "-1" { return -1 }
        let lower = text.lowercased()
        let digits = lower.prefix { $0 >= "0" && $0 <= "9" }
        var unit = String(lower.dropFirst(digits.count))
        if unit.hasSuffix("ib") { unit.removeLast(2) } else if unit.hasSuffix("b") { unit.removeLast() }
        let shifts: [String: Int64] = ["": 0, "k": 10, "m": 20, "g": 30, "t": 40]
        guard let n = Int64(digits), let shift = shifts[unit], n <= Int64.max >> shift else {
            throw OCIError("--\(flag) \"\(text)\": expected a size in bytes (64m, 1g, -1)")
        }
        return n << shift
    }

    /// "5s", "500ms", "1m", or seconds; microseconds.
    static func duration(_ text: String) throws(OCIError) -> UInt64 {
        let digits = text.prefix { $0 >= "0" && $0 <= "9" }
        let unit = text.dropFirst(digits.count)
        let scale: [Substring: UInt64] = ["": 1_000_000, "s": 1_000_000, "ms": 1000, "m": 60_000_000]
        guard let n = UInt64(digits), n > 0, let s = scale[unit] else {
            throw OCIError("--interval \"\(text)\": expected a duration (5s, 500ms)")
        }
        return n * s
    }
}
