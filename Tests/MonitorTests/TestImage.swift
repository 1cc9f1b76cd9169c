// TestImage.swift: builds synthetic ukvm ELF images, byte by byte, so the
// parser tests can break exactly one rule at a time.

@testable import Image
@testable import Monitor

struct TestImage {
    struct Segment {
        var type: UInt32 = 1 // PT_LOAD
        var flags: UInt32
        var vaddr: UInt64
        var data: [UInt8]
        var memSize: UInt64
        /// Overrides the file offset (to point past EOF).
        var offsetOverride: UInt64?
        var fileSizeOverride: UInt64?
    }

    struct Note {
        var name: [UInt8]
        var type: UInt32
        var desc: [UInt8]
        var nameSizeOverride: UInt32?
        var descSizeOverride: UInt32?
    }

    var elfClass: UInt8 = 2
    var dataEncoding: UInt8 = 1
    var type: UInt16 = 2
    var machine: UInt16 = 62
    var entry: UInt64 = 0x100000
    var segments: [Segment] = [
        Segment(flags: 5, vaddr: 0x100000, data: [UInt8](repeating: 0x90, count: 0x100), memSize: 0x100),
        Segment(flags: 6, vaddr: 0x101000, data: [1, 2, 3, 4], memSize: 0x2000),
    ]
    var notes: [Note] = [TestImage.abiNote(target: 1, version: 2),
                         TestImage.manifestNote(TestImage.entries([("disk", 1), ("net0", 2)]))]

    static func abiNote(target: UInt32, version: UInt32) -> Note {
        Note(name: Array("Solo5".utf8) + [0], type: 0x3149_4241,
             desc: le32(target) + le32(version) + le32(0) + le32(0))
    }

    /// Manifest entries: reserved first, then (name, type).
    static func entries(_ devices: [(String, UInt32)]) -> [[UInt8]] {
        [entry(name: [], type: 1 << 30)] + devices.map { entry(name: Array($0.0.utf8), type: $0.1) }
    }

    static func entry(name: [UInt8], type: UInt32, attached: UInt8 = 0, nameField: [UInt8]? = nil) -> [UInt8] {
        var field = nameField ?? (name + [UInt8](repeating: 0, count: 68 - name.count))
        field = Array(field.prefix(68))
        var e = field + le32(type) + [UInt8](repeating: 0, count: 16 + 8)
        e.append(attached)
        e += [UInt8](repeating: 0, count: 7)
        return e
    }

    static func manifestNote(_ entries: [[UInt8]], version: UInt32 = 1, count: UInt32? = nil) -> Note {
        let body = le32(0) + le32(version) + le32(count ?? UInt32(entries.count)) + entries.flatMap { $0 }
        return Note(name: Array("Solo5".utf8) + [0], type: 0x3154_464d, desc: body)
    }

    static func cpl3Note(version: UInt32 = 1, flags: UInt32 = 0, idt: UInt64, stack: UInt64) -> Note {
        Note(name: Array("UKVM".utf8) + [0], type: 0x334c_5043,
             desc: le32(version) + le32(flags) + le64(idt) + le64(stack))
    }

    static func consoleNote(version: UInt32 = 1, size: UInt32 = 0x1000, buffer: UInt64) -> Note {
        Note(name: Array("UKVM".utf8) + [0], type: 0x534e_4f43, desc: le32(version) + le32(size) + le64(buffer))
    }

    func build() -> [UInt8] {
        let phnum = segments.count + (notes.isEmpty ? 0 : 1)
        var noteBytes: [UInt8] = []
        for n in notes {
            noteBytes += TestImage.le32(n.nameSizeOverride ?? UInt32(n.name.count))
            noteBytes += TestImage.le32(n.descSizeOverride ?? UInt32(n.desc.count))
            noteBytes += TestImage.le32(n.type)
            noteBytes += TestImage.pad4(n.name)
            noteBytes += TestImage.pad4(n.desc)
        }
        let noteOffset = 64 + 56 * phnum
        var dataOffset = (noteOffset + noteBytes.count + 15) & ~15
        var segmentOffsets: [Int] = []
        for s in segments {
            segmentOffsets.append(dataOffset)
            dataOffset += (s.data.count + 15) & ~15
        }

        var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, elfClass, dataEncoding, 1, 0]
        out += [UInt8](repeating: 0, count: 8)
        out += TestImage.le16(type) + TestImage.le16(machine) + TestImage.le32(1)
        out += TestImage.le64(entry) + TestImage.le64(64) + TestImage.le64(0)
        out += TestImage.le32(0) + TestImage.le16(64) + TestImage.le16(56) + TestImage.le16(UInt16(phnum))
        out += TestImage.le16(64) + TestImage.le16(0) + TestImage.le16(0)
        for (i, s) in segments.enumerated() {
            out += TestImage.le32(s.type) + TestImage.le32(s.flags)
            out += TestImage.le64(s.offsetOverride ?? UInt64(segmentOffsets[i]))
            out += TestImage.le64(s.vaddr) + TestImage.le64(s.vaddr)
            out += TestImage.le64(s.fileSizeOverride ?? UInt64(s.data.count))
            out += TestImage.le64(s.memSize) + TestImage.le64(0x1000)
        }
        if !notes.isEmpty {
            out += TestImage.le32(4) + TestImage.le32(4) + TestImage.le64(UInt64(noteOffset))
            out += TestImage.le64(0) + TestImage.le64(0)
            out += TestImage.le64(UInt64(noteBytes.count)) + TestImage.le64(UInt64(noteBytes.count))
            out += TestImage.le64(4)
        }
        out += noteBytes
        for (i, s) in segments.enumerated() {
            out += [UInt8](repeating: 0, count: segmentOffsets[i] - out.count)
            out += s.data
        }
        out += [UInt8](repeating: 0, count: dataOffset - out.count)
        return out
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func pad4(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
}

/// The problem parsing `image` reports, or nil if it parses.
func problem(_ image: TestImage, memory: UInt64 = 512 << 20) -> ImageProblem? {
    do {
        _ = try ELF.parse(image.build(), memorySize: memory)
        return nil
    } catch {
        return error
    }
}

/// The reason text of an `.invalid` problem, or "" for other outcomes.
func reason(_ image: TestImage, memory: UInt64 = 512 << 20) -> String {
    if case .invalid(let text) = problem(image, memory: memory) { return text }
    return ""
}

/// The reason text for the default image with `note` added.
func reason(adding note: TestImage.Note, memory: UInt64 = 512 << 20) -> String {
    var i = TestImage()
    i.notes.append(note)
    return reason(i, memory: memory)
}

/// Guest memory for tests: an mmap'd region that lives as long as the object.
func testMemory(_ mib: UInt64 = 8) throws -> GuestMemory {
    try GuestMemory(size: mib << 20)
}
