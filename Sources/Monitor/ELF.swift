// ELF.swift: reads and validates a unikernel image (ELF64, x86_64, ET_EXEC)
// and loads its segments into guest memory.
//
// The file is hostile input: every offset, size and address in it is
// checked, with overflow checks, before use. The rules are ABI.md's.

import Glibc

/// Why an image was refused (turned into a `MonitorError` with the path).
enum ImageProblem: Error, Equatable {
    case invalid(String)
    case abiMismatch(target: UInt32, version: UInt32)
    /// The image needs more guest memory than there is.
    case doesNotFit(end: UInt64)
}

/// Little-endian, bounds-checked reads from the image bytes.
struct ByteReader {
    let bytes: [UInt8]

    /// The Int offset of [offset, offset + count) if it lies inside the bytes.
    func range(_ offset: UInt64, _ count: UInt64) -> Range<Int>? {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= UInt64(bytes.count) else { return nil }
        return Int(offset)..<Int(end)
    }

    func u8(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt8 {
        guard let r = range(offset, 1) else { throw .invalid("truncated \(what)") }
        return bytes[r.lowerBound]
    }

    func u16(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt16 {
        UInt16(truncatingIfNeeded: try le(offset, 2, what))
    }

    func u32(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt32 {
        UInt32(truncatingIfNeeded: try le(offset, 4, what))
    }

    func u64(_ offset: UInt64, _ what: String) throws(ImageProblem) -> UInt64 {
        try le(offset, 8, what)
    }

    private func le(_ offset: UInt64, _ count: UInt64, _ what: String) throws(ImageProblem) -> UInt64 {
        guard let r = range(offset, count) else { throw .invalid("truncated \(what)") }
        var value: UInt64 = 0
        for i in r.reversed() { value = value << 8 | UInt64(bytes[i]) }
        return value
    }
}

/// One PT_LOAD segment, validated.
struct ELFSegment: Equatable {
    let vaddr: UInt64
    let offset: UInt64
    let fileSize: UInt64
    let memSize: UInt64
    let flags: UInt32

    /// vaddr + memSize (checked not to overflow during parsing).
    var end: UInt64 { vaddr &+ memSize }
    var isExecutable: Bool { flags & ELF.pfX != 0 }
}

/// A validated image: what to load, where to start, and its notes.
struct ELFImage {
    let bytes: [UInt8]
    let entry: UInt64
    let segments: [ELFSegment]
    /// The first address past the highest loaded segment.
    let kernelEnd: UInt64
    let abi: ABINote
    let manifest: Manifest
    /// Present when the image asks to run at CPL 3 (our extension).
    let cpl3: CPL3Note?

    /// Copies every segment into guest memory and zeroes its .bss.
    func load(into memory: GuestMemory) throws(MonitorError) {
        for s in segments {
            let dst = try memory.buffer(gpa: s.vaddr, count: s.memSize)
            guard let d = dst.baseAddress else { continue }
            let file = Int(s.fileSize)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress, file > 0 {
                    d.copyMemory(from: base + Int(s.offset), byteCount: file)
                }
            }
            memset(d + file, 0, dst.count - file)
        }
    }
}

enum ELF {
    static let headerSize: UInt64 = 64
    static let phdrSize: UInt64 = 56
    static let etExec: UInt16 = 2
    static let emX86_64: UInt16 = 62
    static let ptLoad: UInt32 = 1
    static let ptNote: UInt32 = 4
    static let pfX: UInt32 = 1
    static let pfW: UInt32 = 2
    /// Images larger than this are refused without reading them.
    static let maxFileSize: Int64 = 1 << 30

    /// Reads the image at `path` and validates it for `memorySize` bytes of
    /// guest memory.
    static func read(path: String, memorySize: UInt64) throws(MonitorError) -> ELFImage {
        let bytes = try readFile(path)
        do {
            return try parse(bytes, memorySize: memorySize)
        } catch {
            switch error {
            case .invalid(let reason):
                throw .imageInvalid(path: path, reason: reason)
            case .abiMismatch(let target, let version):
                throw .abiMismatch(path: path, target: target, version: version)
            case .doesNotFit(let end):
                let mib = (end &+ (1 << 20) &- 1) >> 20
                throw .memorySize("\(path): the image ends at \(hex(end)), which needs "
                    + "--mem=\(mib + 1) or more (guest memory is \(memorySize >> 20) MiB)")
            }
        }
    }

    /// The whole file, bounded by `maxFileSize`.
    static func readFile(_ path: String) throws(MonitorError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .imageUnreadable(path: path, reason: errnoText(errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw .imageUnreadable(path: path, reason: errnoText(errno))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw .imageUnreadable(path: path, reason: "not a regular file")
        }
        guard st.st_size <= maxFileSize else {
            throw .imageUnreadable(path: path, reason: "larger than 1 GiB")
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
        if failure != 0 { throw .imageUnreadable(path: path, reason: errnoText(failure)) }
        return bytes
    }

    /// Validates `bytes` as a ukvm image for `memorySize` bytes of memory.
    static func parse(_ bytes: [UInt8], memorySize: UInt64) throws(ImageProblem) -> ELFImage {
        let r = ByteReader(bytes: bytes)
        guard bytes.count >= Int(headerSize) else {
            throw .invalid("file too short for an ELF header (\(bytes.count) bytes)")
        }
        guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw .invalid("not an ELF file (bad magic)")
        }
        guard bytes[4] == 2 else { throw .invalid("not a 64-bit ELF file") }
        guard bytes[5] == 1 else { throw .invalid("not a little-endian ELF file") }
        guard bytes[6] == 1 else { throw .invalid("unknown ELF version \(bytes[6])") }
        let type = try r.u16(16, "ELF header")
        guard type == etExec else {
            throw .invalid("not an executable (ELF type \(type), expected ET_EXEC)")
        }
        let machine = try r.u16(18, "ELF header")
        guard machine == emX86_64 else {
            throw .invalid("not an x86_64 image (ELF machine \(machine))")
        }
        let entry = try r.u64(24, "ELF header")
        let phoff = try r.u64(32, "ELF header")
        let phentsize = try r.u16(54, "ELF header")
        let phnum = try r.u16(56, "ELF header")
        guard UInt64(phentsize) == phdrSize else {
            throw .invalid("program header size \(phentsize), expected \(phdrSize)")
        }
        guard phnum > 0, phnum != 0xffff else {
            throw .invalid("unsupported number of program headers (\(phnum))")
        }
        guard r.range(phoff, UInt64(phnum) * phdrSize) != nil else {
            throw .invalid("program header table lies outside the file")
        }

        var segments: [ELFSegment] = []
        var notes: [(offset: UInt64, size: UInt64)] = []
        for i in 0..<UInt64(phnum) {
            let ph = phoff + i * phdrSize
            let ptype = try r.u32(ph, "program header")
            let flags = try r.u32(ph + 4, "program header")
            let offset = try r.u64(ph + 8, "program header")
            let vaddr = try r.u64(ph + 16, "program header")
            let filesz = try r.u64(ph + 32, "program header")
            let memsz = try r.u64(ph + 40, "program header")
            if ptype == ptNote {
                guard r.range(offset, filesz) != nil else {
                    throw .invalid("note segment \(i) lies outside the file")
                }
                notes.append((offset, filesz))
                continue
            }
            guard ptype == ptLoad, memsz > 0 else { continue }
            let what = "segment \(i) at \(hex(vaddr))"
            guard filesz <= memsz else {
                throw .invalid("\(what): file size \(hex(filesz)) exceeds memory size \(hex(memsz))")
            }
            guard r.range(offset, filesz) != nil else {
                throw .invalid("\(what): file data lies outside the file")
            }
            guard vaddr >= BootInfo.kernelBase else {
                throw .invalid("\(what): below \(hex(BootInfo.kernelBase))")
            }
            let (end, overflow) = vaddr.addingReportingOverflow(memsz)
            guard !overflow else { throw .invalid("\(what): size overflows") }
            guard flags & (pfW | pfX) != (pfW | pfX) else {
                throw .invalid("\(what): both writable and executable")
            }
            if let last = segments.last, vaddr < last.end {
                throw .invalid("\(what): overlaps or precedes the segment before it")
            }
            guard end <= memorySize else { throw .doesNotFit(end: end) }
            segments.append(ELFSegment(vaddr: vaddr, offset: offset, fileSize: filesz,
                                       memSize: memsz, flags: flags))
        }
        guard let lastSegment = segments.last else {
            throw .invalid("no loadable segments")
        }
        guard segments.contains(where: { $0.isExecutable && entry >= $0.vaddr && entry < $0.end }) else {
            throw .invalid("entry point \(hex(entry)) is not inside an executable segment")
        }

        let found = try Notes.parse(r, notes: notes, memorySize: memorySize)
        guard let abi = found.abi else { throw .invalid("no Solo5 ABI note") }
        guard abi.target == ABINote.expectedTarget, abi.version == ABINote.expectedVersion else {
            throw .abiMismatch(target: abi.target, version: abi.version)
        }
        return ELFImage(bytes: bytes, entry: entry, segments: segments,
                        kernelEnd: lastSegment.end, abi: abi,
                        manifest: found.manifest ?? Manifest.empty, cpl3: found.cpl3)
    }
}
