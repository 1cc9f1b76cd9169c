// NotesTests.swift: the ABI note, the manifest, the CPL3 note and the
// console note.

import CKVM
@testable import Image
@testable import Monitor
import Testing

@Suite struct NotesTests {
    @Test func abiNoteMissing() {
        var i = TestImage()
        i.notes.removeFirst()
        #expect(reason(i) == "no Solo5 ABI note")
        i.notes = []
        #expect(reason(i) == "no Solo5 ABI note")
    }

    @Test func abiNoteWrongTargetOrVersion() {
        var i = TestImage()
        i.notes[0] = TestImage.abiNote(target: 3, version: 1)
        #expect(problem(i) == .abiMismatch(target: 3, version: 1))
        i.notes[0] = TestImage.abiNote(target: 1, version: 1)
        #expect(problem(i) == .abiMismatch(target: 1, version: 1))
        let message = MonitorError.image(.abiMismatch(path: "k", target: 3, version: 1)).description
        #expect(message == "k: ABI mismatch: image is for target virtio version 1, this monitor runs hvt version 2")
    }

    @Test func abiNoteWithWrongNameIsIgnored() {
        var i = TestImage()
        i.notes[0].name = Array("Solo6".utf8) + [0]
        #expect(reason(i) == "no Solo5 ABI note")
    }

    @Test func abiNoteTwice() {
        var i = TestImage()
        i.notes.append(TestImage.abiNote(target: 1, version: 2))
        #expect(reason(i) == "two ABI notes")
    }

    @Test func noteRunningPastItsSegment() {
        var i = TestImage()
        i.notes[1].descSizeOverride = 100_000
        #expect(reason(i).contains("runs past its segment"))
        i = TestImage()
        i.notes[1].nameSizeOverride = UInt32.max
        #expect(reason(i).contains("runs past its segment"))
    }

    @Test func missingManifestMeansEmpty() throws {
        var i = TestImage()
        i.notes.removeLast()
        let image = try ELF.parse(i.build(), memorySize: 512 << 20)
        #expect(image.manifest == Manifest.empty)
        #expect(image.manifest.entries.count == 1)
    }

    @Test func manifestBadVersion() {
        var i = TestImage()
        i.notes[1] = TestImage.manifestNote(TestImage.entries([]), version: 2)
        #expect(reason(i).contains("version 2"))
    }

    @Test func manifestEntryCounts() {
        var i = TestImage()
        i.notes[1] = TestImage.manifestNote([], count: 0)
        #expect(reason(i).contains("0 entries"))
        let many = (1...64).map { ("d\($0)", UInt32(1)) }
        i.notes[1] = TestImage.manifestNote(TestImage.entries(many))
        #expect(reason(i).contains("65 entries"))
        let most = (1...63).map { ("d\($0)", UInt32(1)) }
        i.notes[1] = TestImage.manifestNote(TestImage.entries(most))
        #expect(problem(i) == nil)
        // Count and size disagree.
        i.notes[1] = TestImage.manifestNote(TestImage.entries([("a", 1)]), count: 3)
        #expect(reason(i).contains("entries need"))
    }

    @Test func manifestDuplicateNames() {
        var i = TestImage()
        i.notes[1] = TestImage.manifestNote(TestImage.entries([("disk", 1), ("disk", 2)]))
        #expect(reason(i).contains("appears twice"))
    }

    @Test func manifestUnterminatedAndEmptyNames() {
        var i = TestImage()
        let long = [UInt8](repeating: 0x61, count: 68)
        i.notes[1] = TestImage.manifestNote([TestImage.entry(name: [], type: 1 << 30),
                                             TestImage.entry(name: [], type: 1, nameField: long)])
        #expect(reason(i).contains("not NUL-terminated"))
        // 67 characters and the NUL: the longest name.
        i.notes[1] = TestImage.manifestNote(TestImage.entries([(String(repeating: "b", count: 67), 1)]))
        #expect(problem(i) == nil)
        i.notes[1] = TestImage.manifestNote(TestImage.entries([("", 1)]))
        #expect(reason(i).contains("empty name"))
    }

    @Test func manifestBadTypes() {
        var i = TestImage()
        i.notes[1] = TestImage.manifestNote(TestImage.entries([("x", 3)]))
        #expect(reason(i).contains("unknown device type"))
        i.notes[1] = TestImage.manifestNote(TestImage.entries([("x", 1 << 30)]))
        #expect(reason(i).contains("unknown device type"))
        i.notes[1] = TestImage.manifestNote([TestImage.entry(name: [], type: 1)])
        #expect(reason(i).contains("entry 0"))
        i.notes[1] = TestImage.manifestNote([TestImage.entry(name: Array("r".utf8), type: 1 << 30)])
        #expect(reason(i).contains("entry 0"))
    }

    @Test func manifestAttachedSet() {
        var i = TestImage()
        i.notes[1] = TestImage.manifestNote([TestImage.entry(name: [], type: 1 << 30),
                                             TestImage.entry(name: Array("d".utf8), type: 1, attached: 1)])
        #expect(reason(i).contains("'attached' is set"))
    }

    @Test func cpl3NoteValid() throws {
        var i = TestImage()
        i.notes.append(TestImage.cpl3Note(idt: 0x102000, stack: 0x103000))
        let image = try ELF.parse(i.build(), memorySize: 512 << 20)
        #expect(image.cpl3 == CPL3Note(idt: 0x102000, exceptionStack: 0x103000))
    }

    /// UKVM_CPL3_EXCEPTIONS_ONLY: an IDT of the 32 exception gates, 512
    /// bytes, which is what must fit in memory and what IDTR's limit covers.
    @Test func cpl3NoteExceptionsOnly() throws {
        var i = TestImage()
        let end = UInt64(8 << 20)
        i.notes.append(TestImage.cpl3Note(flags: 1, idt: end - 0x200, stack: 0x103000))
        let image = try ELF.parse(i.build(), memorySize: end)
        #expect(image.cpl3 == CPL3Note(idt: end - 0x200, exceptionStack: 0x103000, idtSize: 0x200))
        let s = EntryState.specialRegisters(kvm_sregs(), cpl3: image.cpl3, fsgsbase: false, nx: false)
        #expect(s.idt.base == end - 0x200 && s.idt.limit == 0x1ff)
        // The same place is too near the end for 256 gates.
        i.notes[2] = TestImage.cpl3Note(idt: end - 0x200, stack: 0x103000)
        #expect(reason(i, memory: end).contains("IDT"))
    }

    @Test func cpl3NoteBadAlignment() {
        #expect(reason(adding: TestImage.cpl3Note(idt: 0x102008, stack: 0x103000)).contains("IDT"))
        #expect(reason(adding: TestImage.cpl3Note(idt: 0x102000, stack: 0x103008)).contains("exception stack"))
    }

    @Test func cpl3NoteOutsideMemory() {
        #expect(reason(adding: TestImage.cpl3Note(idt: 0x1000, stack: 0x103000)).contains("IDT"))
        #expect(reason(adding: TestImage.cpl3Note(idt: (8 << 20) - 0x800, stack: 0x103000), memory: 8 << 20)
            .contains("IDT"))
        #expect(reason(adding: TestImage.cpl3Note(idt: UInt64.max - 15, stack: 0x103000)).contains("IDT"))
        #expect(reason(adding: TestImage.cpl3Note(idt: 0x102000, stack: (8 << 20) + 16), memory: 8 << 20)
            .contains("exception stack"))
        #expect(reason(adding: TestImage.cpl3Note(idt: 0x102000, stack: 0x100000)).contains("exception stack"))
    }

    @Test func cpl3NoteVersionFlagsSize() {
        #expect(reason(adding: TestImage.cpl3Note(version: 2, idt: 0x102000, stack: 0x103000)).contains("version 2"))
        #expect(reason(adding: TestImage.cpl3Note(flags: 2, idt: 0x102000, stack: 0x103000))
            .contains("unknown flags 0x2"))
        #expect(reason(adding: TestImage.cpl3Note(flags: 3, idt: 0x102000, stack: 0x103000))
            .contains("unknown flags 0x2"))
        var long = TestImage.cpl3Note(idt: 0x102000, stack: 0x103000)
        long.desc += [0, 0, 0, 0]
        #expect(reason(adding: long).contains("descriptor is 28 bytes"))
    }

    /// The default image's data segment is 0x101000 - 0x103000.
    @Test func consoleNoteValid() throws {
        var i = TestImage()
        i.notes.append(TestImage.consoleNote(size: 0x1000, buffer: 0x101000))
        let image = try ELF.parse(i.build(), memorySize: 512 << 20)
        #expect(image.console == ConsoleNote(buffer: 0x101000, size: 0x1000))
        #expect(image.console?.capacity == 0x1000 - 8)
        #expect(try ELF.parse(TestImage().build(), memorySize: 512 << 20).console == nil)
    }

    /// The monitor writes the buffer's header: never in code, read-only
    /// data or past the segment, never misaligned or outside memory.
    @Test func consoleNoteWhere() {
        let code = reason(adding: TestImage.consoleNote(buffer: 0x100000))
        #expect(code.contains("not inside a writable data segment"), "\(code)")
        #expect(reason(adding: TestImage.consoleNote(buffer: 0x102800)).contains("not inside a writable data segment"))
        #expect(reason(adding: TestImage.consoleNote(buffer: 0x101004)).contains("8-byte aligned"))
        #expect(reason(adding: TestImage.consoleNote(buffer: 0x1000)).contains("above 0x100000"))
        #expect(reason(adding: TestImage.consoleNote(buffer: UInt64.max - 7)).contains("inside guest memory"))
    }

    @Test func consoleNoteVersionSizeTwice() {
        #expect(reason(adding: TestImage.consoleNote(version: 2, buffer: 0x101000)).contains("version 2"))
        #expect(reason(adding: TestImage.consoleNote(size: 32, buffer: 0x101000))
            .contains("buffer of 32 bytes, expected 64 to 65536"))
        #expect(reason(adding: TestImage.consoleNote(size: 0x20000, buffer: 0x101000))
            .contains("buffer of 131072 bytes"))
        var long = TestImage.consoleNote(buffer: 0x101000)
        long.desc += [0, 0, 0, 0]
        #expect(reason(adding: long).contains("descriptor is 20 bytes"))
        var i = TestImage()
        i.notes += [TestImage.consoleNote(buffer: 0x101000), TestImage.consoleNote(buffer: 0x102000)]
        #expect(reason(i) == "two console notes")
    }
}
