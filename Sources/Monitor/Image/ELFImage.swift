// ELFImage.swift: a validated image: its loadable segments, entry point and
// notes, and how it is copied into guest memory.

import CKVM
import Glibc

/// One PT_LOAD segment, validated.
struct ELFSegment: Equatable {
    let vaddr: UInt64
    let offset: UInt64
    let fileSize: UInt64
    let memSize: UInt64
    let flags: UInt32

    /// vaddr + memSize (checked not to overflow during parsing).
    var end: UInt64 { vaddr &+ memSize }
    var isExecutable: Bool { flags & UInt32(PF_X) != 0 }
    var isWritable: Bool { flags & UInt32(PF_W) != 0 }
}

/// A validated image: what to load, where to start, and its notes.
struct ELFImage {
    /// The file, whole; needed until `load`, then dropped (`dropFile`).
    private(set) var bytes: [UInt8]
    let entry: UInt64
    let segments: [ELFSegment]
    /// The first address past the highest loaded segment.
    let kernelEnd: UInt64
    let abi: ABINote
    let manifest: Manifest
    /// Present when the image asks to run at CPL 3 (our extension).
    let cpl3: CPL3Note?
    /// Its read-only and executable pages (W^X).
    let protection: ImageProtection

    /// Lets go of the file's bytes once they are in guest memory: the run
    /// needs only what was parsed from them, and a copy of the image kept on
    /// the heap for the whole run would cost every idle guest its size.
    mutating func dropFile() {
        bytes = []
    }

    /// Copies every segment into guest memory and zeroes its .bss, unless
    /// `zeroFilled`: memory as mmap handed it out, nothing written yet. Then
    /// the .bss is already zero (segments do not overlap, so no file bytes
    /// land on it), and leaving it alone leaves its untouched pages unmapped:
    /// they cost the host nothing until the guest uses them (a .bss of net
    /// buffers is hundreds of KiB per idle guest; docs/density.md).
    func load(into memory: GuestMemory, zeroFilled: Bool = false) throws(MonitorError) {
        for s in segments {
            let dst = try memory.buffer(gpa: s.vaddr, count: s.memSize)
            guard let d = dst.baseAddress else { continue }
            let file = Int(s.fileSize)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress, file > 0 {
                    d.copyMemory(from: base + Int(s.offset), byteCount: file)
                }
            }
            if !zeroFilled { memset(d + file, 0, dst.count - file) }
        }
    }
}
