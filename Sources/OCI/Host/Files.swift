// Files.swift: the file operations the runtime needs, with errno in every
// error: whole-file reads with a size bound, atomic writes, directories.

import Glibc
import Support

enum Files {
    /// The whole of `path`, refused above `limit` bytes.
    static func read(_ path: String, limit: Int) throws(OCIError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno: errno) }
        defer { close(fd) }
        return try read(fd: fd, what: path, limit: limit)
    }

    static func read(fd: Int32, what: String, limit: Int) throws(OCIError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(what, errno: errno)
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { throw OCIError("\(what): larger than \(limit) bytes") }
            bytes += chunk[0..<n]
        }
    }

    /// Writes all of `bytes` to fd.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String) throws(OCIError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(what, errno: errno)
            }
            done += n
        }
    }

    /// Replaces `path` with `text` atomically (a temporary file renamed
    /// over it), so that a reader never sees half a file. The temporary's
    /// name is unpredictable and it is created with O_EXCL|O_NOFOLLOW: a
    /// link planted beside `path` (a shared PID-file directory) is never
    /// followed, and rename replaces a link at `path` itself, not its target.
    static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o600) throws(OCIError) {
        var fd: Int32 = -1
        var tmp = ""
        for _ in 0..<8 {
            tmp = path + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw .system(tmp, errno: errno) }
        do throws(OCIError) {
            try writeAll(fd, Array(text.utf8), what: tmp)
            // The mode asked for, whatever the umask took away.
            guard fchmod(fd, mode) == 0 else { throw .system(tmp, errno: errno) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .system(path, errno: e)
        }
    }

    /// mkdir -p with `mode` for the directories it creates.
    static func makeDirectories(_ path: String, mode: mode_t = 0o711) throws(OCIError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw .system(prefix, errno: errno) }
        }
    }

    /// rm -r of a directory of plain files (the runtime's own state).
    static func removeTree(_ path: String) throws(OCIError) {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return }
            throw .system(path, errno: errno)
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            let p = path + "/" + name
            if unlink(p) != 0 && errno == EISDIR { try removeTree(p) }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw .system(path, errno: errno) }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The names in directory `path` (empty if it does not exist).
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path == "." ? cwd : (cwd == "/" ? "" : cwd) + "/" + path
    }
}

/// The text of an errno value.
func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
