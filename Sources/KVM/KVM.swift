// KVM.swift: typed wrappers over the KVM ioctls the monitor uses.
//
// KVM -> VM -> VCPU: each object owns its file descriptor and closes it in
// deinit; only the parent creates a child, and a child keeps its parent
// alive. Only `VCPU.run()` is on the hot path.

import CKVM
import Glibc
import Support

package final class KVM {
    package let fd: Int32
    package static let apiVersion = Int32(KVM_API_VERSION)

    /// Opens /dev/kvm and checks the API version.
    package init(path: String = "/dev/kvm") throws(KVMUnavailable) {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw KVMUnavailable(reason: "\(path): \(errnoText(errno))") }
        let version = ckvm_ioctl_value(fd, ckvm_KVM_GET_API_VERSION, 0)
        guard version == KVM.apiVersion else {
            close(fd)
            throw KVMUnavailable(reason: "\(path): KVM API version \(version), expected \(KVM.apiVersion)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The size of the per-vCPU kvm_run mapping.
    /// The corresponding ioctl is `KVM_GET_VCPU_MMAP_SIZE`.
    package func vcpuMmapSize() throws(KVMError) -> Int {
        let n = ckvm_ioctl_value(fd, ckvm_KVM_GET_VCPU_MMAP_SIZE, 0)
        guard n > 0 else { throw KVMError("KVM_GET_VCPU_MMAP_SIZE") }
        return Int(n)
    }

    /// The corresponding ioctl is `KVM_CREATE_VM`.
    package func createVM() throws(KVMError) -> VM {
        let vmfd = ckvm_ioctl_value(fd, ckvm_KVM_CREATE_VM, 0)
        guard vmfd >= 0 else { throw KVMError("KVM_CREATE_VM") }
        return VM(kvm: self, fd: vmfd)
    }

    /// The CPUID entries KVM supports on this host, asked of KVM (the
    /// monitor asks SupportedCPUIDCache first: VCPU.setSupportedCPUID).
    /// The corresponding ioctl is `KVM_GET_SUPPORTED_CPUID`.
    package func supportedCPUID() throws(KVMError) -> CPUIDEntries {
        // KVM_MAX_CPUID_ENTRIES (256 since Linux 5.16; 80 before): room for
        // all in one call. Each call runs CPUID for every leaf, and under a
        // hypervisor (kvm-pvm) each CPUID is an exit: a call refused with
        // E2BIG cost as much as the boot's other KVM set-up together.
        var entries: UInt32 = 256
        while true {
            let size = ckvm_cpuid2_size(entries)
            let buffer = UnsafeMutableRawPointer.allocate(
                byteCount: size, alignment: MemoryLayout<kvm_cpuid2>.alignment)
            defer { buffer.deallocate() }
            memset(buffer, 0, size)
            buffer.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent = entries
            if ckvm_ioctl(fd, ckvm_KVM_GET_SUPPORTED_CPUID, buffer) == 0 { return CPUIDEntries(cpuid2: buffer) }
            let e = errno
            guard e == E2BIG, entries < 4096 else {
                throw KVMError("KVM_GET_SUPPORTED_CPUID", errno: e)
            }
            entries *= 2
        }
    }
}

package final class VM {
    package let kvm: KVM
    package let fd: Int32

    fileprivate init(kvm: KVM, fd: Int32) {
        self.kvm = kvm
        self.fd = fd
    }

    deinit { close(fd) }

    /// Maps the `size` bytes at `base` at guest-physical 0 as slot 0. The
    /// memory must outlive the VM (KVM keeps the host pointer).
    /// The corresponding ioctl is `KVM_SET_USER_MEMORY_REGION`.
    package func setMemory(base: UnsafeMutableRawPointer, size: UInt64) throws(KVMError) {
        var region = kvm_userspace_memory_region()
        region.slot = 0
        region.flags = 0
        region.guest_phys_addr = 0
        region.memory_size = size
        region.userspace_addr = UInt64(UInt(bitPattern: base))
        guard ckvm_ioctl(fd, ckvm_KVM_SET_USER_MEMORY_REGION, &region) == 0 else {
            throw KVMError("KVM_SET_USER_MEMORY_REGION")
        }
    }

    /// Whether the VM has `capability` (KVM_CAP_...).
    /// The corresponding ioctl is `KVM_CHECK_EXTENSION`.
    package func has(_ capability: Int32) -> Bool {
        ckvm_ioctl_value(fd, ckvm_KVM_CHECK_EXTENSION, UInt(capability)) > 0
    }

    /// Makes a `length`-byte write to I/O port `port` signal the eventfd
    /// `eventFD` inside KVM, instead of exiting to the monitor.
    /// The corresponding ioctl is `KVM_IOEVENTFD`.
    package func signalOnPortWrite(port: UInt16, length: UInt32, eventFD: Int32) throws(KVMError) {
        var e = kvm_ioeventfd()
        e.addr = UInt64(port)
        e.len = length
        e.fd = eventFD
        e.flags = ckvm_KVM_IOEVENTFD_FLAG_PIO
        guard ckvm_ioctl(fd, ckvm_KVM_IOEVENTFD, &e) == 0 else { throw KVMError("KVM_IOEVENTFD") }
    }

    /// The corresponding ioctl is `KVM_CREATE_VCPU`, then mmap of kvm_run.
    package func createVCPU(id: UInt) throws(KVMError) -> VCPU {
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
