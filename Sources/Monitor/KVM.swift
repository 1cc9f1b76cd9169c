// KVM.swift: typed wrappers over the KVM ioctls the monitor uses.
//
// KVM -> VM -> VCPU: each object owns its file descriptor and closes it in
// deinit; only the parent creates a child, and a child keeps its parent
// alive. Only `VCPU.run()` is on the hot path.

import CKVM
import Glibc

/// Why KVM_RUN returned, decoded from struct kvm_run.
enum VMExit: Equatable {
    /// Port I/O (the hypercall path). `value` holds the first 4 bytes of data
    /// for an OUT of size 4, else 0.
    case io(port: UInt16, out: Bool, size: UInt8, count: UInt32, value: UInt32)
    case mmio(address: UInt64, isWrite: Bool)
    case hlt
    /// Triple fault.
    case shutdown
    case internalError(suberror: UInt32)
    case failEntry(reason: UInt64)
    /// KVM_RUN returned EINTR/EAGAIN (a signal, or immediate_exit).
    case interrupted
    case other(reason: UInt32)
}

final class KVM {
    let fd: Int32
    static let apiVersion: Int32 = 12

    /// Opens /dev/kvm and checks the API version.
    init(path: String = "/dev/kvm") throws(MonitorError) {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .setup("\(path): \(errnoText(errno))") }
        let version = ckvm_ioctl_value(fd, ckvm_KVM_GET_API_VERSION, 0)
        guard version == KVM.apiVersion else {
            close(fd)
            throw .setup("\(path): KVM API version \(version), expected \(KVM.apiVersion)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The size of the per-vCPU kvm_run mapping.
    /// The corresponding ioctl is `KVM_GET_VCPU_MMAP_SIZE`.
    func vcpuMmapSize() throws(KVMError) -> Int {
        let n = ckvm_ioctl_value(fd, ckvm_KVM_GET_VCPU_MMAP_SIZE, 0)
        guard n > 0 else { throw KVMError("KVM_GET_VCPU_MMAP_SIZE") }
        return Int(n)
    }

    /// The corresponding ioctl is `KVM_CREATE_VM`.
    func createVM() throws(KVMError) -> VM {
        let vmfd = ckvm_ioctl_value(fd, ckvm_KVM_CREATE_VM, 0)
        guard vmfd >= 0 else { throw KVMError("KVM_CREATE_VM") }
        return VM(kvm: self, fd: vmfd)
    }

    /// The host's supported CPUID entries, as a kvm_cpuid2 buffer the caller
    /// must deallocate. The corresponding ioctl is `KVM_GET_SUPPORTED_CPUID`.
    func supportedCPUID() throws(KVMError) -> UnsafeMutableRawPointer {
        var entries: UInt32 = 64
        while true {
            let size = ckvm_cpuid2_size(entries)
            let buffer = UnsafeMutableRawPointer.allocate(
                byteCount: size, alignment: MemoryLayout<kvm_cpuid2>.alignment)
            memset(buffer, 0, size)
            buffer.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent = entries
            if ckvm_ioctl(fd, ckvm_KVM_GET_SUPPORTED_CPUID, buffer) == 0 { return buffer }
            let e = errno
            buffer.deallocate()
            guard e == E2BIG, entries < 4096 else {
                throw KVMError("KVM_GET_SUPPORTED_CPUID", errno: e)
            }
            entries *= 2
        }
    }
}

final class VM {
    let kvm: KVM
    let fd: Int32

    fileprivate init(kvm: KVM, fd: Int32) {
        self.kvm = kvm
        self.fd = fd
    }

    deinit { close(fd) }

    /// Maps `memory` at guest-physical 0 as slot 0. The memory must outlive
    /// the VM (KVM keeps the host pointer).
    /// The corresponding ioctl is `KVM_SET_USER_MEMORY_REGION`.
    func setMemory(_ memory: GuestMemory) throws(KVMError) {
        var region = kvm_userspace_memory_region()
        region.slot = 0
        region.flags = 0
        region.guest_phys_addr = 0
        region.memory_size = memory.size
        region.userspace_addr = UInt64(UInt(bitPattern: memory.base))
        guard ckvm_ioctl(fd, ckvm_KVM_SET_USER_MEMORY_REGION, &region) == 0 else {
            throw KVMError("KVM_SET_USER_MEMORY_REGION")
        }
    }

    /// The corresponding ioctl is `KVM_CREATE_VCPU`, then mmap of kvm_run.
    func createVCPU(id: UInt) throws(KVMError) -> VCPU {
        let size = try kvm.vcpuMmapSize()
        let vcpufd = ckvm_ioctl_value(fd, ckvm_KVM_CREATE_VCPU, id)
        guard vcpufd >= 0 else { throw KVMError("KVM_CREATE_VCPU") }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpufd, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
            let e = errno
            close(vcpufd)
            throw KVMError("mmap(kvm_run)", errno: e)
        }
        return VCPU(vm: self, fd: vcpufd, run: p, runSize: size)
    }
}

final class VCPU {
    let vm: VM
    let fd: Int32
    /// The shared struct kvm_run.
    let state: UnsafeMutablePointer<kvm_run>
    private let runSize: Int
    private let runRequest = ckvm_KVM_RUN

    fileprivate init(vm: VM, fd: Int32, run: UnsafeMutableRawPointer, runSize: Int) {
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
    func registers() throws(KVMError) -> kvm_regs {
        var regs = kvm_regs()
        guard ckvm_ioctl(fd, ckvm_KVM_GET_REGS, &regs) == 0 else { throw KVMError("KVM_GET_REGS") }
        return regs
    }

    /// The corresponding ioctl is `KVM_SET_REGS`.
    func setRegisters(_ regs: kvm_regs) throws(KVMError) {
        var regs = regs
        guard ckvm_ioctl(fd, ckvm_KVM_SET_REGS, &regs) == 0 else { throw KVMError("KVM_SET_REGS") }
    }

    /// The corresponding ioctl is `KVM_GET_SREGS`.
    func specialRegisters() throws(KVMError) -> kvm_sregs {
        var sregs = kvm_sregs()
        guard ckvm_ioctl(fd, ckvm_KVM_GET_SREGS, &sregs) == 0 else { throw KVMError("KVM_GET_SREGS") }
        return sregs
    }

    /// The corresponding ioctl is `KVM_SET_SREGS`.
    func setSpecialRegisters(_ sregs: kvm_sregs) throws(KVMError) {
        var sregs = sregs
        guard ckvm_ioctl(fd, ckvm_KVM_SET_SREGS, &sregs) == 0 else { throw KVMError("KVM_SET_SREGS") }
    }

    /// Passes the host's supported CPUID through to the guest, and says
    /// whether it has FSGSBASE (leaf 7, subleaf 0, EBX bit 0).
    /// The corresponding ioctls are `KVM_GET_SUPPORTED_CPUID`, `KVM_SET_CPUID2`.
    func setSupportedCPUID() throws(KVMError) -> Bool {
        let cpuid = try vm.kvm.supportedCPUID()
        defer { cpuid.deallocate() }
        guard ckvm_ioctl(fd, ckvm_KVM_SET_CPUID2, cpuid) == 0 else { throw KVMError("KVM_SET_CPUID2") }
        let count = Int(cpuid.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent)
        let entries = (cpuid + MemoryLayout<kvm_cpuid2>.size).assumingMemoryBound(to: kvm_cpuid_entry2.self)
        for i in 0..<count where entries[i].function == 7 && entries[i].index == 0 {
            return entries[i].ebx & 1 != 0
        }
        return false
    }

    /// The guest TSC frequency in Hz. The corresponding ioctl is `KVM_GET_TSC_KHZ`.
    func tscFrequency() throws(KVMError) -> UInt64 {
        let khz = ckvm_ioctl_value(fd, ckvm_KVM_GET_TSC_KHZ, 0)
        guard khz > 0 else { throw KVMError("KVM_GET_TSC_KHZ") }
        return UInt64(khz) * 1000
    }

    /// Where a signal handler writes 1 to make KVM_RUN return at once.
    var immediateExit: UnsafeMutablePointer<UInt8> {
        UnsafeMutablePointer(mutating: ckvm_run_immediate_exit(state))
    }

    /// Runs the vCPU until the next exit. The corresponding ioctl is `KVM_RUN`.
    @inline(__always)
    func run() throws(KVMError) -> VMExit {
        if ckvm_ioctl_value(fd, runRequest, 0) != 0 {
            let e = errno
            if e == EINTR || e == EAGAIN { return .interrupted }
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
        default:
            return .other(reason: reason)
        }
    }
}
