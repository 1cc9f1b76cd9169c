// CheckedOpen.swift: a file the container names is looked at before it is
// opened. The caller resolves the path to an O_PATH descriptor (which opens
// nothing: no FIFO blocks, no device driver runs); its type is checked with
// fstat; only then is it reopened, through /proc/self/fd, with the flags it
// is used with, and checked to be the same inode.
//
// What an image may ship is only regular files: a device node in a layer
// (containerd creates them when not in a user namespace) would hand the
// guest a host disk, a FIFO would hang `create`, a character device would
// run its driver's open. A block device is taken only at a path the
// operator chose: exactly a bind mount's source (docs/oci.md).

import COCI
import Glibc

enum CheckedOpen {
    /// Who chose the file.
    enum Origin {
        /// The image (its rootfs) or a file below a bind-mounted directory:
        /// regular files only.
        case image
        /// Exactly a bind mount's source, a host path the operator named:
        /// a regular file or a block device.
        case bindMount
    }

    /// Reopens `pathFD` (O_PATH) with `flags` once its type is acceptable
    /// for `origin`; `what` names it in messages. Does not close `pathFD`.
    static func reopen(_ pathFD: Int32, flags: Int32, origin: Origin, what: String) throws(OCIError) -> Int32 {
        var before = stat()
        guard fstat(pathFD, &before) == 0 else { throw .system(what, errno: errno) }
        try accept(mode: before.st_mode, origin: origin, what: what)
        // O_NOCTTY, O_NONBLOCK: harmless on the files accepted, and a last
        // guard should the type change under a racing writer (it cannot:
        // the O_PATH descriptor pins the inode).
        let fd = open("/proc/self/fd/\(pathFD)", flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw .system(what, errno: errno) }
        var after = stat()
        guard fstat(fd, &after) == 0, after.st_dev == before.st_dev, after.st_ino == before.st_ino else {
            close(fd)
            throw OCIError("\(what): changed while it was opened")
        }
        // Back to blocking I/O, which the monitor expects of a disk.
        _ = coci_set_blocking(fd)
        return fd
    }

    /// Refuses a file type `origin` may not give.
    static func accept(mode: mode_t, origin: Origin, what: String) throws(OCIError) {
        let type = mode & S_IFMT
        if type == S_IFREG { return }
        if type == S_IFBLK && origin == .bindMount { return }
        let allowed = origin == .image
            ? "only regular files are taken from a container image (a block device only through a bind mount)"
            : "a bind mount must give a regular file or a block device"
        throw OCIError("\(what): \(typeName(type)); \(allowed)")
    }

    static func typeName(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }
}
