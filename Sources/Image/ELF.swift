// ELF.swift: reads and validates a unikernel image (ELF64, x86_64, ET_EXEC).
//
// The file is hostile input: every offset, size and address in it is
// checked, with overflow checks, before use. The rules are those of
// docs/abi.md, "The image"; the ELF layout comes from <elf.h>.

import CKVM
import Glibc
import Support

package enum ELF {
    package static let headerSize = UInt64(MemoryLayout<Elf64_Ehdr>.size)
    package static let phdrSize = UInt64(MemoryLayout<Elf64_Phdr>.size)
    /// Images larger than this are refused without reading them.
    package static let maxFileSize: Int64 = 1 << 30

    /// The first read of a file: the ELF header and, in every image seen so
    /// far, the program header table.
    static let headerWindow: UInt64 = 4096

    /// Reads the image at `path` and validates it for `memorySize` bytes of
    /// guest memory.
    package static func read(path file: Argument, memorySize: UInt64) throws(ImageError) -> ELFImage {
        let image = try read(path: file)
        do {
            try image.check(fits: memorySize)
        } catch {
            throw ImageError(error, path: file.description, memorySize: memorySize)
        }
        return image
    }

    /// Reads the image at `path` and validates its structure, for any
    /// memory size up to the most a guest can have: the monitor plans the
    /// guest's memory from it, then checks it fits (ELFImage.check). Only
    /// the headers and the notes are read now; the segments' bytes go from
    /// the file to guest memory when the image is loaded.
    package static func read(path file: Argument) throws(ImageError) -> ELFImage {
        let f = try ImageFile.open(file)
        let r = try headers(of: f)
        let table = try checked(f) { () throws(ImageProblem) in try programHeaders(r) }
        let noteRanges = try checked(f) { () throws(ImageProblem) in try noteSegments(r, table.headers) }
        var notes: [ByteReader] = []
        for n in noteRanges {
            notes.append(ByteReader(bytes: try f.read(n.offset, n.size), base: n.offset, fileSize: f.size))
        }
        return try checked(f) { () throws(ImageProblem) in
            try validate(r, table, notes: notes, source: ImageSource(file: f))
        }
    }

    /// The whole file, bounded by `maxFileSize` (solo5-elftool).
    package static func readFile(_ file: Argument) throws(ImageError) -> [UInt8] {
        let f = try ImageFile.open(file)
        return try f.read(0, f.size)
    }

    /// A reader of the file's start that holds its ELF header and program
    /// header table.
    private static func headers(of f: ImageFile) throws(ImageError) -> ByteReader {
        let first = ByteReader(bytes: try f.read(0, min(f.size, headerWindow)), fileSize: f.size)
        let header = try checked(f) { () throws(ImageProblem) in try ELFHeader.parse(first) }
        // Checked to lie inside the file by the header's parser.
        let end = header.phoff + UInt64(header.phnum) * phdrSize
        return end <= UInt64(first.bytes.count) ? first : ByteReader(bytes: try f.read(0, end), fileSize: f.size)
    }

    /// `body`'s result, or its problem as the image's error.
    private static func checked<T>(_ f: ImageFile, _ body: () throws(ImageProblem) -> T) throws(ImageError) -> T {
        do {
            return try body()
        } catch {
            throw ImageError(error, path: f.path, memorySize: maxMemory)
        }
    }

    /// The most memory any guest can have (include/ukvm_abi.h).
    package static let maxMemory = UInt64(UKVM_MEMORY_MAX)

    /// Validates `bytes` as a ukvm image for `memorySize` bytes of memory.
    package static func parse(_ bytes: [UInt8], memorySize: UInt64) throws(ImageProblem) -> ELFImage {
        let image = try parse(bytes)
        try image.check(fits: memorySize)
        return image
    }

    /// Validates `bytes`, a whole image file, as a ukvm image for some
    /// memory size up to `maxMemory`; `ELFImage.check(fits:)` checks it
    /// against the real one.
    package static func parse(_ bytes: [UInt8]) throws(ImageProblem) -> ELFImage {
        let r = ByteReader(bytes: bytes)
        let table = try programHeaders(r)
        return try validate(r, table, notes: try noteWindows(r, table.headers), source: ImageSource(bytes: bytes))
    }

    /// The checks of every image, on its headers (read through `r`, which
    /// knows the file's size: what the segments' file data is checked
    /// against) and notes.
    private static func validate(_ r: ByteReader, _ table: (header: ELFHeader, headers: [ELFProgramHeader]),
                                 notes: [ByteReader], source: ImageSource) throws(ImageProblem) -> ELFImage {
        let memorySize = maxMemory
        let (header, headers) = table
        var segments: [ELFSegment] = []
        for (i, ph) in headers.enumerated() where ph.type == UInt32(PT_LOAD) && ph.memSize > 0 {
            let s = try ph.loadable(index: UInt64(i), r, after: segments.last)
            guard s.end <= memorySize else { throw .doesNotFit(end: s.end) }
            segments.append(s)
        }
        guard let last = segments.last else { throw .invalid("no loadable segments") }
        guard segments.contains(where: { $0.isExecutable && header.entry >= $0.vaddr && header.entry < $0.end }) else {
            throw .invalid("entry point \(hex(header.entry)) is not inside an executable segment")
        }
        let found = try Notes.parse(notes, memorySize: memorySize)
        guard let abi = found.abi else { throw .invalid("no Solo5 ABI note") }
        guard abi.target == ABINote.expectedTarget, abi.version == ABINote.expectedVersion else {
            throw .abiMismatch(target: abi.target, version: abi.version)
        }
        try found.console?.check(in: segments)
        return ELFImage(source: source, entry: header.entry, segments: segments,
                        kernelEnd: last.end, abi: abi,
                        manifest: found.manifest ?? Manifest.empty, cpl3: found.cpl3,
                        console: found.console, protection: try ImageProtection.of(segments, strict: found.cpl3 != nil))
    }

    /// The `wanted` notes of any Solo5 image, for any target (solo5-elftool),
    /// with no check of what the image would need to run here; the other
    /// notes are not looked at.
    package static func notes(of bytes: [UInt8], wanted: [Notes.Kind]) throws(ImageProblem) -> Notes.Found {
        let r = ByteReader(bytes: bytes)
        let (_, headers) = try programHeaders(r)
        return try Notes.parse(try noteWindows(r, headers), memorySize: maxMemory, wanted: wanted)
    }

    /// A reader of each PT_NOTE segment's bytes, from a reader of the whole file.
    private static func noteWindows(_ r: ByteReader, _ headers: [ELFProgramHeader]) throws(ImageProblem) -> [ByteReader] {
        try noteSegments(r, headers).map { n in
            // Inside the file, checked by noteSegments.
            ByteReader(bytes: Array(r.bytes[Int(n.offset)..<Int(n.offset + n.size)]), base: n.offset, fileSize: r.fileSize)
        }
    }

    /// The ELF header and every program header, as read.
    private static func programHeaders(_ r: ByteReader) throws(ImageProblem)
        -> (header: ELFHeader, headers: [ELFProgramHeader]) {
        let header = try ELFHeader.parse(r)
        var headers: [ELFProgramHeader] = []
        for i in 0..<UInt64(header.phnum) {
            headers.append(try ELFProgramHeader.parse(r, at: header.phoff + i * phdrSize))
        }
        return (header, headers)
    }

    /// Where the PT_NOTE segments lie, each checked to lie inside the file.
    private static func noteSegments(_ r: ByteReader,
                                     _ headers: [ELFProgramHeader]) throws(ImageProblem) -> [(offset: UInt64, size: UInt64)] {
        var notes: [(offset: UInt64, size: UInt64)] = []
        for (i, ph) in headers.enumerated() where ph.type == UInt32(PT_NOTE) {
            guard r.inFile(ph.offset, ph.fileSize) else {
                throw .invalid("note segment \(i) lies outside the file")
            }
            notes.append((ph.offset, ph.fileSize))
        }
        return notes
    }
}
