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

    /// Reads the image at `path` and validates it for `memorySize` bytes of
    /// guest memory.
    package static func read(path file: Argument, memorySize: UInt64) throws(ImageError) -> ELFImage {
        let bytes = try readFile(file)
        do {
            return try parse(bytes, memorySize: memorySize)
        } catch {
            throw ImageError(error, path: file.description, memorySize: memorySize)
        }
    }

    /// The whole file, bounded by `maxFileSize`. The open does not block
    /// (O_NONBLOCK: a FIFO would wait for a writer), and the type is checked
    /// on what was opened; reads of a regular file ignore O_NONBLOCK.
    package static func readFile(_ file: Argument) throws(ImageError) -> [UInt8] {
        let path = file.description
        guard let fd = file.withPath({ open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }) else {
            throw .unreadable(path: path, reason: "path contains a NUL byte")
        }
        guard fd >= 0 else { throw .unreadable(path: path, reason: errnoText(errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw .unreadable(path: path, reason: errnoText(errno))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw .unreadable(path: path, reason: "not a regular file")
        }
        guard st.st_size <= maxFileSize else {
            throw .unreadable(path: path, reason: "larger than 1 GiB")
        }
        let size = Int(st.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            count = 0
            guard let base = buf.baseAddress else { return }
            while count < size {
                let n = Glibc.read(fd, base + count, size - count)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { break }  // the file shrank: parse what is there
                count += n
            }
        }
        if failure != 0 { throw .unreadable(path: path, reason: errnoText(failure)) }
        return bytes
    }

    /// Reads the image at `path` and validates its structure, for any
    /// memory size up to the most a guest can have: the monitor plans the
    /// guest's memory from it, then checks it fits (ELFImage.check).
    package static func read(path file: Argument) throws(ImageError) -> ELFImage {
        let bytes = try readFile(file)
        do {
            return try parse(bytes)
        } catch {
            throw ImageError(error, path: file.description, memorySize: maxMemory)
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

    /// Validates `bytes` as a ukvm image for some memory size up to
    /// `maxMemory`; `ELFImage.check(fits:)` checks it against the real one.
    package static func parse(_ bytes: [UInt8]) throws(ImageProblem) -> ELFImage {
        let memorySize = maxMemory
        let r = ByteReader(bytes: bytes)
        let (header, headers) = try programHeaders(r)
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
        let found = try Notes.parse(r, notes: try noteSegments(r, headers), memorySize: memorySize)
        guard let abi = found.abi else { throw .invalid("no Solo5 ABI note") }
        guard abi.target == ABINote.expectedTarget, abi.version == ABINote.expectedVersion else {
            throw .abiMismatch(target: abi.target, version: abi.version)
        }
        try found.console?.check(in: segments)
        return ELFImage(bytes: bytes, entry: header.entry, segments: segments,
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
        return try Notes.parse(r, notes: try noteSegments(r, headers), memorySize: maxMemory,
                               wanted: wanted)
    }

    /// The ELF header and every program header, as read.
    private static func programHeaders(_ r: ByteReader) throws(ImageProblem) -> (ELFHeader, [ELFProgramHeader]) {
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
            guard r.range(ph.offset, ph.fileSize) != nil else {
                throw .invalid("note segment \(i) lies outside the file")
            }
            notes.append((ph.offset, ph.fileSize))
        }
        return notes
    }
}
