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
    /// The file, whole; needed until it is loaded, then dropped (`dropFile`).
    package var bytes: [UInt8] { file.bytes }
    private let file: ImageFile
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

    package init(bytes: [UInt8], entry: UInt64, segments: [ELFSegment], kernelEnd: UInt64, abi: ABINote,
                 manifest: Manifest, cpl3: CPL3Note?, console: ConsoleNote? = nil,
                 protection: ImageProtection) {
        self.file = ImageFile(bytes)
        self.entry = entry
        self.segments = segments
        self.kernelEnd = kernelEnd
        self.abi = abi
        self.manifest = manifest
        self.cpl3 = cpl3
        self.console = console
        self.protection = protection
    }

    /// Lets go of the file's bytes, in this image and every copy of it, once
    /// they are in guest memory: the run needs only what was parsed from
    /// them, and a copy of the image kept on the heap for the whole run would
    /// cost every idle guest its size. `bytes` is empty afterwards.
    package func dropFile() {
        file.bytes = []
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

/// The image file's bytes, one box for all copies of an image (configurations
/// hold it by value), so that dropping them really frees them.
private final class ImageFile {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}
