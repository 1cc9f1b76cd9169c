// ContainerFiles.swift: opening a file by its path inside the container:
// in a bind mount of the spec when one covers the path, else in the rootfs.
//
// The rootfs comes from the image, which is hostile input: a symlink in it
// must not reach the host's files (a "disk" linked to /dev/sda). Paths are
// opened with openat2(RESOLVE_IN_ROOT), so symlinks and ".." resolve as if
// the rootfs (or the bind mount's source) were "/", as O_PATH, and only a
// regular file is then opened (Host/CheckedOpen.swift). Files are opened here,
// at create, and the monitor gets them as /proc/self/fd/N: nothing swaps
// them between the checks and the run.

import COCI
import Glibc
import Support

struct ContainerFiles {
    let rootfs: String
    let mounts: [RuntimeSpec.Mount]

    /// Opens `path` (absolute, inside the container) with `flags`; returns
    /// the fd (O_CLOEXEC) and where it was found, for messages. The path is
    /// resolved to an O_PATH descriptor first and its type checked before
    /// anything is opened (CheckedOpen).
    func open(_ path: String, flags: Int32) throws(OCIError) -> (fd: Int32, source: String) {
        guard path.hasPrefix("/") else {
            throw OCIError("\(path): not an absolute path inside the container")
        }
        let (base, rest) = locate(path)
        if rest.isEmpty {
            // The path is a bind mount's destination itself: its source, a
            // host path the operator chose, is taken as it is.
            let what = "\(path) (bind mount of \(base))"
            let pathFD = Glibc.open(base, coci_O_PATH | O_CLOEXEC)
            guard pathFD >= 0 else { throw .system(what, errno: errno) }
            defer { close(pathFD) }
            return (try CheckedOpen.reopen(pathFD, flags: flags, origin: .bindMount, what: what), base)
        }
        let dir = Glibc.open(base, coci_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw .system(base, errno: errno) }
        defer { close(dir) }
        let where_ = base == rootfs ? "the container's rootfs" : "bind mount \(base)"
        let pathFD = coci_open_in_root(dir, rest, coci_O_PATH)
        guard pathFD >= 0 else {
            throw OCIError("\(path): \(errnoText(errno)) (in \(where_))")
        }
        defer { close(pathFD) }
        let fd = try CheckedOpen.reopen(pathFD, flags: flags, origin: .image, what: "\(path) (in \(where_))")
        return (fd, base == rootfs ? "rootfs" : base)
    }

    /// The host directory or file a container path starts from, and the
    /// rest of the path below it: the bind mount with the longest matching
    /// destination, else the rootfs.
    func locate(_ path: String) -> (base: String, rest: String) {
        let clean = ContainerFiles.components(path)
        var best: (mount: RuntimeSpec.Mount, depth: Int)?
        for m in mounts where m.isBind && m.source.hasPrefix("/") {
            let dest = ContainerFiles.components(m.destination)
            guard dest.count <= clean.count, Array(clean.prefix(dest.count)) == dest else { continue }
            if best == nil || dest.count >= best!.depth { best = (m, dest.count) }
        }
        if let best {
            return (best.mount.source, clean.dropFirst(best.depth).joined(separator: "/"))
        }
        return (rootfs, clean.joined(separator: "/"))
    }

    /// The path's components without empty and "." parts ("..": kept, and
    /// resolved by openat2 inside the root).
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }
}
