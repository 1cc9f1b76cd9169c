// EntryState.swift: the registers of the entry state (docs/abi.md, "Guest
// entry state"): control registers, segments and general registers.
//
// Everything here, like the page tables and the GDT, is a pure function of
// (memory size, entry, CPL3 note) that writes guest memory or returns
// register values, so the tests can check it without KVM.

import CKVM
import Image
import Support

enum EntryState {
    /// Page tables, GDT and TSS in guest memory. A CPL3 image's page tables
    /// keep W^X as `protection` says (NX only if the vCPU has it).
    static func buildMemory(_ memory: GuestMemory, cpl3: CPL3Note?, protection: ImageProtection = .none,
                            nx: Bool = false, zeroFilled: Bool = false) throws(MonitorError) {
        try PageTables.build(in: memory, user: cpl3 != nil,
                             wx: cpl3 == nil ? nil : PageTables.WX(protection: protection, nx: nx),
                             zeroFilled: zeroFilled)
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
    /// how it sets its TLS base (ukvm_abi.h); and EFER.NXE with `nx`, for
    /// the NX bits of its W^X page tables (ukvm_ext.h).
    static func specialRegisters(_ initial: kvm_sregs, cpl3: CPL3Note?, fsgsbase: Bool = false,
                                 nx: Bool = false) -> kvm_sregs {
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
            if nx { s.efer |= X86.eferNXE }   // the page tables' NX bits (W^X)
            s.gdt.limit = UInt16(GDT.cpl3Entries * 8 - 1)
            s.idt.base = cpl3.idt
            s.idt.limit = UInt16(cpl3.idtSize - 1)
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
