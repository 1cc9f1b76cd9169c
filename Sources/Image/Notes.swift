// Notes.swift: walks the ELF notes an image carries, through its PT_NOTE
// program headers: the Solo5 ABI note (required), the Solo5 manifest
// (optional: none means no devices), our CPL3 note and our console note
// (both optional).

import CKVM
import Support

package enum Notes {
    package static let solo5Name: [UInt8] = Array(SOLO5_NOTE_NAME.utf8) + [0]
    package static let ukvmName: [UInt8] = Array(UKVM_NOTE_NAME.utf8) + [0]
    package static let abiType = UInt32(SOLO5_NOTE_ABI)
    package static let manifestType = UInt32(SOLO5_NOTE_MANIFEST)
    package static let cpl3Type = UInt32(UKVM_NOTE_CPL3)
    package static let consoleType = UInt32(UKVM_NOTE_CONSOLE)
    /// Name and descriptor are padded to 4 bytes.
    package static let alignment: UInt64 = 4
    package static let headerSize = UInt64(MemoryLayout<Elf64_Nhdr>.size)

    package struct Found {
        package var abi: ABINote?
        package var manifest: Manifest?
        package var cpl3: CPL3Note?
        package var console: ConsoleNote?
    }

    /// The notes the parser knows; the others are skipped.
    package enum Kind: CaseIterable {
        case abi, manifest, cpl3, console
    }

    /// Walks every note of every PT_NOTE segment, each given as a reader of
    /// exactly its bytes. Unknown notes are skipped; a known note twice is an
    /// error.
    package static func parse(_ segments: [ByteReader], memorySize: UInt64,
                      wanted: [Kind] = Kind.allCases) throws(ImageProblem) -> Found {
        var found = Found()
        for r in segments {
            // 4-byte padding whatever the segment's alignment says: Solo5's
            // manifest note sits in an 8-aligned section and relies on this
            // (its descriptor starts with 4 pad bytes, so that struct mft
            // lands 8-aligned).
            var at = r.base
            let end = r.base + UInt64(r.bytes.count)
            while at < end {
                guard end - at >= headerSize else { throw .invalid("truncated note header") }
                let namesz = UInt64(try r.u32(at, "note"))
                let descsz = UInt64(try r.u32(at + 4, "note"))
                let type = try r.u32(at + 8, "note")
                let nameAt = at + headerSize
                let descAt = nameAt + roundUp(namesz)  // u32 values: no overflow
                guard descAt + descsz <= end, nameAt + namesz <= end else {
                    throw .invalid("note of type \(hex(type)) runs past its segment")
                }
                guard let nameRange = r.range(nameAt, namesz) else { throw .invalid("truncated note name") }
                let name = Array(r.bytes[nameRange])
                try record(name: name, type: type, r, offset: descAt, size: descsz,
                           memorySize: memorySize, wanted: wanted, in: &found)
                at = descAt + roundUp(descsz)
            }
        }
        return found
    }

    private static func record(name: [UInt8], type: UInt32, _ r: ByteReader, offset: UInt64,
                               size: UInt64, memorySize: UInt64, wanted: [Kind],
                               in found: inout Found) throws(ImageProblem) {
        if name == solo5Name && type == abiType && wanted.contains(.abi) {
            guard found.abi == nil else { throw .invalid("two ABI notes") }
            found.abi = try ABINote.parse(r, offset: offset, size: size)
        } else if name == solo5Name && type == manifestType && wanted.contains(.manifest) {
            guard found.manifest == nil else { throw .invalid("two manifest notes") }
            found.manifest = try Manifest.parse(r, offset: offset, size: size)
        } else if name == ukvmName && type == cpl3Type && wanted.contains(.cpl3) {
            guard found.cpl3 == nil else { throw .invalid("two CPL3 notes") }
            found.cpl3 = try CPL3Note.parse(r, offset: offset, size: size, memorySize: memorySize)
        } else if name == ukvmName && type == consoleType && wanted.contains(.console) {
            guard found.console == nil else { throw .invalid("two console notes") }
            found.console = try ConsoleNote.parse(r, offset: offset, size: size, memorySize: memorySize)
        }
    }

    private static func roundUp(_ value: UInt64) -> UInt64 {
        (value + alignment - 1) & ~(alignment - 1)
    }
}
