// UkvmCPUIDCacheTests.swift: the supported-CPUID cache on real monitor
// runs (docs/density.md): a first run writes it, the next asks KVM nothing
// and hands KVM_SET_CPUID2 the same table; a hostile cache is ignored and
// replaced without a word; --x-cpuid-cache=off touches no file; bad values
// of the flag are refused. strace shows which ioctls a run made. Each test
// has its own cache directory.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: supported-CPUID cache", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmCPUIDCacheTests {
    /// What one traced run of hello did.
    struct Traced {
        let result: ProcessResult
        /// The lines strace wrote (ioctls and file calls).
        let calls: [String]
        var askedKVM: Bool { calls.contains { $0.contains("KVM_GET_SUPPORTED_CPUID") } }
        /// The table handed to KVM_SET_CPUID2, as strace decodes it.
        var setCPUID: String? {
            calls.first { $0.contains("KVM_SET_CPUID2") }.map { String($0[$0.range(of: "{nent=")!.lowerBound...]) }
        }
    }

    /// The file the monitor keeps in its cache directory.
    static let file = "supported-cpuid"
    /// Where the entry count sits in the file (SupportedCPUIDCache.swift):
    /// after "ukvmcpid" and the 100-byte key.
    static let countOffset = 108

    /// hello with `flags`, under strace; it must boot and exit 0 with its
    /// output and nothing on stderr.
    func hello(_ flags: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Traced {
        let log = TempFile(size: 0, name: "strace")
        let r = run(["/usr/bin/strace", "-f", "-qq", "-v", "-s", "65536", "-o", log.path,
                     "-e", "trace=ioctl,openat,mkdir,rename,renameat,unlink,unlinkat",
                     monitorPath] + flags + [ukvmImage("hello")], timeout: 30)
        #expect(r.status == 0 && !r.timedOut, "\(r)", sourceLocation: sourceLocation)
        #expect(r.output.contains("hello\nworld") && r.output.contains("solo5_exit(0)"), "\(r)",
                sourceLocation: sourceLocation)
        #expect(r.errorOutput.isEmpty, "\(r)", sourceLocation: sourceLocation)
        let calls = String(decoding: try log.contents(), as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(calls.contains { $0.contains("KVM_SET_CPUID2") }, "strace saw no KVM_SET_CPUID2: \(calls)",
                     sourceLocation: sourceLocation)
        return Traced(result: r, calls: calls)
    }

    /// A directory with a cache the monitor wrote, and that file's bytes.
    func warmCache() throws -> (TempDirectory, [UInt8]) {
        let dir = TempDirectory(name: "cpuid")
        #expect(try hello(["--x-cpuid-cache=" + dir.path]).askedKVM)
        return (dir, try bytes(dir.path + "/" + Self.file))
    }

    func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func fileStat(_ path: String) -> stat {
        var st = stat()
        lstat(path, &st)
        return st
    }

    @Test func secondRunUsesTheCacheAndTheGuestSeesTheSameCPUID() throws {
        let dir = TempDirectory(name: "cpuid")
        let first = try hello(["--x-cpuid-cache=" + dir.path])
        #expect(first.askedKVM)
        #expect(dir.files() == [Self.file])
        let st = fileStat(dir.path + "/" + Self.file)
        #expect(st.st_mode & 0o7777 == 0o600 && st.st_uid == geteuid())
        var dirStat = stat()
        stat(dir.path, &dirStat)
        #expect(dirStat.st_mode & 0o022 == 0)

        let second = try hello(["--x-cpuid-cache=" + dir.path])
        #expect(!second.askedKVM, "\(second.calls)")
        let off = try hello(["--x-cpuid-cache=off"])
        #expect(off.askedKVM)
        #expect(second.setCPUID == off.setCPUID)
        #expect(first.setCPUID == off.setCPUID)
    }

    /// Monitors started together on a cold cache: every one boots, and one
    /// whole file is left, no temporary one.
    @Test func manyMonitorsAtOnce() throws {
        let dir = TempDirectory(name: "cpuid")
        let monitors = try (0..<8).map { _ in
            try Background([monitorPath, "--x-cpuid-cache=" + dir.path, ukvmImage("hello")])
        }
        for m in monitors {
            // stdout and stderr together: the guest's output, no line of ours.
            let r = m.wait(timeout: 30)
            #expect(r.status == 0 && r.output.contains("solo5_exit(0)") && !r.output.contains("ukvm:"), "\(r)")
        }
        #expect(dir.files() == [Self.file])
        #expect(!(try hello(["--x-cpuid-cache=" + dir.path]).askedKVM))
    }

    @Test func aMissingDirectoryIsMade0700() throws {
        let parent = TempDirectory(name: "cpuid-parent")
        let path = parent.path + "/cache"
        _ = try hello(["--x-cpuid-cache=" + path])
        #expect(fileStat(path).st_mode & 0o7777 == 0o700)
        #expect(!(try hello(["--x-cpuid-cache=" + path]).askedKVM))
        // One that cannot be made (no parent): no cache, and no word about it.
        #expect(try hello(["--x-cpuid-cache=" + parent.path + "/no/such/dir"]).askedKVM)
    }

    /// Runs hello over a cache that `spoil` made hostile: KVM is asked, and
    /// the file is replaced by the right one.
    func expectReplaced(sourceLocation: SourceLocation = #_sourceLocation,
                        _ spoil: (_ path: String, _ good: [UInt8]) throws -> Void) throws {
        let (dir, good) = try warmCache()
        let path = dir.path + "/" + Self.file
        try spoil(path, good)
        let run = try hello(["--x-cpuid-cache=" + dir.path], sourceLocation: sourceLocation)
        #expect(run.askedKVM, "a hostile cache was used", sourceLocation: sourceLocation)
        #expect(try bytes(path) == good, sourceLocation: sourceLocation)
        let st = fileStat(path)
        #expect(st.st_mode == S_IFREG | 0o600 && st.st_uid == geteuid(), sourceLocation: sourceLocation)
        #expect(dir.files() == [Self.file], "a temporary file was left", sourceLocation: sourceLocation)
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        unlink(path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// `good` with its entry count set to `count`.
    func withCount(_ good: [UInt8], _ count: UInt32) -> [UInt8] {
        var b = good
        withUnsafeBytes(of: count.littleEndian) { b.replaceSubrange(Self.countOffset..<(Self.countOffset + 4), with: $0) }
        return b
    }

    @Test func hostileContentsAreIgnoredAndReplaced() throws {
        try expectReplaced { path, good in try write(Array(good.dropLast()), to: path) }
        try expectReplaced { path, good in try write(good + [UInt8](repeating: 0, count: 40), to: path) }
        try expectReplaced { path, _ in try write([], to: path) }
        try expectReplaced { path, good in try write(Array(withCount(good, 0).prefix(Self.countOffset + 8)), to: path) }
        try expectReplaced { path, good in
            // An entry count past KVM's 256, with a file as long as it claims.
            let header = Array(withCount(good, 100_000).prefix(Self.countOffset + 8))
            try write(header + [UInt8](repeating: 0, count: 100_000 * 40), to: path)
        }
        try expectReplaced { path, good in
            // The same table under another boot's id (the key's second field).
            var b = good
            b[8 + 16] = b[8 + 16] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            try write(b, to: path)
        }
    }

    @Test func filesThatAreNotPrivateAreIgnoredAndReplaced() throws {
        let target = TempFile(size: 0, name: "cpuid-target")
        var targetBytes: [UInt8] = []
        try expectReplaced { path, good in
            // A symbolic link to a file holding the right table: not followed,
            // and its target is not written.
            targetBytes = good
            try write(good, to: target.path)
            chmod(target.path, 0o644)
            unlink(path)
            symlink(target.path, path)
        }
        #expect(fileStat(target.path).st_mode == S_IFREG | 0o644)
        #expect(try bytes(target.path) == targetBytes)
        try expectReplaced { path, _ in
            unlink(path)
            mkfifo(path, 0o600)  // no writer: an open that waited would hang
        }
        try expectReplaced { path, _ in chmod(path, 0o666) }
        try expectReplaced { path, _ in chmod(path, 0o620) }
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root")) func aFileOfAnotherUserIsIgnoredAndReplaced() throws {
        try expectReplaced { path, _ in chown(path, 65534, 65534) }
    }

    @Test func aDirectoryOthersCanWriteIsNotUsed() throws {
        let (dir, good) = try warmCache()
        let path = dir.path + "/" + Self.file
        chmod(dir.path, 0o777)
        try write(Array(good.dropLast()), to: path)
        let run = try hello(["--x-cpuid-cache=" + dir.path])
        #expect(run.askedKVM)
        // Neither read nor written: the file stays as it was, nothing added.
        #expect(try bytes(path) == Array(good.dropLast()))
        #expect(dir.files() == [Self.file])
        // A symbolic link in the directory's place is not followed either.
        let link = dir.path + "-link"
        chmod(dir.path, 0o700)
        try write(good, to: path)
        symlink(dir.path, link)
        defer { unlink(link) }
        #expect(try hello(["--x-cpuid-cache=" + link]).askedKVM)
    }

    @Test func offTouchesNoFile() throws {
        let run = try hello(["--x-cpuid-cache=off"])
        #expect(run.askedKVM)
        let touched = run.calls.filter { $0.contains("cpuid") || $0.contains("/run/ukvm") || $0.contains("mkdir") }
        #expect(touched.isEmpty, "\(touched)")
    }

    @Test func badValuesAreRefused() {
        for flag in ["--x-cpuid-cache=", "--x-cpuid-cache"] {
            let r = ukvm([flag, ukvmImage("hello")])
            #expect(r.status == 125, "\(r)")
            #expect(r.errorOutput.split(separator: "\n").count == 1 && r.errorOutput.contains("--x-cpuid-cache"),
                    "\(r)")
            #expect(!r.output.contains("Solo5:"), "\(r)")
        }
    }
}
