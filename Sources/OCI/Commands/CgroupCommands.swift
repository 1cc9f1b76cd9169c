// CgroupCommands.swift: the commands that act on the container's cgroup:
// `pause` and `resume` (the freezer), `update` (limits that can change
// while the guest runs), `events` (figures, as runc prints them).

import Glibc
import JSON
import Monitor

extension Runtime {
    /// Freezes the container's cgroup: the monitor, and with it the guest,
    /// stops being scheduled.
    func pause(_ id: String) throws(OCIError) {
        let state = try store.load(id)
        let status = store.status(state)
        guard status == .running else {
            throw OCIError(status == .paused ? "container \(id) is already paused" : "container not running")
        }
        try state.requireCgroup().freeze()
    }

    func resume(_ id: String) throws(OCIError) {
        let state = try store.load(id)
        guard store.status(state) == .paused else { throw OCIError("container not paused") }
        try state.requireCgroup().thaw()
    }

    /// Applies new limits. Guest memory is fixed at boot (the hvt ABI has no
    /// ballooning): a memory limit is taken only if the guest and its
    /// monitor still fit under it (MemoryBudget).
    func update(_ id: String, _ p: ParsedFlags) throws(OCIError) {
        let state = try store.load(id)
        guard store.status(state) != .stopped else { throw OCIError("container not running") }
        let resources = try UpdateFlags.resources(p)
        if let limit = resources.memoryLimit, limit > 0, let guest = state.memoryMiB,
           !MemoryBudget.fits(guestMiB: guest, limit: UInt64(limit)) {
            throw MemoryBudget.tooSmall(limit: UInt64(limit), guestMiB: guest, what: "update")
        }
        try state.requireCgroup().set(resources)
    }

    /// `events --stats`: one stats event. `events`: one every interval, and
    /// an "oom" event when the cgroup's OOM count grows, until the
    /// container stops.
    func events(_ id: String, stats once: Bool, interval text: String) throws(OCIError) {
        let state = try store.load(id)
        guard store.status(state) != .stopped else { throw OCIError("container not running") }
        let cgroup = try state.requireCgroup()
        if once {
            UkvmOCI.write(stdout: Runtime.event("stats", id: id, data: cgroup.stats().json) + "\n")
            return
        }
        let micros = try UpdateFlags.duration(text)
        var ooms = cgroup.oomKills
        while store.status(state) != .stopped {
            UkvmOCI.write(stdout: Runtime.event("stats", id: id, data: cgroup.stats().json) + "\n")
            let now = cgroup.oomKills
            if now > ooms { UkvmOCI.write(stdout: Runtime.event("oom", id: id, data: nil) + "\n") }
            ooms = now
            usleep(useconds_t(min(micros, UInt64(UInt32.max))))
        }
    }

    static func event(_ type: String, id: String, data: JSON?) -> String {
        var members: [(String, JSON)] = [("type", .string(type)), ("id", .string(id))]
        if let data { members.append(("data", data)) }
        return JSON.object(members).serialized
    }

    /// The container's processes: its cgroup's (the monitor alone), or the
    /// monitor's PID for a container without one.
    func containerPIDs(_ state: ContainerState) -> [Int32] {
        guard store.status(state) != .stopped else { return [] }
        let pids = state.cgroup?.pids() ?? []
        return pids.isEmpty ? [state.pid] : pids
    }
}

extension CgroupManager {
    /// OOM kills so far (memory.oom_control on v1, memory.events on v2).
    var oomKills: UInt64 {
        switch self {
        case let v1 as CgroupV1:
            return v1.dir("memory").map { CgroupFiles.keyed($0, "memory.oom_control") }?
                .first { $0.0 == "oom_kill" }?.1 ?? 0
        case let v2 as CgroupV2:
            return CgroupFiles.keyed(v2.dir, "memory.events").first { $0.0 == "oom_kill" }?.1 ?? 0
        default:
            return 0
        }
    }
}
