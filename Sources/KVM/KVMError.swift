// KVMError.swift: a failed KVM ioctl, with the errno it left, and why
// there is no KVM to use.

import Glibc
import Support

/// A failed KVM ioctl. Prints as "KVM_SET_SREGS: Invalid argument (errno 22)".
package struct KVMError: Error, CustomStringConvertible {
    /// The ioctl, e.g. "KVM_SET_SREGS".
    package let op: StaticString
    package let errno: Int32

    /// Captures `errno` right after the failed call.
    package init(_ op: StaticString, errno: Int32 = Glibc.errno) {
        self.op = op
        self.errno = errno
    }

    package var description: String { "\(op): \(errnoText(errno)) (errno \(errno))" }
}

/// /dev/kvm cannot be opened, or speaks another API version: the reason,
/// e.g. "/dev/kvm: No such file or directory".
package struct KVMUnavailable: Error, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }
}
