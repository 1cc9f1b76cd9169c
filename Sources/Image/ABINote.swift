// ABINote.swift: the Solo5 ABI note: which target and ABI version an image
// was built for. The monitor refuses anything but hvt, version 2.

import CKVM

package struct ABINote: Equatable {
    package let target: UInt32
    package let version: UInt32

    package static let expectedTarget = UInt32(SOLO5_ABI_TARGET_HVT)
    package static let expectedVersion = UInt32(UKVM_ABI_VERSION)
    package static let descriptorSize = UInt64(MemoryLayout<solo5_abi_note_desc>.size)

    /// "hvt", "virtio", ... or "unknown (N)".
    package static func targetName(_ target: UInt32) -> String {
        guard let name = solo5_abi_target_name(target) else { return "unknown (\(target))" }
        return String(cString: name)
    }

    /// Reads the note's descriptor of `size` bytes at `offset` of `r`.
    package static func parse(_ r: ByteReader, offset: UInt64, size: UInt64) throws(ImageProblem) -> ABINote {
        guard size == descriptorSize else {
            throw .invalid("ABI note: descriptor is \(size) bytes, expected \(descriptorSize)")
        }
        let d = try r.load(solo5_abi_note_desc.self, at: offset, "ABI note")
        return ABINote(target: d.target, version: d.version)
    }
}
