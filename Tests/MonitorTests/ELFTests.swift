// ELFTests.swift: the image parser accepts a valid image and refuses each
// broken rule of docs/abi.md with a clear reason.

import Glibc
@testable import Image
@testable import Monitor
import Testing

@Suite struct ELFTests {
    @Test func validImageParses() throws {
        let image = try ELF.parse(TestImage().build(), memorySize: 512 << 20)
        #expect(image.entry == 0x100000)
        #expect(image.segments.count == 2)
        #expect(image.kernelEnd == 0x103000)
        #expect(image.abi == ABINote(target: 1, version: 2))
        #expect(image.manifest.entries.map(\.name) == ["", "disk", "net0"])
        #expect(image.manifest.entries.map(\.type) == [.reservedFirst, .blockBasic, .netBasic])
        #expect(image.cpl3 == nil)
    }

    @Test func loadCopiesDataAndZeroesBss() throws {
        let image = try ELF.parse(TestImage().build(), memorySize: 8 << 20)
        let memory = try testMemory()
        memset(memory.base + 0x101004, 0xaa, 16)  // junk that .bss must clear
        try image.load(into: memory)
        #expect(try memory.load(UInt8.self, gpa: 0x100000) == 0x90)
        #expect(try memory.load(UInt32.self, gpa: 0x101000) == 0x0403_0201)
        #expect(try memory.load(UInt64.self, gpa: 0x101004) == 0)
    }

    /// Into memory just mapped, .bss is left alone: its whole pages stay
    /// unmapped (mincore), so an idle guest's unused .bss costs the host
    /// nothing, and they read as zero.
    @Test func loadIntoFreshMemoryLeavesBssPagesUntouched() throws {
        let image = try ELF.parse(TestImage().build(), memorySize: 8 << 20)
        let memory = try testMemory()
        try image.load(into: memory, zeroFilled: true)
        func resident(_ gpa: UInt64) -> Bool {
            var vec: UInt8 = 0
            #expect(mincore(memory.base + Int(gpa), 4096, &vec) == 0)
            return vec & 1 != 0
        }
        #expect(resident(0x101000), "the page with the segment's file bytes")
        #expect(!resident(0x102000), "a page of .bss only")
        #expect(try memory.load(UInt32.self, gpa: 0x101000) == 0x0403_0201)
        #expect(try memory.load(UInt64.self, gpa: 0x101004) == 0)
        #expect(try memory.load(UInt64.self, gpa: 0x102ff8) == 0)
    }

    /// Dropping the file's bytes (once loaded) empties every copy of the
    /// image: a launch configuration holds one by value, and the bytes must
    /// not stay on the heap for the whole run through it.
    @Test func droppingTheFileEmptiesEveryCopy() throws {
        let image = try ELF.parse(TestImage().build(), memorySize: 8 << 20)
        let copy = image
        #expect(!copy.bytes.isEmpty)
        image.dropFile()
        #expect(image.bytes.isEmpty && copy.bytes.isEmpty)
        #expect(copy.entry == 0x100000 && copy.segments.count == 2, "what was parsed stays")
    }

    /// Hostile images: many random corruptions of a valid one (with a CPL3
    /// note and a manifest), in the header, program headers and notes. The
    /// parser must accept or refuse each one, never trap; what it accepts
    /// must still obey the rules it checks. Seeded, so a failure repeats.
    @Test func corruptedImagesNeverTrap() {
        var rng = SplitMix(seed: 0x5eed)
        var image = TestImage()
        image.notes.append(TestImage.cpl3Note(idt: 0x101000, stack: 0x102000))
        let valid = image.build()
        let memory: UInt64 = 64 << 20
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                // Mostly the first 512 bytes: headers, phdrs, notes.
                let limit = rng.next() % 4 == 0 ? bytes.count : min(512, bytes.count)
                bytes[Int(rng.next() % UInt64(limit))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 10 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
            guard let parsed = try? ELF.parse(bytes, memorySize: memory) else { continue }
            accepted += 1
            for seg in parsed.segments {
                #expect(seg.vaddr >= 0x100000 && seg.end <= memory)
            }
            #expect(parsed.kernelEnd <= memory)
        }
        #expect(accepted > 0, "some corruptions are harmless (padding bytes)")
    }

    @Test func emptyAndTruncatedFiles() {
        #expect(throws: ImageProblem.self) { try ELF.parse([], memorySize: 512 << 20) }
        let bytes = TestImage().build()
        #expect(throws: ImageProblem.self) { try ELF.parse(Array(bytes.prefix(63)), memorySize: 512 << 20) }
        // Header intact, program headers cut off.
        let cut = Array(bytes.prefix(100))
        #expect(throws: ImageProblem.invalid("program header table lies outside the file")) {
            try ELF.parse(cut, memorySize: 512 << 20)
        }
        // Everything but the segment data.
        var short = bytes
        short.removeLast(40)
        #expect(throws: ImageProblem.self) { try ELF.parse(short, memorySize: 512 << 20) }
    }

    @Test func badMagic() {
        var bytes = TestImage().build()
        bytes[1] = 0x46
        #expect(throws: ImageProblem.invalid("not an ELF file (bad magic)")) {
            try ELF.parse(bytes, memorySize: 512 << 20)
        }
    }

    @Test func wrongClassEncodingTypeMachine() {
        var i = TestImage()
        i.elfClass = 1
        #expect(reason(i) == "not a 64-bit ELF file")
        i = TestImage()
        i.dataEncoding = 2
        #expect(reason(i) == "not a little-endian ELF file")
        i = TestImage()
        i.type = 3
        #expect(reason(i).contains("ET_EXEC"))
        i = TestImage()
        i.machine = 183
        #expect(reason(i).contains("not an x86_64 image"))
    }

    @Test func segmentBelowKernelBase() {
        var i = TestImage()
        i.segments[0].vaddr = 0xff000
        i.entry = 0xff000
        #expect(reason(i).contains("below 0x100000"))
    }

    @Test func overlappingAndDescendingSegments() {
        var i = TestImage()
        i.segments[1].vaddr = 0x1000f0
        #expect(reason(i).contains("overlaps or precedes"))
        i = TestImage()
        i.segments.swapAt(0, 1)
        i.entry = 0x100000
        #expect(reason(i).contains("overlaps or precedes"))
    }

    @Test func writableAndExecutable() {
        var i = TestImage()
        i.segments[0].flags = 7
        #expect(reason(i).contains("both writable and executable"))
    }

    @Test func entryOutsideExecutableSegment() {
        var i = TestImage()
        i.entry = 0x101000    // in the data segment
        #expect(reason(i).contains("entry point 0x101000"))
        i.entry = 0x100100    // one past the text segment
        #expect(reason(i).contains("entry point"))
        i.entry = 0x1000ff
        #expect(problem(i) == nil)
    }

    @Test func fileSizeLargerThanMemorySize() {
        var i = TestImage()
        i.segments[1].memSize = 2
        #expect(reason(i).contains("exceeds memory size"))
    }

    @Test func segmentDataPastEndOfFile() {
        var i = TestImage()
        i.segments[1].offsetOverride = 1 << 20
        #expect(reason(i).contains("outside the file"))
        i = TestImage()
        i.segments[1].offsetOverride = UInt64.max - 1
        #expect(reason(i).contains("outside the file"))
        i = TestImage()
        i.segments[1].fileSizeOverride = 0x1000
        #expect(reason(i).contains("outside the file"))
    }

    @Test func segmentOutsideGuestMemory() {
        var i = TestImage()
        i.segments[1].memSize = 0x800000
        #expect(problem(i, memory: 8 << 20) == .doesNotFit(end: 0x901000))
        i.segments[1].memSize = UInt64.max - 0x1000
        #expect(reason(i).contains("overflows"))
    }

    @Test func emptySegmentsAndOtherTypesAreSkipped() throws {
        var i = TestImage()
        i.segments.append(TestImage.Segment(flags: 6, vaddr: 0x50, data: [], memSize: 0))
        i.segments.append(TestImage.Segment(type: 0x6474_e551, flags: 7, vaddr: 0, data: [], memSize: 0))
        #expect(problem(i) == nil)
        i.segments = []
        #expect(reason(i).contains("no loadable segments") || reason(i).contains("program headers"))
    }
}
