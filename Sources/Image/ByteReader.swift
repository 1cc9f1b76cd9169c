// ByteReader.swift: little-endian, bounds-checked reads from the bytes of
// an image, and why an image was refused.

/// Why an image was refused (turned into an `ImageError` with the path).
package enum ImageProblem: Error, Equatable {
    case invalid(String)
    case abiMismatch(target: UInt32, version: UInt32)
    /// The image needs more guest memory than there is.
    case doesNotFit(end: UInt64)
}

/// Little-endian, bounds-checked reads from the image bytes.
package struct ByteReader {
    package let bytes: [UInt8]

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The Int offset of [offset, offset + count) if it lies inside the bytes.
    package func range(_ offset: UInt64, _ count: UInt64) -> Range<Int>? {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= UInt64(bytes.count) else { return nil }
        return Int(offset)..<Int(end)
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
