// Manifest+Note.swift: reading the manifest from an image's note, which is
// hostile input like the rest of the file.

import CKVM
import Support

extension Manifest {
    /// The note descriptor: MFT_NOTE_PAD bytes of padding, then struct mft.
    package static let notePadding = UInt64(MFT_NOTE_PAD)
    package static let headerSize = UInt64(MemoryLayout<mft>.size)
    package static let entrySize = UInt64(MemoryLayout<mft_entry>.size)

    /// Parses and validates a manifest note descriptor (`size` bytes at
    /// `offset` of `r`, already known to lie inside the file).
    package static func parse(_ r: ByteReader, offset: UInt64, size: UInt64) throws(ImageProblem) -> Manifest {
        let mftAt = offset + notePadding
        guard size >= notePadding + headerSize else {
            // Upstream's wording first: drivers and upstream's tests look for it.
            throw .invalid("manifest: note does not fall within valid size: \(size) bytes is too short")
        }
        let version = try r.u32(mftAt + UInt64(MFT_VERSION_OFFSET), "manifest")
        let count = try r.u32(mftAt + UInt64(MFT_ENTRIES_OFFSET), "manifest")
        guard version == Manifest.version else {
            throw .invalid("manifest: version \(version), expected \(Manifest.version)")
        }
        guard count >= 1, count <= UInt32(maxEntries) else {
            throw .invalid("manifest: \(count) entries, must be 1 to \(maxEntries)")
        }
        let expected = notePadding + headerSize + UInt64(count) * entrySize
        guard size == expected else {
            throw .invalid("manifest: note is \(size) bytes, \(count) entries need \(expected)")
        }
        var entries: [Entry] = []
        var names = Set<String>()
        for i in 0..<UInt64(count) {
            let entry = try parseEntry(r, at: mftAt + headerSize + i * entrySize, index: i)
            if i > 0 {
                guard names.insert(entry.name).inserted else {
                    throw .invalid("manifest: device name '\(entry.name)' appears twice")
                }
            }
            entries.append(entry)
        }
        return Manifest(entries: entries)
    }

    /// Entry `index` at `at`: a NUL-terminated name, a known type, not
    /// attached; entry 0 is the reserved entry, the others devices.
    private static func parseEntry(_ r: ByteReader, at: UInt64, index i: UInt64) throws(ImageProblem) -> Entry {
        guard let nameRange = r.range(at, UInt64(nameSize)) else {
            throw .invalid("manifest: truncated entry \(i)")
        }
        let raw = r.bytes[nameRange]
        guard let nul = raw.firstIndex(of: 0) else {
            throw .invalid("manifest: entry \(i): name is not NUL-terminated")
        }
        // Names are UTF-8 (a manifest.json's strings): the command line names
        // devices as text, and the guest must get back the very bytes.
        guard let name = String(validating: raw[raw.startIndex..<nul], as: UTF8.self) else {
            throw .invalid("manifest: entry \(i): name is not UTF-8")
        }
        let rawType = try r.u32(at + UInt64(MFT_ENTRY_TYPE_OFFSET), "manifest")
        guard try r.u8(at + UInt64(MFT_ENTRY_ATTACHED_OFFSET), "manifest") == 0 else {
            throw .invalid("manifest: entry \(i): 'attached' is set in the image")
        }
        if i == 0 {
            guard rawType == DeviceType.reservedFirst.raw, name.isEmpty else {
                throw .invalid("manifest: entry 0 must be the reserved entry with an empty name")
            }
            return Entry(name: "", type: .reservedFirst)
        }
        guard !name.isEmpty else { throw .invalid("manifest: entry \(i): empty name") }
        guard let type = DeviceType(raw: rawType), type != .reservedFirst else {
            throw .invalid("manifest: entry \(i) ('\(name)'): unknown device type \(hex(rawType))")
        }
        return Entry(name: name, type: type)
    }
}
