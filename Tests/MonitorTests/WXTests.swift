// WXTests.swift: W^X in the guest: the image's protection from its
// segments, the page tables of CPL3 images, EFER.NXE, and guest memory made
// read-only on the host side, which no hypercall may then write.

import CKVM
import Glibc
@testable import Image
@testable import Monitor
import Testing

@Suite struct ImageProtectionTests {
    func segment(_ vaddr: UInt64, _ size: UInt64, _ flags: UInt32) -> ELFSegment {
        ELFSegment(vaddr: vaddr, offset: 0, fileSize: 0, memSize: size, flags: flags)
    }
    let rx: UInt32 = 5, r: UInt32 = 4, rw: UInt32 = 6

    /// Our linker script's layout: text, rodata, data, each page-aligned.
    @Test func pageAlignedSegments() throws {
        let p = try ImageProtection.of([segment(0x100000, 0x25af, rx), segment(0x103000, 0x9b3, r),
                                        segment(0x104000, 0x51fc0, rw)], strict: true)
        #expect(p.ranges == [.init(start: 0x100000, end: 0x103000, access: .readExecute),
                             .init(start: 0x103000, end: 0x104000, access: .readOnly)])
        #expect(p.access(0x100000) == .readExecute && p.access(0x102fff) == .readExecute)
        #expect(p.access(0x103000) == .readOnly && p.access(0x104000) == .readWrite)
        #expect(p.access(0xff000) == .readWrite && p.access(0x1000_0000) == .readWrite)
        #expect(p.isUniform(0x200000, 0x400000) && !p.isUniform(0, 0x200000))
    }

    /// A page two segments share gets both their permissions: read-only
    /// and executable merge; writable and executable cannot, and only CPL3
    /// images (strict) are refused for it.
    @Test func sharedPages() throws {
        let p = try ImageProtection.of([segment(0x100000, 0x1800, rx), segment(0x101800, 0x800, r)], strict: true)
        #expect(p.ranges == [.init(start: 0x100000, end: 0x101000, access: .readExecute),
                             .init(start: 0x101000, end: 0x102000, access: .readExecute)]
                || p.ranges == [.init(start: 0x100000, end: 0x102000, access: .readExecute)])
        #expect(p.access(0x101fff) == .readExecute)
        let mixed = [segment(0x100000, 0x1800, rx), segment(0x101800, 0x2000, rw)]
        #expect(throws: ImageProblem.self) { try ImageProtection.of(mixed, strict: true) }
        let lenient = try ImageProtection.of(mixed, strict: false)
        #expect(lenient.ranges == [.init(start: 0x100000, end: 0x101000, access: .readExecute)])
        #expect(lenient.access(0x101000) == .readWrite)
        // Three segments in one page.
        let tiny = try ImageProtection.of([segment(0x100000, 0x10, rx), segment(0x100100, 0x10, r),
                                           segment(0x100200, 0x10, r)], strict: true)
        #expect(tiny.ranges == [.init(start: 0x100000, end: 0x101000, access: .readExecute)])
    }

    /// Images are parsed with the protection they ask for.
    @Test func fromAnImage() throws {
        let image = try ELF.parse(TestImage().build(), memorySize: 512 << 20)
        #expect(image.protection.ranges == [.init(start: 0x100000, end: 0x101000, access: .readExecute)])
    }
}

@Suite struct WXPageTableTests {
    /// Present entries are also marked accessed, writable ones dirty
    /// (PageTables.swift): P and RW carry those bits.
    let P: UInt64 = 0x21, RW: UInt64 = 0x42, U: UInt64 = 4, PS: UInt64 = 0x80, NX: UInt64 = 1 << 63

    /// The entry that maps `address`, following the tables.
    func entry(_ m: GuestMemory, _ address: UInt64) throws -> UInt64 {
        let pde = try m.load(UInt64.self, gpa: 0x4000 + (address >> 30) * 0x1000 + ((address >> 21) & 511) * 8)
        if pde & PS != 0 { return pde }
        return try m.load(UInt64.self, gpa: (pde & 0x000f_ffff_ffff_f000) + ((address >> 12) & 511) * 8)
    }

    let protection = ImageProtection(ranges: [
        .init(start: 0x100000, end: 0x103000, access: .readExecute),
        .init(start: 0x103000, end: 0x104000, access: .readOnly),
        // A second text region, 2 MiB up: its region needs a table of its own.
        .init(start: 0x600000, end: 0x601000, access: .readExecute),
    ])

    @Test func cpl3Tables() throws {
        let m = try testMemory(64)
        try PageTables.build(in: m, user: true, wx: PageTables.WX(protection: protection, nx: true))
        #expect(try entry(m, 0x0) == 0)                                       // NULL guard
        #expect(try entry(m, 0x1000) == 0x1000 | P | RW | NX)                // GDT/TSS: supervisor
        #expect(try entry(m, 0x10000) == 0x10000 | P | U | NX)               // boot info
        #expect(try entry(m, 0x100000) == 0x100000 | P | U)                  // text: read, execute
        #expect(try entry(m, 0x102000) == 0x102000 | P | U)
        #expect(try entry(m, 0x103000) == 0x103000 | P | U | NX)             // rodata
        #expect(try entry(m, 0x104000) == 0x104000 | P | RW | U | NX)        // data, bss, heap
        #expect(try entry(m, 0x200000) == 0x200000 | P | RW | U | PS | NX)   // uniform: 2 MiB pages
        #expect(try entry(m, 0x600000) == 0x600000 | P | U)                  // in a table at 0x9000
        #expect(try entry(m, 0x601000) == 0x601000 | P | RW | U | NX)
        #expect(try m.load(UInt64.self, gpa: 0x4000 + 3 * 8) == 0x9000 | P | RW | U)
        #expect(try entry(m, m.size - 1) == (m.size - 0x20_0000) | P | RW | U | PS | NX)  // stack
    }

    /// Without NX in the vCPU nothing can be made non-executable, but
    /// read-only stays read-only.
    @Test func withoutNX() throws {
        let m = try testMemory(64)
        try PageTables.build(in: m, user: true, wx: PageTables.WX(protection: protection, nx: false))
        #expect(try entry(m, 0x103000) == 0x103000 | P | U)
        #expect(try entry(m, 0x104000) == 0x104000 | P | RW | U)
    }

    /// More 2 MiB regions that change permissions than there are tables.
    @Test func tooManyRegions() throws {
        let m = try testMemory(64)
        let scattered = ImageProtection(ranges: (1...8).map {
            .init(start: UInt64($0) << 21, end: (UInt64($0) << 21) + 0x1000, access: .readExecute)
        })
        #expect(throws: MonitorError.self) {
            try PageTables.build(in: m, user: true, wx: PageTables.WX(protection: scattered, nx: true))
        }
        let seven = ImageProtection(ranges: Array(scattered.ranges.prefix(7)))
        try PageTables.build(in: m, user: true, wx: PageTables.WX(protection: seven, nx: true))
    }

    @Test func efer() {
        let note = CPL3Note(idt: 0x104000, exceptionStack: 0x108000)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: note, nx: true).efer == 0xd00)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: note, nx: false).efer == 0x500)
        #expect(EntryState.specialRegisters(kvm_sregs(), cpl3: nil, nx: true).efer == 0x500)  // upstream's entry state
    }
}

@Suite struct ProtectedMemoryTests {
    /// Read-only pages on the host side: reads still work, the guest's
    /// writable ranges exclude them, and a hypercall that would write its
    /// result there is a guest fault, not a crash of the monitor.
    @Test func noHypercallWritesReadOnlyPages() throws {
        let h = try Harness()
        let m = h.memory
        try m.store(UInt64(0x1122), gpa: 0x103000)
        try m.protect([(0x102000, 0x104000)])
        #expect(try m.load(UInt64.self, gpa: 0x103000) == 0x1122)
        #expect(m.contains(gpa: 0x103000, count: 8, .guestReadable))
        #expect(!m.contains(gpa: 0x103000, count: 8, .guestWritable))
        #expect(!m.contains(gpa: 0x101ff8, count: 16, .guestWritable))    // overlaps the first page
        #expect(m.contains(gpa: 0x101ff8, count: 8, .guestWritable))
        #expect(m.contains(gpa: 0x104000, count: 8, .guestWritable))
        #expect(throws: MonitorError.guestAccess(gpa: 0x103000, size: 8)) {
            try h.call(UKVM_HYPERCALL_WALLTIME, 0x103000)
        }
        #expect(throws: MonitorError.self) { try m.protect([(0x100800, 0x101000)]) }   // not page-aligned
    }

    /// A CPL3 image's pages (inMapping: false): refused to every write made
    /// for the guest all the same, while the monitor's mapping stays
    /// writable, so that KVM may map them ahead of the guest's touches.
    @Test func protectionOutsideTheMapping() throws {
        let h = try Harness()
        let m = h.memory
        try m.protect([(0x102000, 0x104000)], inMapping: false)
        #expect(!m.contains(gpa: 0x103000, count: 8, .guestWritable))
        #expect(m.contains(gpa: 0x103000, count: 8, .guestReadable))
        #expect(throws: MonitorError.guestAccess(gpa: 0x103000, size: 8)) {
            try h.call(UKVM_HYPERCALL_WALLTIME, 0x103000)
        }
        // A store through the mapping would fault were it read-only.
        try m.store(UInt64(0x3344), gpa: 0x103000)
        #expect(try m.load(UInt64.self, gpa: 0x103000) == 0x3344)
    }
}
