// Notes.swift: the ELF notes a ukvm image carries, found through its PT_NOTE
// program headers: the Solo5 ABI note (required), the Solo5 manifest
// (optional: none means no devices) and our UKVM CPL3 note (optional).

import CKVM

/// The Solo5 ABI note: which target and ABI version the image was built for.
struct ABINote: Equatable {
    let target: UInt32
    let version: UInt32

    static let expectedTarget = UInt32(SOLO5_ABI_TARGET_HVT)
    static let expectedVersion = UInt32(UKVM_ABI_VERSION)

    /// "hvt", "virtio", ... or "unknown (N)".
    static func targetName(_ target: UInt32) -> String {
        switch target {
        case 1: return "hvt"
        case 2: return "spt"
        case 3: return "virtio"
        case 4: return "muen"
        case 5: return "genode"
        case 6: return "xen"
        default: return "unknown (\(target))"
        }
    }
}

/// Our CPL3 note: start the image at CPL 3 with this IDT and ring-0 stack.
struct CPL3Note: Equatable {
    /// Guest address of the 4096-byte IDT (16-aligned).
    let idt: UInt64
    /// Top of the ring-0 stack for exceptions (16-aligned): TSS.RSP0.
    let exceptionStack: UInt64

    static let version = UInt32(UKVM_CPL3_VERSION)
    static let descriptorSize: UInt64 = 24
    static let idtSize = UInt64(UKVM_IDT_SIZE)

    /// Parses and validates the note's descriptor at `offset` of `r`.
    static func parse(_ r: ByteReader, offset: UInt64, size: UInt64,
                      memorySize: UInt64) throws(ImageProblem) -> CPL3Note {
        guard size == descriptorSize else {
            throw .invalid("CPL3 note: descriptor is \(size) bytes, expected \(descriptorSize)")
        }
        let version = try r.u32(offset, "CPL3 note")
        let flags = try r.u32(offset + 4, "CPL3 note")
        let idt = try r.u64(offset + 8, "CPL3 note")
        let stack = try r.u64(offset + 16, "CPL3 note")
        guard version == CPL3Note.version else {
            throw .invalid("CPL3 note: version \(version), expected \(CPL3Note.version)")
        }
        guard flags == 0 else { throw .invalid("CPL3 note: unknown flags \(hex(flags))") }
        let (idtEnd, idtOverflow) = idt.addingReportingOverflow(idtSize)
        guard idt & 15 == 0, idt >= BootInfo.kernelBase, !idtOverflow, idtEnd <= memorySize else {
            throw .invalid("CPL3 note: IDT at \(hex(idt)) must be 16-byte aligned and lie "
                + "inside guest memory above \(hex(BootInfo.kernelBase))")
        }
        guard stack & 15 == 0, stack > BootInfo.kernelBase, stack <= memorySize else {
            throw .invalid("CPL3 note: exception stack at \(hex(stack)) must be 16-byte "
                + "aligned and lie inside guest memory above \(hex(BootInfo.kernelBase))")
        }
        return CPL3Note(idt: idt, exceptionStack: stack)
    }
}

enum Notes {
    static let solo5Name: [UInt8] = Array("Solo5".utf8) + [0]
    static let ukvmName: [UInt8] = Array("UKVM".utf8) + [0]
    static let abiType = UInt32(SOLO5_NOTE_ABI)
    static let manifestType = UInt32(SOLO5_NOTE_MANIFEST)
    static let cpl3Type = UInt32(UKVM_NOTE_CPL3)
    static let abiDescriptorSize: UInt64 = 16

    struct Found {
        var abi: ABINote?
        var manifest: Manifest?
        var cpl3: CPL3Note?
    }

    /// Walks every note of every PT_NOTE segment (each already checked to lie
    /// inside the file). Unknown notes are skipped; a known note twice is an
    /// error.
    static func parse(_ r: ByteReader, notes: [(offset: UInt64, size: UInt64)],
                      memorySize: UInt64) throws(ImageProblem) -> Found {
        var found = Found()
        for segment in notes {
            // Name and descriptor are padded to 4 bytes, whatever the segment's
            // alignment says: Solo5's manifest note sits in an 8-aligned
            // section and relies on this (its descriptor starts with 4 pad
            // bytes, so that struct mft lands 8-aligned).
            let align: UInt64 = 4
            var at = segment.offset
            let end = segment.offset + segment.size
            while at < end {
                guard end - at >= 12 else { throw .invalid("truncated note header") }
                let namesz = UInt64(try r.u32(at, "note"))
                let descsz = UInt64(try r.u32(at + 4, "note"))
                let type = try r.u32(at + 8, "note")
                let nameAt = at + 12
                let descAt = nameAt + roundUp(namesz, align)  // u32 values: no overflow
                let next = descAt + roundUp(descsz, align)
                guard descAt + descsz <= end, nameAt + namesz <= end else {
                    throw .invalid("note of type \(hex(type)) runs past its segment")
                }
                let name = Array(r.bytes[Int(nameAt)..<Int(nameAt + namesz)])
                if name == solo5Name && type == abiType {
                    guard found.abi == nil else { throw .invalid("two ABI notes") }
                    guard descsz == abiDescriptorSize else {
                        throw .invalid("ABI note: descriptor is \(descsz) bytes, expected 16")
                    }
                    found.abi = ABINote(target: try r.u32(descAt, "ABI note"),
                                        version: try r.u32(descAt + 4, "ABI note"))
                } else if name == solo5Name && type == manifestType {
                    guard found.manifest == nil else { throw .invalid("two manifest notes") }
                    found.manifest = try Manifest.parse(r, offset: descAt, size: descsz)
                } else if name == ukvmName && type == cpl3Type {
                    guard found.cpl3 == nil else { throw .invalid("two CPL3 notes") }
                    found.cpl3 = try CPL3Note.parse(r, offset: descAt, size: descsz,
                                                    memorySize: memorySize)
                }
                at = next
            }
        }
        return found
    }

    private static func roundUp(_ value: UInt64, _ align: UInt64) -> UInt64 {
        (value + align - 1) & ~(align - 1)
    }
}
