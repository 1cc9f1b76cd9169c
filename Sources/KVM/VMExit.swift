// VMExit.swift: why KVM_RUN returned, decoded from struct kvm_run.

/// Why KVM_RUN returned, decoded from struct kvm_run.
package enum VMExit: Equatable {
    /// Port I/O (the hypercall path). `value` holds the first 4 bytes of data
    /// for an OUT of size 4, else 0.
    case io(port: UInt16, out: Bool, size: UInt8, count: UInt32, value: UInt32)
    case mmio(address: UInt64, isWrite: Bool)
    case hlt
    /// Triple fault.
    case shutdown
    case internalError(suberror: UInt32)
    case failEntry(reason: UInt64)
    /// KVM_RUN returned EINTR/EAGAIN (a signal).
    case interrupted
    /// KVM_RUN returned EFAULT: the guest touched memory the monitor's
    /// mapping does not let it (a write to a read-only page).
    case memoryFault
    /// KVM_EXIT_DEBUG: a debugger's single step (exception 1) or int3
    /// (exception 3) at `pc`; only with KVM_SET_GUEST_DEBUG on.
    case debug(exception: UInt32, pc: UInt64)
    case other(reason: UInt32)
}
