// CgroupPlacement.swift: the container process's cgroup at `create`: which
// one (linux.cgroupsPath, --systemd-cgroup), and putting the process in it
// with its limits before the process does anything (it waits on a pipe
// until then), as runc's Apply and Set do.

import Glibc

enum CgroupPlacement {
    /// The manager of the cgroup `spec` names for container `id`.
    static func manager(_ spec: RuntimeSpec, id: String, systemd: Bool) throws(OCIError) -> CgroupManager {
        let mounts = try CgroupMounts.current()
        let path = try Cgroups.path(spec.cgroupsPath, id: id, systemd: systemd, mounts: mounts)
        return try Cgroups.manager(path: path, mounts: mounts)
    }

    /// Creates the cgroup, moves `pid` in, applies `resources`; on failure
    /// removes what it made (the caller kills the process first).
    static func place(pid: Int32, in cgroup: CgroupManager, resources: CgroupResources) throws(OCIError) {
        do throws(OCIError) {
            try cgroup.apply(pid: pid)
            try cgroup.set(resources)
        } catch {
            throw OCIError("cgroup \(cgroup.path): \(error.message)")
        }
    }
}
