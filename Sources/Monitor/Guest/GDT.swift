// GDT.swift: the GDT of the entry state and, for CPL3 images, the user
// segments, the TSS descriptor and the TSS itself (include/ukvm_ext.h).

import CKVM
import Image
import Support

enum GDT {
    static let base = UInt64(UKVM_GDT_BASE)
    static let tssBase = UInt64(UKVM_TSS_BASE)
    static let kernelCode = UInt16(UKVM_GDT_KERNEL_CODE)
    static let kernelData = UInt16(UKVM_GDT_KERNEL_DATA)
    static let userCode = UInt16(UKVM_GDT_USER_CODE)
    static let userData = UInt16(UKVM_GDT_USER_DATA)
    static let tss = UInt16(UKVM_GDT_TSS)
    /// Entries of the ABI GDT (null, code, data) and of a CPL3 one.
    static let abiEntries = 3
    static let cpl3Entries = Int(UKVM_GDT_ENTRIES)
    /// 64-bit TSS, then the I/O permission bitmap.
    static let tssSize = UInt64(MemoryLayout<ukvm_tss>.size)
    /// The bitmap allows ports 0 to 0xfff (the hypercall ports, and the
    /// rest of the low range so that a stray port is reported by the
    /// monitor rather than raising #GP in the guest).
    static let ioBitmapPorts = UInt64(UKVM_TSS_IO_PORTS)
    /// Bitmap bytes, then the 0xff byte the CPU requires after the bitmap.
    static let ioBitmapSize: UInt64 = ioBitmapPorts / 8
    /// The TSS segment limit: TSS, bitmap and the closing byte (the ABI
    /// header's UKVM_TSS_LIMIT, which the layout test ties to the above).
    static let tssLimit = UInt64(UKVM_TSS_LIMIT)

    // Access bytes; every descriptor is pre-marked accessed (the CPU does
    // not have to write the GDT) and the TSS is marked busy (type 0xB).
    static let accessKernelCode: UInt8 = 0x9b
    static let accessKernelData: UInt8 = 0x93
    static let accessUserCode: UInt8 = 0xfb
    static let accessUserData: UInt8 = 0xf3
    static let accessTSS: UInt8 = 0x8b
    /// Flags nibble: G=1, L=1 (code) or G=1, D/B=1 (data).
    static let flagsCode64: UInt64 = 0xa
    static let flagsData: UInt64 = 0xc

    /// A flat code or data descriptor (base 0, limit 0xfffff pages).
    static func descriptor(access: UInt8, flags: UInt64) -> UInt64 {
        0xffff | UInt64(access) << 40 | 0xf << 48 | flags << 52
    }

    /// The two words of a 64-bit TSS descriptor.
    static func tssDescriptor(base: UInt64, limit: UInt64) -> (UInt64, UInt64) {
        let low = (limit & 0xffff)
            | (base & 0xff_ffff) << 16
            | UInt64(accessTSS) << 40
            | ((limit >> 16) & 0xf) << 48
            | ((base >> 24) & 0xff) << 56
        return (low, base >> 32)
    }

    /// Writes the GDT at 0x1000; with a CPL3 note also the user segments,
    /// the TSS descriptor and the TSS itself at 0x1800.
    static func build(in memory: GuestMemory, cpl3: CPL3Note?) throws(MonitorError) {
        try memory.zero(gpa: base, count: X86.pageSize)
        try memory.store(UInt64(0), gpa: base)
        try memory.store(descriptor(access: accessKernelCode, flags: flagsCode64),
                         gpa: base + UInt64(kernelCode))
        try memory.store(descriptor(access: accessKernelData, flags: flagsData),
                         gpa: base + UInt64(kernelData))
        guard let cpl3 else { return }
        try memory.store(descriptor(access: accessUserCode, flags: flagsCode64),
                         gpa: base + UInt64(userCode))
        try memory.store(descriptor(access: accessUserData, flags: flagsData),
                         gpa: base + UInt64(userData))
        let (low, high) = tssDescriptor(base: tssBase, limit: tssLimit)
        try memory.store(low, gpa: base + UInt64(tss))
        try memory.store(high, gpa: base + UInt64(tss) + 8)
        // TSS: RSP0, and the I/O bitmap right after the TSS. IOPL 3 alone lets
        // ring 3 use `out` on hardware KVM, but PVM checks the TSS I/O
        // permission bitmap even then (measured: with no bitmap, ring-3 `out`
        // raises #GP), so the bitmap allows the low ports explicitly: all-zero
        // bits (the page is zeroed above), then the closing 0xff byte.
        var state = ukvm_tss()
        state.rsp0 = cpl3.exceptionStack
        state.iomap_base = UInt16(tssSize)
        try memory.write(state, gpa: tssBase)
        try memory.store(UInt8(0xff), gpa: tssBase + tssSize + ioBitmapSize)
    }
}
