// KVMError.swift: a failed KVM ioctl, with the errno it left.

import Glibc

/// A failed KVM ioctl. Prints as "KVM_SET_SREGS: Invalid argument (errno 22)".
struct KVMError: Error, CustomStringConvertible {
    /// The ioctl, e.g. "KVM_SET_SREGS".
    let op: StaticString
    let errno: Int32

    /// Captures `errno` right after the failed call.
    init(_ op: StaticString, errno: Int32 = Glibc.errno) {
        self.op = op
        self.errno = errno
    }

    var description: String { "\(op): \(errnoText(errno)) (errno \(errno))" }
}
