// ImageFile.swift: an image file opened for reading. The parser reads only
// the parts it checks (the headers and the notes); the loader later reads
// each segment's bytes from the file straight into guest memory. Reading
// the whole file onto the heap first cost a page fault per 4 KiB of it, and
// a copy, for symbols and debug sections the guest never sees.

import Glibc
import Support

package final class ImageFile {
    /// The path, for messages.
    package let path: String
    /// The size the file had when it was opened.
    package let size: UInt64
    /// -1 once closed.
    private var fd: Int32

    /// The open descriptor, or nil once closed.
    package var descriptor: Int32? { fd >= 0 ? fd : nil }

    private init(path: String, size: UInt64, fd: Int32) {
        self.path = path
        self.size = size
        self.fd = fd
    }

    deinit { close() }

    /// Opens `file`: a regular file of at most `ELF.maxFileSize` bytes. The
    /// open does not block (O_NONBLOCK: a FIFO would wait for a writer), and
    /// the type is checked on what was opened; reads of a regular file
    /// ignore O_NONBLOCK.
    package static func open(_ file: Argument) throws(ImageError) -> ImageFile {
        let path = file.description
        guard let fd = file.withPath({ Glibc.open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }) else {
            throw .unreadable(path: path, reason: "path contains a NUL byte")
        }
        guard fd >= 0 else { throw .unreadable(path: path, reason: errnoText(errno)) }
        var st = stat()
        let problem: String? = fstat(fd, &st) != 0 ? errnoText(errno)
            : st.st_mode & S_IFMT != S_IFREG ? "not a regular file"
            : st.st_size > ELF.maxFileSize ? "larger than 1 GiB" : nil
        if let problem {
            Glibc.close(fd)
            throw .unreadable(path: path, reason: problem)
        }
        return ImageFile(path: path, size: UInt64(st.st_size), fd: fd)
    }

    /// The file's bytes [offset, offset + count), which the caller checked
    /// lie inside its size.
    package func read(_ offset: UInt64, _ count: UInt64) throws(ImageError) -> [UInt8] {
        if count == 0 { return [] }
        var failure: ImageError?
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(count)) { buffer, initialized in
            failure = fill(buffer.baseAddress!, offset, count)
            initialized = failure == nil ? Int(count) : 0
        }
        if let failure { throw failure }
        return bytes
    }

    /// `read(into:)`'s error, as a value (for an initializer's closure).
    private func fill(_ destination: UnsafeMutableRawPointer, _ offset: UInt64, _ count: UInt64) -> ImageError? {
        do {
            try read(into: destination, offset, count)
            return nil
        } catch {
            return error
        }
    }

    /// Reads the file's [offset, offset + count) into `destination`. A file
    /// that has become shorter than its headers said is refused.
    package func read(into destination: UnsafeMutableRawPointer, _ offset: UInt64,
                      _ count: UInt64) throws(ImageError) {
        var done: UInt64 = 0
        while done < count {
            let n = pread(fd, destination + Int(done), Int(min(count - done, 1 << 30)), off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .unreadable(path: path, reason: n < 0 ? errnoText(errno)
                                  : "shorter than its headers say (changed while being read?)")
            }
            done += UInt64(n)
        }
    }

    /// Lets go of the descriptor: the image is in guest memory.
    package func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
