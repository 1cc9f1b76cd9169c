// TarWriter.swift: a POSIX ustar archive writer, streaming to a file
// descriptor, for OCI image layers and the image archive itself.
//
// Entries are regular files and directories, owned by root, with a fixed
// modification time (so the same inputs give the same image digest). Names
// longer than ustar's 100 bytes are split into its 155-byte prefix; a size
// of 8 GiB or more is written in the base-256 form that GNU tar and Go's
// archive/tar (containerd) read. Everything written passes through a
// SHA-256 hasher, so the archive's digest is known at the end.

import Glibc

struct TarWriter {
    static let blockSize = 512
    /// Largest size the 11 octal digits of ustar hold.
    static let maxOctalSize: UInt64 = (1 << 33) - 1

    let fd: Int32
    let what: String
    let mtime: UInt64
    private(set) var hasher = SHA256()
    private(set) var written: UInt64 = 0

    init(fd: Int32, what: String, mtime: UInt64 = 0) {
        self.fd = fd
        self.what = what
        self.mtime = mtime
    }

    /// A directory entry ("name/").
    mutating func directory(_ name: String) throws(OCIError) {
        try emit(try TarWriter.header(name: name.hasSuffix("/") ? name : name + "/", size: 0, mode: 0o755,
                                      type: UInt8(ascii: "5"), mtime: mtime))
    }

    /// A regular file with `bytes`.
    mutating func file(_ name: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws(OCIError) {
        try emit(try TarWriter.header(name: name, size: UInt64(bytes.count), mode: mode,
                                      type: UInt8(ascii: "0"), mtime: mtime))
        try emit(bytes)
        try pad(UInt64(bytes.count))
    }

    /// A regular file copied from the open file `source` of `size` bytes.
    mutating func file(_ name: String, from source: Int32, size: UInt64, mode: UInt32 = 0o644) throws(OCIError) {
        try emit(try TarWriter.header(name: name, size: size, mode: mode, type: UInt8(ascii: "0"), mtime: mtime))
        var left = size
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while left > 0 {
            let want = Int(min(left, UInt64(chunk.count)))
            let n = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, want) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw OCIError("\(name): the file shrank while it was archived") }
            try emit(chunk[0..<n])
            left -= UInt64(n)
        }
        try pad(size)
    }

    /// The two zero blocks that end an archive.
    mutating func finish() throws(OCIError) {
        try emit([UInt8](repeating: 0, count: 2 * TarWriter.blockSize))
    }

    private mutating func pad(_ size: UInt64) throws(OCIError) {
        let rest = Int(size % UInt64(TarWriter.blockSize))
        if rest != 0 { try emit([UInt8](repeating: 0, count: TarWriter.blockSize - rest)) }
    }

    private mutating func emit<C: Collection>(_ bytes: C) throws(OCIError) where C.Element == UInt8 {
        hasher.update(bytes)
        written += UInt64(bytes.count)
        try Files.writeAll(fd, Array(bytes), what: what)
    }

    /// The 512-byte ustar header of one entry.
    static func header(name: String, size: UInt64, mode: UInt32, type: UInt8,
                       mtime: UInt64) throws(OCIError) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: blockSize)
        let (prefix, base) = try split(name)
        put(&h, 0, 100, Array(base.utf8))
        put(&h, 100, 8, octal(UInt64(mode), 7))
        put(&h, 108, 8, octal(0, 7))        // uid
        put(&h, 116, 8, octal(0, 7))        // gid
        if size <= maxOctalSize {
            put(&h, 124, 12, octal(size, 11))
        } else {
            var field = [UInt8](repeating: 0, count: 12)
            field[0] = 0x80
            for i in 0..<8 { field[11 - i] = UInt8(truncatingIfNeeded: size >> (UInt64(i) * 8)) }
            put(&h, 124, 12, field)
        }
        put(&h, 136, 12, octal(mtime, 11))
        put(&h, 148, 8, Array(repeating: UInt8(ascii: " "), count: 8))
        h[156] = type
        put(&h, 257, 6, Array("ustar".utf8) + [0])
        put(&h, 263, 2, Array("00".utf8))
        put(&h, 265, 32, Array("root".utf8))
        put(&h, 297, 32, Array("root".utf8))
        put(&h, 345, 155, Array(prefix.utf8))
        let sum = h.reduce(0) { $0 + UInt32($1) }
        put(&h, 148, 8, octal(UInt64(sum), 6) + [0, UInt8(ascii: " ")])
        return h
    }

    /// ustar's (prefix, name) for a path: the name alone if it fits in 100
    /// bytes, else split at a '/' so the prefix fits in 155.
    static func split(_ path: String) throws(OCIError) -> (String, String) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0) else { throw OCIError("tar: invalid entry name \"\(path)\"") }
        if bytes.count <= 100 { return ("", path) }
        for i in stride(from: min(bytes.count - 1, 155), to: 0, by: -1) where bytes[i] == UInt8(ascii: "/") {
            if bytes.count - i - 1 <= 100 && bytes.count - i - 1 > 0 {
                return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 1)...], as: UTF8.self))
            }
        }
        throw OCIError("tar: entry name too long for ustar: \"\(path)\"")
    }

    /// `value` in `digits` octal digits, NUL-terminated.
    static func octal(_ value: UInt64, _ digits: Int) -> [UInt8] {
        var text = Array(String(value, radix: 8).utf8)
        if text.count < digits { text = [UInt8](repeating: UInt8(ascii: "0"), count: digits - text.count) + text }
        return text + [0]
    }

    private static func put(_ h: inout [UInt8], _ offset: Int, _ width: Int, _ bytes: [UInt8]) {
        for (i, b) in bytes.prefix(width).enumerated() { h[offset + i] = b }
    }
}
