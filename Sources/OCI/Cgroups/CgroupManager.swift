// CgroupManager.swift: one container's cgroup, behind one interface for
// both hierarchies (CgroupV1, CgroupV2), in the shape of runc's Manager:
// create and enter, set limits, freeze and thaw, figures, processes,
// removal. `Cgroups.manager` picks the implementation for this host.

protocol CgroupManager {
    /// The cgroup's path from the hierarchy's root ("/default/ID").
    var path: String { get }
    /// 1 or 2.
    var version: Int { get }
    /// Creates the cgroup (in every hierarchy) and moves `pid` into it.
    func apply(pid: Int32) throws(OCIError)
    /// Writes the limits `resources` sets; leaves the others.
    func set(_ resources: CgroupResources) throws(OCIError)
    func freeze() throws(OCIError)
    func thaw() throws(OCIError)
    var isFrozen: Bool { get }
    func stats() -> CgroupStats
    /// The processes in the cgroup.
    func pids() -> [Int32]
    /// Removes the cgroup (its processes gone); a missing one is no error.
    func destroy() throws(OCIError)
}

enum Cgroups {
    /// The manager of cgroup `path` on this host's hierarchies.
    static func manager(path: String, mounts: CgroupMounts) throws(OCIError) -> CgroupManager {
        switch mounts.version {
        case 1: return CgroupV1(path: path, mounts: mounts)
        case 2: return CgroupV2(path: path, mountpoint: mounts.unified!)
        default: throw OCIError("no cgroup file system is mounted (neither v1 controllers nor cgroup2)")
        }
    }

    /// The cgroup path for a container: linux.cgroupsPath resolved against
    /// the cgroup this process is in (for a relative path) on this host.
    static func path(_ cgroupsPath: String?, id: String, systemd: Bool, mounts: CgroupMounts) throws(OCIError)
        -> String {
        if systemd && Files.exists("/run/systemd/system") {
            throw OCIError("--systemd-cgroup: systemd runs on this host, and ukvm-oci does not ask it for "
                + "a scope (D-Bus); configure the engine with the cgroupfs driver (docs/oci.md)")
        }
        let own = CgroupMounts.own()
        let ownPath = mounts.version == 2 ? own[""] : own["memory"] ?? own["cpu"]
        return try CgroupPath.resolve(cgroupsPath, id: id, systemd: systemd, own: ownPath ?? "/")
    }

    /// The manager recorded in a container's state.
    static func manager(recorded path: String, version: Int) throws(OCIError) -> CgroupManager {
        let mounts = try CgroupMounts.current()
        guard mounts.version == version else {
            throw OCIError("the container's cgroup is v\(version), but this host now has v\(mounts.version ?? 0)")
        }
        return try manager(path: path, mounts: mounts)
    }
}
