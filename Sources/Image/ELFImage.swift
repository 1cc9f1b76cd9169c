// ELFImage.swift: a validated image: its loadable segments, entry point and
// notes, and how it is copied into guest memory.

import CKVM
import Glibc

/// One PT_LOAD segment, validated.
package struct ELFSegment: Equatable {
    package let vaddr: UInt64
    package let offset: UInt64
    package let fileSize: UInt64
    package let memSize: UInt64
    package let flags: UInt32

    /// vaddr + memSize (checked not to overflow during parsing).
    package var end: UInt64 { vaddr &+ memSize }
    package var isExecutable: Bool { flags & UInt32(PF_X) != 0 }
    package var isWritable: Bool { flags & UInt32(PF_W) != 0 }
}

/// A validated image: what to load, where to start, and its notes.
package struct ELFImage {
    /// The whole file, for an image parsed from its bytes (empty for one
    /// read from a file, and once dropped: `dropFile`).
    package var bytes: [UInt8] { source.bytes }
    private let source: ImageSource
    package let entry: UInt64
    package let segments: [ELFSegment]
    /// The first address past the highest loaded segment.
    package let kernelEnd: UInt64
    package let abi: ABINote
    package let manifest: Manifest
    /// Present when the image asks to run at CPL 3 (our extension).
    package let cpl3: CPL3Note?
    /// Present when the image has a console buffer for the monitor to
    /// drain (our extension).
    package let console: ConsoleNote?
    /// Its read-only and executable pages (W^X).
    package let protection: ImageProtection

    init(source: ImageSource, entry: UInt64, segments: [ELFSegment], kernelEnd: UInt64, abi: ABINote,
                 manifest: Manifest, cpl3: CPL3Note?, console: ConsoleNote? = nil,
                 protection: ImageProtection) {
        self.source = source
        self.entry = entry
        self.segments = segments
        self.kernelEnd = kernelEnd
        self.abi = abi
        self.manifest = manifest
        self.cpl3 = cpl3
        self.console = console
        self.protection = protection
    }

    /// Lets go of the file (its descriptor, or its bytes), in this image and
    /// every copy of it, once it is in guest memory: the run needs only what
    /// was parsed from it, and a copy of the image kept on the heap for the
    /// whole run would cost every idle guest its size. `bytes` is empty
    /// afterwards.
    package func dropFile() {
        source.drop()
    }

    /// The descriptor the image is read from until it is loaded, if it was
    /// read from a file: a front end that closes descriptors before the
    /// launch (ukvm-oci's container process) must keep it.
    package var fileDescriptor: Int32? { source.file?.descriptor }

    /// Copies segment `s`'s bytes from the file to `destination` (its
    /// fileSize bytes): read from the file, or copied from its bytes.
    package func copyFileBytes(of s: ELFSegment, to destination: UnsafeMutableRawPointer) throws(ImageError) {
        guard s.fileSize > 0 else { return }
        if let file = source.file {
            try file.read(into: destination, s.offset, s.fileSize)
            return
        }
        // Inside the file: checked by the parser (ELFProgramHeader.loadable).
        guard UInt64(source.bytes.count) >= s.offset + s.fileSize else {
            throw .unreadable(path: "image", reason: "its bytes were let go before it was loaded")
        }
        source.bytes.withUnsafeBytes { src in
            destination.copyMemory(from: src.baseAddress! + Int(s.offset), byteCount: Int(s.fileSize))
        }
    }

    /// Checks that the image fits `memorySize` bytes of guest memory: every
    /// segment, the CPL3 note's IDT and exception stack, and the console
    /// buffer.
    package func check(fits memorySize: UInt64) throws(ImageProblem) {
        if let s = segments.first(where: { $0.end > memorySize }) { throw .doesNotFit(end: s.end) }
        try cpl3?.check(fits: memorySize)
        try console?.check(fits: memorySize)
    }
}

/// Where an image's bytes are until it is loaded, one box for all copies of
/// the image (configurations hold it by value), so that letting go of them
/// really lets go: the file, from which the loader reads the segments into
/// guest memory (the monitor), or the whole file's bytes (tests, tools).
final class ImageSource {
    private(set) var file: ImageFile?
    private(set) var bytes: [UInt8]

    init(file: ImageFile) {
        self.file = file
        self.bytes = []
    }

    init(bytes: [UInt8]) {
        self.file = nil
        self.bytes = bytes
    }

    func drop() {
        file?.close()
        file = nil
        bytes = []
    }
}
