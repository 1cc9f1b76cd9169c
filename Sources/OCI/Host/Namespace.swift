// Namespace.swift: entering the container's network namespace. Only the
// network namespace matters to a unikernel: its devices are KVM's, and the
// monitor itself needs the host's files (/dev/kvm, the opened images).

import COCI
import Glibc

enum Namespace {
    /// Opens the namespace file at `path` (checked at create, joined later).
    static func open(_ path: String) throws(OCIError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("network namespace \(path)", errno: errno) }
        return fd
    }

    /// Moves the calling process (single-threaded) into the namespace.
    static func join(fd: Int32, path: String) throws(OCIError) {
        guard coci_setns_net(fd) == 0 else { throw .system("setns to \(path)", errno: errno) }
    }

    /// A new, empty network namespace for the calling process.
    static func unshareNetwork() throws(OCIError) {
        guard coci_unshare_net() == 0 else { throw .system("unshare(CLONE_NEWNET)", errno: errno) }
    }
}
