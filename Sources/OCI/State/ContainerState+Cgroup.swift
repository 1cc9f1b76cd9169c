// ContainerState+Cgroup.swift: the manager of the cgroup a container's
// state records.

extension ContainerState {
    /// The container's cgroup; nil if it has none recorded or this host's
    /// hierarchy is not the one it was made on.
    var cgroup: CgroupManager? {
        guard let cgroupPath, let cgroupVersion else { return nil }
        return try? Cgroups.manager(recorded: cgroupPath, version: cgroupVersion)
    }

    /// The cgroup, or why there is none.
    func requireCgroup() throws(OCIError) -> CgroupManager {
        guard let cgroupPath, let cgroupVersion else {
            throw OCIError("container \(id) has no cgroup recorded (made by an older ukvm-oci)")
        }
        return try Cgroups.manager(recorded: cgroupPath, version: cgroupVersion)
    }
}
