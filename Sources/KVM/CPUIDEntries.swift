// CPUIDEntries.swift: a CPUID table as KVM speaks it: whole struct
// kvm_cpuid_entry2 records, kept as bytes. KVM_GET_SUPPORTED_CPUID answers
// one, the supported-CPUID cache file holds one (SupportedCPUIDCache.swift),
// KVM_SET_CPUID2 takes one. Bytes, so that the cache writes, compares and
// hands back exactly the table the vCPU was given, padding included.

import CKVM
import Glibc

package struct CPUIDEntries: Equatable {
    /// The size of one struct kvm_cpuid_entry2 (40 bytes).
    package static let entrySize = MemoryLayout<kvm_cpuid_entry2>.size

    /// nent whole entries, as KVM laid them out.
    package let bytes: [UInt8]

    /// nil unless `bytes` is one or more whole entries.
    package init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, bytes.count % CPUIDEntries.entrySize == 0 else { return nil }
        self.bytes = bytes
    }

    /// The entries of a struct kvm_cpuid2 that KVM filled in.
    init(cpuid2: UnsafeRawPointer) {
        let count = Int(cpuid2.load(as: kvm_cpuid2.self).nent)
        let entries = UnsafeRawBufferPointer(start: cpuid2 + MemoryLayout<kvm_cpuid2>.size,
                                             count: count * CPUIDEntries.entrySize)
        bytes = Array(entries)
    }

    package var count: Int { bytes.count / CPUIDEntries.entrySize }

    /// The entry for leaf `function` (and `index`, for the leaves whose
    /// subleaf counts), if KVM listed it.
    package func entry(function: UInt32, index: UInt32 = 0) -> kvm_cpuid_entry2? {
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let e = raw.loadUnaligned(fromByteOffset: i * CPUIDEntries.entrySize, as: kvm_cpuid_entry2.self)
                if e.function == function && e.index == index { return e }
            }
            return nil
        }
    }

    /// The table for the vCPU whose APIC ID is `apicID`. KVM answers with
    /// the APIC ID of whichever host CPU ran the ioctl (leaf 1 EBX[31:24],
    /// the x2APIC ID in leaves 0xB and 0x1F EDX): without this the guest
    /// would see a different table depending on where its monitor ran, and
    /// a cached table would differ from a fresh one in those bits alone.
    package func forVCPU(apicID: UInt8) -> CPUIDEntries {
        var bytes = self.bytes
        let size = CPUIDEntries.entrySize
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<count {
                var e = raw.loadUnaligned(fromByteOffset: i * size, as: kvm_cpuid_entry2.self)
                switch e.function {
                case 1: e.ebx = e.ebx & 0x00FF_FFFF | UInt32(apicID) << 24
                case 0xB, 0x1F: e.edx = UInt32(apicID)
                default: continue
                }
                raw.storeBytes(of: e, toByteOffset: i * size, as: kvm_cpuid_entry2.self)
            }
        }
        return CPUIDEntries(checked: bytes)
    }

    private init(checked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Calls `body` with a struct kvm_cpuid2 holding these entries, as
    /// KVM_SET_CPUID2 takes it (a header with nent, then the array).
    func withCPUID2<R>(_ body: (UnsafeMutableRawPointer) -> R) -> R {
        let size = ckvm_cpuid2_size(UInt32(count))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<kvm_cpuid2>.alignment)
        defer { buffer.deallocate() }
        memset(buffer, 0, MemoryLayout<kvm_cpuid2>.size)
        buffer.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent = UInt32(count)
        bytes.withUnsafeBytes { entries in
            guard let from = entries.baseAddress else { return }  // no entries: nothing to copy
            (buffer + MemoryLayout<kvm_cpuid2>.size).copyMemory(from: from, byteCount: entries.count)
        }
        return body(buffer)
    }
}
