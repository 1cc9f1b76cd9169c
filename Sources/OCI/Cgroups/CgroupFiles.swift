// CgroupFiles.swift: reading and writing the files of a cgroup directory,
// with the file's path in every error. The same code works on a real
// cgroupfs and on the plain directories the unit tests build.

import Glibc

enum CgroupFiles {
    /// Writes `value` to DIR/NAME (the whole file: cgroup files take one
    /// write). Creates the file in a plain directory (tests); on cgroupfs
    /// the file exists or the controller lacks it, and the error says so.
    static func write(_ dir: String, _ name: String, _ value: String) throws(OCIError) {
        let path = dir + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(path, errno: errno) }
        defer { close(fd) }
        var text = value
        let n = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == value.utf8.count else {
            throw .system("\(path): writing \"\(value)\"", errno: n < 0 ? errno : EIO)
        }
    }

    /// DIR/NAME's text, without its trailing newline; nil if it cannot be
    /// read (a controller that lacks the file).
    static func read(_ dir: String, _ name: String) -> String? {
        guard let bytes = try? Files.read(dir + "/" + name, limit: 1 << 20) else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// DIR/NAME as one number ("max" is nil).
    static func number(_ dir: String, _ name: String) -> UInt64? {
        read(dir, name).flatMap { UInt64($0.trimmed) }
    }

    /// A "KEY VALUE" per line file (memory.stat, cpu.stat, cpuacct.stat).
    static func keyed(_ dir: String, _ name: String) -> [(String, UInt64)] {
        guard let text = read(dir, name) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let v = UInt64(parts[1]) else { return nil }
            return (String(parts[0]), v)
        }
    }

    /// The PIDs in cgroup.procs.
    static func pids(_ dir: String) -> [Int32] {
        (read(dir, "cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0.trimmed) }
    }

    /// mkdir -p of `path` below `root` (which exists), calling `made` with
    /// each directory it creates, parents first.
    static func makeDirectories(root: String, path: String, made: (String) throws(OCIError) -> Void)
        throws(OCIError) {
        var dir = root
        for part in path.split(separator: "/") {
            dir += "/" + part
            if mkdir(dir, 0o755) == 0 {
                try made(dir)
            } else if errno != EEXIST {
                throw .system(dir, errno: errno)
            }
        }
    }
}

extension StringProtocol {
    var trimmed: String {
        String(drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\n" || $0 == "\t" }
            .reversed())
    }
}
