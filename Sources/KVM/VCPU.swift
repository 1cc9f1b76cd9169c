// VCPU.swift: one vCPU: its registers, its CPUID, and KVM_RUN, the only
// ioctl on the hot path.

import CKVM
import Glibc

package final class VCPU {
    package let vm: VM
    package let fd: Int32
    /// The shared struct kvm_run.
    package let state: UnsafeMutablePointer<kvm_run>
    private let runSize: Int
    private let runRequest = ckvm_KVM_RUN

    /// Made by `VM.createVCPU` only.
    package init(vm: VM, fd: Int32, run: UnsafeMutableRawPointer, runSize: Int) {
        self.vm = vm
        self.fd = fd
        self.state = run.bindMemory(to: kvm_run.self, capacity: 1)
        self.runSize = runSize
    }

    deinit {
        munmap(UnsafeMutableRawPointer(state), runSize)
        close(fd)
    }

    /// The corresponding ioctl is `KVM_GET_REGS`.
    package func registers() throws(KVMError) -> kvm_regs {
        var regs = kvm_regs()
        guard ckvm_ioctl(fd, ckvm_KVM_GET_REGS, &regs) == 0 else { throw KVMError("KVM_GET_REGS") }
        return regs
    }

    /// The corresponding ioctl is `KVM_SET_REGS`.
    package func setRegisters(_ regs: kvm_regs) throws(KVMError) {
        var regs = regs
        guard ckvm_ioctl(fd, ckvm_KVM_SET_REGS, &regs) == 0 else { throw KVMError("KVM_SET_REGS") }
    }

    /// The corresponding ioctl is `KVM_GET_SREGS`.
    package func specialRegisters() throws(KVMError) -> kvm_sregs {
        var sregs = kvm_sregs()
        guard ckvm_ioctl(fd, ckvm_KVM_GET_SREGS, &sregs) == 0 else { throw KVMError("KVM_GET_SREGS") }
        return sregs
    }

    /// The corresponding ioctl is `KVM_SET_SREGS`.
    package func setSpecialRegisters(_ sregs: kvm_sregs) throws(KVMError) {
        var sregs = sregs
        guard ckvm_ioctl(fd, ckvm_KVM_SET_SREGS, &sregs) == 0 else { throw KVMError("KVM_SET_SREGS") }
    }

    /// The x87 and SSE state. The corresponding ioctl is `KVM_GET_FPU`.
    package func fpu() throws(KVMError) -> kvm_fpu {
        var fpu = kvm_fpu()
        guard ckvm_ioctl(fd, ckvm_KVM_GET_FPU, &fpu) == 0 else { throw KVMError("KVM_GET_FPU") }
        return fpu
    }

    /// The corresponding ioctl is `KVM_SET_FPU`.
    package func setFPU(_ fpu: kvm_fpu) throws(KVMError) {
        var fpu = fpu
        guard ckvm_ioctl(fd, ckvm_KVM_SET_FPU, &fpu) == 0 else { throw KVMError("KVM_SET_FPU") }
    }

    /// Sets what KVM intercepts for a debugger: `control` is 0 (nothing) or
    /// KVM_GUESTDBG_ENABLE with KVM_GUESTDBG_USE_SW_BP (int3 exits with
    /// KVM_EXIT_DEBUG) and KVM_GUESTDBG_SINGLESTEP (one instruction, then
    /// KVM_EXIT_DEBUG). The corresponding ioctl is `KVM_SET_GUEST_DEBUG`.
    package func setGuestDebug(control: UInt32) throws(KVMError) {
        var debug = kvm_guest_debug()
        debug.control = control
        guard ckvm_ioctl(fd, ckvm_KVM_SET_GUEST_DEBUG, &debug) == 0 else {
            throw KVMError("KVM_SET_GUEST_DEBUG")
        }
    }

    /// What the entry state needs to know of the vCPU's CPU.
    package struct Features: Equatable {
        /// RDFSBASE/WRFSBASE (leaf 7, subleaf 0, EBX bit 0).
        package var fsgsbase = false
        /// The NX bit in page tables (leaf 0x80000001, EDX bit 20).
        package var nx = false

        package init() {}

        /// What `entries` say.
        init(_ entries: CPUIDEntries) {
            fsgsbase = (entries.entry(function: 7)?.ebx ?? 0) & 1 != 0
            nx = (entries.entry(function: 0x8000_0001)?.edx ?? 0) & (1 << 20) != 0
        }
    }

    /// Passes the host's supported CPUID through to the guest, and says
    /// which of the features the entry state uses it has, as vCPU 0's
    /// (CPUIDEntries.forVCPU: the only vCPU a guest has). The entries come
    /// from `cache` when it holds this host's (SupportedCPUIDCache.swift),
    /// from KVM otherwise, and then go into the cache.
    /// The corresponding ioctls are `KVM_GET_SUPPORTED_CPUID`, `KVM_SET_CPUID2`.
    package func setSupportedCPUID(cache: SupportedCPUIDCache? = nil) throws(KVMError) -> Features {
        let key = cache == nil ? nil : SupportedCPUIDCacheKey.current(kvmFD: vm.kvm.fd)
        // A cached table KVM refuses (a file someone with our uid wrote) is
        // a miss as well: asked again, and replaced.
        if let cache, let key, let cached = cache.load(key: key), setCPUID(cached) == 0 {
            return Features(cached)
        }
        let entries = try vm.kvm.supportedCPUID().forVCPU(apicID: 0)
        guard setCPUID(entries) == 0 else { throw KVMError("KVM_SET_CPUID2") }
        if let cache, let key { cache.store(entries, key: key) }
        return Features(entries)
    }

    /// KVM_SET_CPUID2 with `entries`: 0, or -1 with errno set.
    private func setCPUID(_ entries: CPUIDEntries) -> Int32 {
        entries.withCPUID2 { ckvm_ioctl(fd, ckvm_KVM_SET_CPUID2, $0) }
    }

    /// The guest TSC frequency in Hz. The corresponding ioctl is `KVM_GET_TSC_KHZ`.
    package func tscFrequency() throws(KVMError) -> UInt64 {
        let khz = ckvm_ioctl_value(fd, ckvm_KVM_GET_TSC_KHZ, 0)
        guard khz > 0 else { throw KVMError("KVM_GET_TSC_KHZ") }
        return UInt64(khz) * 1000
    }

    /// The signal mask in force while KVM_RUN runs (Signals.swift).
    /// The corresponding ioctl is `KVM_SET_SIGNAL_MASK`.
    package func setSignalMask(_ mask: UnsafePointer<sigset_t>) throws(KVMError) {
        guard ckvm_set_vcpu_signal_mask(fd, mask) == 0 else { throw KVMError("KVM_SET_SIGNAL_MASK") }
    }

    /// Where a signal handler writes 1 to make KVM_RUN return at once (with
    /// EINTR), even if the signal came just before the call.
    package var immediateExit: UnsafeMutablePointer<UInt8> {
        UnsafeMutablePointer(mutating: ckvm_run_immediate_exit(state))
    }

    /// Runs the vCPU until the next exit. The corresponding ioctl is `KVM_RUN`.
    @inline(__always)
    package func run() throws(KVMError) -> VMExit {
        if ckvm_ioctl_value(fd, runRequest, 0) != 0 {
            let e = errno
            if e == EINTR || e == EAGAIN { return .interrupted }
            if e == EFAULT { return .memoryFault }
            throw KVMError("KVM_RUN", errno: e)
        }
        let reason = ckvm_run_exit_reason(state)
        switch reason {
        case UInt32(KVM_EXIT_IO):
            let out = ckvm_run_io_direction(state) == UInt8(KVM_EXIT_IO_OUT)
            let size = ckvm_run_io_size(state)
            let count = ckvm_run_io_count(state)
            var value: UInt32 = 0
            let offset = ckvm_run_io_data_offset(state)
            if out, size == 4, offset <= UInt64(runSize - 4) {
                value = UnsafeRawPointer(state).loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self)
            }
            return .io(port: ckvm_run_io_port(state), out: out, size: size, count: count, value: value)
        case UInt32(KVM_EXIT_MMIO):
            return .mmio(address: ckvm_run_mmio_phys_addr(state), isWrite: ckvm_run_mmio_is_write(state) != 0)
        case UInt32(KVM_EXIT_HLT):
            return .hlt
        case UInt32(KVM_EXIT_SHUTDOWN):
            return .shutdown
        case UInt32(KVM_EXIT_INTERNAL_ERROR):
            return .internalError(suberror: ckvm_run_internal_suberror(state))
        case UInt32(KVM_EXIT_FAIL_ENTRY):
            return .failEntry(reason: ckvm_run_fail_entry_reason(state))
        case UInt32(KVM_EXIT_INTR):
            return .interrupted
        case UInt32(KVM_EXIT_DEBUG):
            return .debug(exception: ckvm_run_debug_exception(state), pc: ckvm_run_debug_pc(state))
        default:
            return .other(reason: reason)
        }
    }
}
