// EntryStateTests.swift: page tables, GDT/TSS and registers of the entry state.

import CKVM
@testable import Image
@testable import Monitor
import Testing

@Suite struct PageTableTests {
    /// Present entries are also marked accessed, writable ones dirty
    /// (PageTables.swift): P and RW carry those bits.
    let P: UInt64 = 0x21, RW: UInt64 = 0x42, U: UInt64 = 4, PS: UInt64 = 0x80

    /// The PTE or PDE that maps `address` (4 KiB below 2 MiB, else 2 MiB).
    func entry(_ m: GuestMemory, _ address: UInt64) throws -> UInt64 {
        if address < 0x20_0000 {
            return try m.load(UInt64.self, gpa: 0x8000 + (address >> 12) * 8)
        }
        let gib = address >> 30
        return try m.load(UInt64.self, gpa: 0x4000 + gib * 0x1000 + ((address >> 21) & 511) * 8)
    }

    @Test func abiMapping() throws {
        let m = try testMemory(64)
        try PageTables.build(in: m, user: false)
        #expect(try m.load(UInt64.self, gpa: 0x2000) == 0x3000 | P | RW)
        #expect(try m.load(UInt64.self, gpa: 0x3000) == 0x4000 | P | RW)
        #expect(try m.load(UInt64.self, gpa: 0x3008) == 0)        // only 64 MiB: one PD
        #expect(try m.load(UInt64.self, gpa: 0x4000) == 0x8000 | P | RW)
        #expect(try entry(m, 0x0) == 0)                           // NULL guard
        #expect(try entry(m, 0x1000) == 0)                        // GDT page: not mapped
        #expect(try entry(m, 0xf000) == 0)
        #expect(try entry(m, 0x10000) == 0x10000 | P)             // boot info: read-only
        #expect(try entry(m, 0xff000) == 0xff000 | P)
        #expect(try entry(m, 0x100000) == 0x100000 | P | RW)      // kernel
        #expect(try entry(m, 0x1ff000) == 0x1ff000 | P | RW)
        #expect(try entry(m, 0x200000) == 0x200000 | P | RW | PS) // first 2 MiB page
        let last = m.size - 0x1000
        #expect(try entry(m, last) == (last & ~0x1f_ffff) | P | RW | PS)
        // Nothing past the end of memory.
        #expect(try m.load(UInt64.self, gpa: 0x4000 + (m.size >> 21) * 8) == 0)
    }

    @Test func cpl3MappingHasUserBitsButNotOnTheGuardOrGDTPage() throws {
        let m = try testMemory(64)
        try PageTables.build(in: m, user: true)
        #expect(try m.load(UInt64.self, gpa: 0x2000) == 0x3000 | P | RW | U)
        #expect(try m.load(UInt64.self, gpa: 0x3000) == 0x4000 | P | RW | U)
        #expect(try m.load(UInt64.self, gpa: 0x4000) == 0x8000 | P | RW | U)
        #expect(try entry(m, 0x0) == 0)
        #expect(try entry(m, 0x1000) == 0x1000 | P | RW)          // present, supervisor-only
        #expect(try entry(m, 0x2000) == 0)
        #expect(try entry(m, 0xf000) == 0)
        #expect(try entry(m, 0x10000) == 0x10000 | P | U)
        #expect(try entry(m, 0x100000) == 0x100000 | P | RW | U)
        #expect(try entry(m, 0x200000) == 0x200000 | P | RW | PS | U)
        #expect(try entry(m, m.size - 1) == (m.size - 0x20_0000) | P | RW | PS | U)
    }

    @Test func multipleGigabytes() throws {
        let m = try GuestMemory(size: 0x1_4020_0000)  // 5 GiB + 2 MiB: too much
        #expect(throws: MonitorError.self) { try PageTables.build(in: m, user: false) }
        let m4 = try GuestMemory(size: 4 << 30)
        try PageTables.build(in: m4, user: false)
        #expect(try m4.load(UInt64.self, gpa: 0x3018) == 0x7000 | P | RW)
        #expect(try entry(m4, (4 << 30) - 1) == ((4 << 30) - 0x20_0000) | P | RW | PS)
        #expect(try entry(m4, 0x4000_0000) == 0x4000_0000 | P | RW | PS)
    }
}

@Suite struct GDTTests {
    @Test func abiGDT() throws {
        let m = try testMemory()
        try GDT.build(in: m, cpl3: nil)
        #expect(try m.load(UInt64.self, gpa: 0x1000) == 0)
        #expect(try m.load(UInt64.self, gpa: 0x1008) == 0x00af_9b00_0000_ffff)
        #expect(try m.load(UInt64.self, gpa: 0x1010) == 0x00cf_9300_0000_ffff)
        #expect(try m.load(UInt64.self, gpa: 0x1018) == 0)
        #expect(try m.load(UInt64.self, gpa: 0x1800) == 0)
    }

    @Test func cpl3GDTAndTSS() throws {
        let m = try testMemory()
        try GDT.build(in: m, cpl3: CPL3Note(idt: 0x200000, exceptionStack: 0x300000))
        #expect(try m.load(UInt64.self, gpa: 0x1018) == 0x00af_fb00_0000_ffff)
        #expect(try m.load(UInt64.self, gpa: 0x1020) == 0x00cf_f300_0000_ffff)
        // TSS descriptor: base 0x1800, limit 104 + 512, busy 64-bit TSS, present.
        #expect(try m.load(UInt64.self, gpa: 0x1028) == 0x0000_8b00_1800_0268)
        #expect(try m.load(UInt64.self, gpa: 0x1030) == 0)
        #expect(try m.load(UInt64.self, gpa: 0x1800 + 4) == 0x300000)   // RSP0
        #expect(try m.load(UInt16.self, gpa: 0x1800 + 102) == 104)      // I/O map base
        // The I/O bitmap allows every port below 0x1000, then the 0xff byte.
        for port in [UInt64(0), 0x501, 0x508, 0xfff] {
            #expect(try m.load(UInt8.self, gpa: 0x1800 + 104 + port / 8) == 0)
        }
        #expect(try m.load(UInt8.self, gpa: 0x1800 + 104 + 512) == 0xff)
    }
}

@Suite struct RegisterTests {
    @Test func abiRegisters() {
        let s = EntryState.specialRegisters(kvm_sregs(), cpl3: nil)
        #expect(s.cr0 == 0x8001_0021)
        #expect(s.cr3 == 0x2000)
        #expect(s.cr4 == 0x620)
        #expect(s.efer == 0x500)
        #expect(s.cs.selector == 0x08 && s.cs.l == 1 && s.cs.dpl == 0 && s.cs.type == 11)
        for d in [s.ds, s.es, s.fs, s.gs, s.ss] {
            #expect(d.selector == 0x10 && d.dpl == 0 && d.type == 3 && d.present == 1)
        }
        #expect(s.gdt.base == 0x1000 && s.gdt.limit == 23)
        #expect(s.tr.selector == 0 && s.tr.type == 11 && s.tr.present == 1)
        let r = EntryState.registers(entry: 0x100123, memorySize: 512 << 20, cpl3: false)
        #expect(r.rip == 0x100123)
        #expect(r.rsp == (512 << 20) - 8)
        #expect(r.rdi == 0x10000)
        #expect(r.rflags == 0x2)
    }

    @Test func cpl3Registers() {
        let s = EntryState.specialRegisters(kvm_sregs(), cpl3: CPL3Note(idt: 0x104000, exceptionStack: 0x108000))
        #expect(s.cs.selector == 0x1b && s.cs.dpl == 3 && s.cs.l == 1 && s.cs.type == 11)
        for d in [s.ds, s.es, s.fs, s.gs, s.ss] {
            #expect(d.selector == 0x23 && d.dpl == 3 && d.type == 3)
        }
        #expect(s.tr.selector == 0x28 && s.tr.base == 0x1800 && s.tr.limit == 0x268 && s.tr.type == 11)
        #expect(s.gdt.base == 0x1000 && s.gdt.limit == 55)
        #expect(s.idt.base == 0x104000 && s.idt.limit == 4095)
        #expect(s.cr0 == 0x8001_0021 && s.cr4 == 0x620 && s.efer == 0x500)
        let r = EntryState.registers(entry: 0x100000, memorySize: 64 << 20, cpl3: true)
        #expect(r.rflags == 0x3002)
    }

    /// CR4.FSGSBASE: for CPL3 images on a vCPU that has it, and only then.
    @Test func fsgsbase() {
        let note = CPL3Note(idt: 0x104000, exceptionStack: 0x108000)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: note, fsgsbase: true).cr4 == 0x10620)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: note, fsgsbase: false).cr4 == 0x620)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: nil, fsgsbase: true).cr4 == 0x620)
    }
}
