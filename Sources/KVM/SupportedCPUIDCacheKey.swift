// SupportedCPUIDCacheKey.swift: what says that a cached
// KVM_GET_SUPPORTED_CPUID answer is this host's answer as it is now. A
// cached answer is used only when every field is equal, byte for byte;
// anything that cannot be read means no key, and then no cache.
//
// KVM computes the answer from the CPU's own CPUID, the kvm module's
// parameters (fixed once it is loaded) and, for AMX state only, the asking
// process's XSAVE permission (ARCH_REQ_XCOMP_GUEST_PERM, which the monitor
// never asks for, so every monitor gets the same answer).

import Glibc

package struct SupportedCPUIDCacheKey: Equatable {
    /// Bumped whenever the file's layout or the key's fields change: an old
    /// file is then a miss, never misread.
    static let formatVersion: UInt32 = 1

    /// The fields below in a fixed layout (little-endian, as the host).
    package let bytes: [UInt8]

    /// The key of `kvmFD` (an open /dev/kvm) on this host now, or nil if
    /// some part of it cannot be read.
    package static func current(kvmFD: Int32) -> SupportedCPUIDCacheKey? {
        var st = stat()
        guard fstat(kvmFD, &st) == 0, let bootID = bootID() else { return nil }
        var b = Bytes()
        // The file's layout and the size of struct kvm_cpuid_entry2 as this
        // monitor was built: another build may lay the entries out otherwise.
        b.append(formatVersion)
        b.append(UInt32(CPUIDEntries.entrySize))
        // The API version the entries were asked through (KVM checks it at
        // open: KVM.init).
        b.append(UInt32(bitPattern: KVM.apiVersion))
        b.append(UInt32(0))
        // A reboot may bring another kernel, another kvm, another CPU.
        b.bytes += bootID
        // The kvm module that answered: reloading it (or kvm_amd, kvm_intel,
        // kvm_pvm, whose parameters shape the answer) makes a new /dev/kvm
        // node, with a new inode and change time. A chmod or chown of the
        // node changes its change time too: a needless miss, never a wrong hit.
        b.append(UInt64(st.st_rdev))
        b.append(UInt64(st.st_ino))
        b.append(UInt64(bitPattern: Int64(st.st_ctim.tv_sec)))
        b.append(UInt64(bitPattern: Int64(st.st_ctim.tv_nsec)))
        // A late microcode load can change the CPU's CPUID bits (a new
        // mitigation's bit, say) without a reboot. Not readable in most
        // virtual machines: then the boot id has to do.
        let microcode = microcodeRevision()
        b.append(UInt64(microcode == nil ? 0 : 1))
        b.append(microcode ?? 0)
        return b.bytes.count == size ? SupportedCPUIDCacheKey(bytes: b.bytes) : nil
    }

    /// The key's size: what the cache file's header holds of it.
    package static let size = 4 * 4 + 36 + 4 * 8 + 2 * 8

    /// Made by `current` or read back from a cache file.
    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// This boot's id: 36 characters, the same for every process until the
    /// kernel reboots.
    private static func bootID() -> [UInt8]? {
        guard let text = smallFile("/proc/sys/kernel/random/boot_id") else { return nil }
        let id = Array(text.prefix { $0 != UInt8(ascii: "\n") })
        return id.count == 36 ? id : nil
    }

    /// CPU 0's microcode revision, if the kernel shows it.
    private static func microcodeRevision() -> UInt64? {
        guard let text = smallFile("/sys/devices/system/cpu/cpu0/microcode/version") else { return nil }
        let digits = text.prefix { $0 != UInt8(ascii: "\n") }.dropFirst(text.starts(with: Array("0x".utf8)) ? 2 : 0)
        return UInt64(String(decoding: digits, as: UTF8.self), radix: 16)
    }

    /// The first bytes of a small kernel file (at most 63), or nil.
    private static func smallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 63) }
        return n > 0 ? Array(buffer[..<n]) : nil
    }
}

/// Little-endian fields appended in order (the cache file's header).
struct Bytes {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
