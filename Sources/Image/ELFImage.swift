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
    package let bytes: [UInt8]
    package let entry: UInt64
    package let segments: [ELFSegment]
    /// The first address past the highest loaded segment.
    package let kernelEnd: UInt64
    package let abi: ABINote
    package let manifest: Manifest
    /// Present when the image asks to run at CPL 3 (our extension).
    package let cpl3: CPL3Note?
    /// Its read-only and executable pages (W^X).
    package let protection: ImageProtection

    /// Checks that the image fits `memorySize` bytes of guest memory: every
    /// segment, and the CPL3 note's IDT and exception stack.
    package func check(fits memorySize: UInt64) throws(ImageProblem) {
        if let s = segments.first(where: { $0.end > memorySize }) { throw .doesNotFit(end: s.end) }
        try cpl3?.check(fits: memorySize)
    }
}
