// ConsoleNote.swift: our console note (include/ukvm_ext.h): the buffer the
// guest appends its console output to, which the monitor drains at every
// exit when it offers UKVM_HOST_FEATURE_CONSOLE_BUFFER.

import CKVM
import Support

package struct ConsoleNote: Equatable {
    /// Guest address of the struct ukvm_console_buffer (8-aligned).
    package let buffer: UInt64
    /// Bytes of the buffer, its header included.
    package let size: UInt64

    package static let version = UInt32(UKVM_CONSOLE_VERSION)
    package static let headerSize = UInt64(UKVM_CONSOLE_HEADER)
    package static let sizes = UInt64(UKVM_CONSOLE_SIZE_MIN)...UInt64(UKVM_CONSOLE_SIZE_MAX)
    package static let descriptorSize = UInt64(MemoryLayout<ukvm_console_note_desc>.size)

    /// Room for text after the header.
    package var capacity: UInt64 { size - ConsoleNote.headerSize }

    /// Parses and validates the note's descriptor of `size` bytes at `offset`
    /// of `r`, for `memorySize` bytes of guest memory.
    package static func parse(_ r: ByteReader, offset: UInt64, size: UInt64,
                              memorySize: UInt64) throws(ImageProblem) -> ConsoleNote {
        guard size == descriptorSize else {
            throw .invalid("console note: descriptor is \(size) bytes, expected \(descriptorSize)")
        }
        let d = try r.load(ukvm_console_note_desc.self, at: offset, "console note")
        let (version, bufferSize, buffer) = (d.version, UInt64(d.size), d.buffer)
        guard version == ConsoleNote.version else {
            throw .invalid("console note: version \(version), expected \(ConsoleNote.version)")
        }
        guard sizes.contains(bufferSize) else {
            throw .invalid("console note: buffer of \(bufferSize) bytes, expected "
                + "\(sizes.lowerBound) to \(sizes.upperBound)")
        }
        let note = ConsoleNote(buffer: buffer, size: bufferSize)
        try note.check(fits: memorySize)
        return note
    }

    /// Checks that the buffer is 8-aligned and lies inside `memorySize` bytes
    /// of guest memory, above the kernel's base.
    package func check(fits memorySize: UInt64) throws(ImageProblem) {
        let (end, overflow) = buffer.addingReportingOverflow(size)
        guard buffer & 7 == 0, buffer >= UInt64(UKVM_KERNEL_BASE), !overflow, end <= memorySize else {
            throw .invalid("console note: buffer at \(hex(buffer)) must be 8-byte aligned and lie "
                + "inside guest memory above \(hex(UInt64(UKVM_KERNEL_BASE)))")
        }
    }

    /// Checks that the buffer lies inside one writable, non-executable
    /// segment: the monitor writes its header, and must never write the
    /// image's code or read-only data on the guest's behalf.
    package func check(in segments: [ELFSegment]) throws(ImageProblem) {
        let end = buffer + size  // checked not to overflow by check(fits:)
        guard segments.contains(where: { $0.isWritable && !$0.isExecutable && buffer >= $0.vaddr && end <= $0.end })
        else {
            throw .invalid("console note: buffer at \(hex(buffer)) is not inside a writable data segment")
        }
    }
}
