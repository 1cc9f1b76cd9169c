// ByteReader.swift: little-endian, bounds-checked reads from the bytes of
// an image (all of it, or the window of it the parser needs), and why an
// image was refused.

/// Why an image was refused (turned into an `ImageError` with the path).
package enum ImageProblem: Error, Equatable {
    case invalid(String)
    case abiMismatch(target: UInt32, version: UInt32)
    /// The image needs more guest memory than there is.
    case doesNotFit(end: UInt64)
}

/// Little-endian, bounds-checked reads from the image's bytes: file
/// offsets, read from a window of the file that starts at `base`.
package struct ByteReader {
    /// The file's bytes from offset `base` on.
    package let bytes: [UInt8]
    /// The file offset of bytes[0].
    package let base: UInt64
    /// The whole file's size, which file ranges are checked against.
    package let fileSize: UInt64

    /// A reader of `bytes`, the file's bytes from offset `base` on, of a
    /// file of `fileSize` bytes (by default: `bytes` is the whole file).
    package init(bytes: [UInt8], base: UInt64 = 0, fileSize: UInt64? = nil) {
        self.bytes = bytes
        self.base = base
        self.fileSize = fileSize ?? base + UInt64(bytes.count)
    }

    /// The indices in `bytes` of the file's [offset, offset + count), if the
    /// window holds all of it.
    package func range(_ offset: UInt64, _ count: UInt64) -> Range<Int>? {
        guard offset >= base else { return nil }
        let (end, overflow) = (offset - base).addingReportingOverflow(count)
        guard !overflow, end <= UInt64(bytes.count) else { return nil }
        return Int(offset - base)..<Int(end)
    }

    /// Whether [offset, offset + count) lies inside the file.
    package func inFile(_ offset: UInt64, _ count: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(count)
        return !overflow && end <= fileSize
    }

    /// The C struct `T` at `offset`, as the file lays it out (little-endian,
    /// as the host and the ABI), its fields then read by name: the layout
    /// is the C header's, and no key path is built at run time to find it.
    package func load<T: BitwiseCopyable>(_ type: T.Type, at offset: UInt64,
                                         _ what: String) throws(ImageProblem) -> T {
        guard let r = range(offset, UInt64(MemoryLayout<T>.size)) else { throw .invalid("truncated \(what)") }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: r.lowerBound, as: T.self) }
    }

    package func u8(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt8 {
        guard let r = range(offset, 1) else { throw .invalid("truncated \(what)") }
        return bytes[r.lowerBound]
    }

    package func u16(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt16 {
        UInt16(truncatingIfNeeded: try le(offset, 2, what))
    }

    package func u32(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt32 {
        UInt32(truncatingIfNeeded: try le(offset, 4, what))
    }

    package func u64(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt64 {
        try le(offset, 8, what)
    }

    private func le(_ offset: UInt64, _ count: UInt64, _ what: String) throws(ImageProblem) -> UInt64 {
        guard let r = range(offset, count) else { throw .invalid("truncated \(what)") }
        var value: UInt64 = 0
        for i in r.reversed() { value = value << 8 | UInt64(bytes[i]) }
        return value
    }
}
