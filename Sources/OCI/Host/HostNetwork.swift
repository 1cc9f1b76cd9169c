// HostNetwork.swift: telling the host's network namespace from a
// container's own. An engine asked for host networking may still pass a
// namespace path (Docker's `--network host` names its daemon's namespace
// through a bind mount of it), so the path is compared by identity: two
// nsfs files are the same namespace when st_dev and st_ino match. The
// host's is PID 1's, and the runtime's own (the namespace the engine runs
// in, which is what "host" means to it, e.g. a daemon started inside a
// namespace of its own).

import Glibc

enum HostNetwork {
    /// The namespaces that count as the host's.
    static let hostPaths = ["/proc/1/ns/net", "/proc/self/ns/net"]

    /// (st_dev, st_ino) of a namespace file, following bind mounts and
    /// /proc's magic links to the namespace itself.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Whether `path` is the host's network namespace (PID 1's, or the
    /// runtime's own). A path that cannot be read is not judged here:
    /// opening it fails later with its own message.
    static func isHost(_ path: String) -> Bool {
        guard let id = identity(path) else { return false }
        return hostPaths.contains { identity($0).map { $0 == id } ?? false }
    }
}
