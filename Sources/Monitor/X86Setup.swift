// X86Setup.swift: the x86_64 entry state of ABI.md "Guest entry state":
// page tables, GDT (and for CPL3 images the TSS), control registers,
// segments and general registers.
//
// Everything here is a pure function of (memory size, entry, CPL3 note) that
// writes guest memory or returns register values, so the tests can check
// it without KVM.

import CKVM

enum X86 {
    // Control registers and EFER.
    static let cr0PE: UInt64 = 1 << 0
    static let cr0NE: UInt64 = 1 << 5
    static let cr0WP: UInt64 = 1 << 16
    static let cr0PG: UInt64 = 1 << 31
    static let cr4PAE: UInt64 = 1 << 5
    static let cr4OSFXSR: UInt64 = 1 << 9
    static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    static let cr4FSGSBASE: UInt64 = 1 << 16
    static let eferLME: UInt64 = 1 << 8
    static let eferLMA: UInt64 = 1 << 10

    // Page-table entry bits.
    static let ptePresent: UInt64 = 1 << 0
    static let pteWritable: UInt64 = 1 << 1
    static let pteUser: UInt64 = 1 << 2
    static let ptePageSize: UInt64 = 1 << 7

    // RFLAGS: bit 1 is always set; IOPL 3 lets ring 3 use `out`.
    static let rflagsDefault: UInt64 = 0x2
    static let rflagsIOPL3: UInt64 = 0x3000

    static let pageSize: UInt64 = 0x1000
    static let largePageSize: UInt64 = 0x20_0000
    static let gigabyte: UInt64 = 0x4000_0000
}

enum PageTables {
    static let pml4 = UInt64(UKVM_PML4_BASE)
    static let pdpt = UInt64(UKVM_PDPT_BASE)
    static let pd = UInt64(UKVM_PDE_BASE)
    static let pt = UInt64(UKVM_PTE_BASE)
    /// Four page directories: at most 4 GiB of memory.
    static let maxMemory: UInt64 = 4 * X86.gigabyte
    /// Pages below this are not present (NULL guard) ...
    static let guardEnd: UInt64 = 0x10000
    /// ... and from there to the kernel they are read-only.
    static let readOnlyEnd = UInt64(UKVM_KERNEL_BASE)

    /// Identity-maps all of `memory` (size: a multiple of 2 MiB, 2 MiB to
    /// 4 GiB): 4 KiB pages in the first 2 MiB, 2 MiB pages above.
    /// With `user` (CPL3 images) every present page and every table entry
    /// has the U bit, except the GDT/TSS page at 0x1000, which is then present,
    /// writable and supervisor-only.
    static func build(in memory: GuestMemory, user: Bool) throws(MonitorError) {
        let size = memory.size
        guard size >= X86.largePageSize, size <= maxMemory, size % X86.largePageSize == 0 else {
            throw .setup("guest memory of \(size) bytes cannot be mapped")
        }
        let u = user ? X86.pteUser : 0
        let table = X86.ptePresent | X86.pteWritable | u
        try memory.zero(gpa: pml4, count: pt + X86.pageSize - pml4)

        try memory.store(pdpt | table, gpa: pml4)
        let gigabytes = (size + X86.gigabyte - 1) / X86.gigabyte
        for g in 0..<gigabytes {
            try memory.store((pd + g * X86.pageSize) | table, gpa: pdpt + g * 8)
        }
        // Page directory entries, one per 2 MiB; the first points at the page table.
        let largePages = size / X86.largePageSize
        try memory.store(pt | table, gpa: pd)
        for i in 1..<largePages {
            let entry = (i * X86.largePageSize) | X86.ptePresent | X86.pteWritable | X86.ptePageSize | u
            try memory.store(entry, gpa: pd + i * 8)
        }
        // The first 2 MiB in 4 KiB pages.
        for i in 0..<(X86.largePageSize / X86.pageSize) {
            let address = i * X86.pageSize
            let entry: UInt64
            if address < guardEnd {
                let isGDTPage = address == UInt64(UKVM_GDT_BASE)
                entry = user && isGDTPage ? address | X86.ptePresent | X86.pteWritable : 0
            } else if address < readOnlyEnd {
                entry = address | X86.ptePresent | u
            } else {
                entry = address | X86.ptePresent | X86.pteWritable | u
            }
            try memory.store(entry, gpa: pt + i * 8)
        }
    }
}

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
    /// 64-bit TSS: 104 bytes, then the I/O permission bitmap.
    static let tssSize: UInt64 = 104
    /// The bitmap allows ports 0 to 0xfff (the hypercall ports, and the
    /// rest of the low range so that a stray port is reported by the
    /// monitor rather than raising #GP in the guest).
    static let ioBitmapPorts: UInt64 = 0x1000
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
        // TSS: RSP0 at offset 4; I/O map base at offset 102. IOPL 3 alone lets
        // ring 3 use `out` on hardware KVM, but PVM checks the TSS I/O
        // permission bitmap even then (measured: with no bitmap, ring-3 `out`
        // raises #GP), so the bitmap allows the low ports explicitly: all-zero
        // bits (the page is zeroed above), then the closing 0xff byte.
        try memory.store(cpl3.exceptionStack, gpa: tssBase + 4)
        try memory.store(UInt16(tssSize), gpa: tssBase + 102)
        try memory.store(UInt8(0xff), gpa: tssBase + tssSize + ioBitmapSize)
    }
}

enum X86Setup {
    /// Page tables, GDT and TSS in guest memory.
    static func buildMemory(_ memory: GuestMemory, cpl3: CPL3Note?) throws(MonitorError) {
        try PageTables.build(in: memory, user: cpl3 != nil)
        try GDT.build(in: memory, cpl3: cpl3)
    }

    /// A flat 64-bit segment.
    static func segment(selector: UInt16, code: Bool, dpl: UInt8) -> kvm_segment {
        var s = kvm_segment()
        s.base = 0
        s.limit = 0xffff_ffff
        s.selector = selector
        s.type = code ? 0xb : 0x3   // execute/read or read/write, accessed
        s.present = 1
        s.dpl = dpl
        s.db = code ? 0 : 1
        s.s = 1
        s.l = code ? 1 : 0
        s.g = 1
        return s
    }

    /// The special registers of the entry state, on top of KVM's reset
    /// values in `initial`. A CPL3 image also gets CR4.FSGSBASE when the
    /// vCPU has the feature: ring 3 cannot write MSR_FS_BASE, so WRFSBASE is
    /// how it sets its TLS base (ukvm_abi.h).
    static func specialRegisters(_ initial: kvm_sregs, cpl3: CPL3Note?, fsgsbase: Bool = false) -> kvm_sregs {
        var s = initial
        s.cr0 = X86.cr0PE | X86.cr0NE | X86.cr0WP | X86.cr0PG
        s.cr3 = PageTables.pml4
        s.cr4 = X86.cr4PAE | X86.cr4OSFXSR | X86.cr4OSXMMEXCPT
        s.efer = X86.eferLME | X86.eferLMA
        s.gdt.base = GDT.base
        var tr = kvm_segment()
        tr.type = 0xb   // busy 64-bit TSS
        tr.present = 1
        tr.limit = UInt32(cpl3 != nil ? GDT.tssLimit : GDT.tssSize - 1)
        if let cpl3 {
            let code = segment(selector: GDT.userCode | 3, code: true, dpl: 3)
            let data = segment(selector: GDT.userData | 3, code: false, dpl: 3)
            s.cs = code
            s.ss = data; s.ds = data; s.es = data; s.fs = data; s.gs = data
            if fsgsbase { s.cr4 |= X86.cr4FSGSBASE }
            s.gdt.limit = UInt16(GDT.cpl3Entries * 8 - 1)
            s.idt.base = cpl3.idt
            s.idt.limit = UInt16(CPL3Note.idtSize - 1)
            tr.selector = GDT.tss
            tr.base = GDT.tssBase
        } else {
            let code = segment(selector: GDT.kernelCode, code: true, dpl: 0)
            let data = segment(selector: GDT.kernelData, code: false, dpl: 0)
            s.cs = code
            s.ss = data; s.ds = data; s.es = data; s.fs = data; s.gs = data
            s.gdt.limit = UInt16(GDT.abiEntries * 8 - 1)
            s.idt.base = 0
            s.idt.limit = 0
            tr.selector = 0
            tr.base = 0
        }
        s.tr = tr
        return s
    }

    /// The general registers at entry.
    static func registers(entry: UInt64, memorySize: UInt64, cpl3: Bool) -> kvm_regs {
        var r = kvm_regs()
        r.rip = entry
        r.rsp = memorySize - 8
        r.rdi = BootInfo.base
        r.rflags = X86.rflagsDefault | (cpl3 ? X86.rflagsIOPL3 : 0)
        return r
    }
}
