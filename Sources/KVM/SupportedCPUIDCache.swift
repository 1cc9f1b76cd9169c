// SupportedCPUIDCache.swift: KVM_GET_SUPPORTED_CPUID's answer kept in a
// file, so that a monitor started thousands of times on one host asks KVM
// once. The answer is the same for every VM until the host reboots or the
// kvm module is reloaded, and asking costs a CPUID per leaf, each an exit to
// the outer hypervisor when the host is itself a VM (0.4-0.5 ms under
// kvm-pvm: docs/density.md).
//
// The file is hostile input until checked: anything not exactly as this
// monitor writes it, for this host now (SupportedCPUIDCacheKey.swift), is a
// miss, and the monitor asks KVM and replaces the file. Nothing here fails a
// boot or prints: a cache that cannot be read or written is no cache.
//
// Layout (little-endian):
//   "ukvmcpid"  8 bytes
//   key         SupportedCPUIDCacheKey.size bytes
//   nent        UInt32, 1...256 (KVM_MAX_CPUID_ENTRIES)
//   0           UInt32
//   entries     nent struct kvm_cpuid_entry2, as KVM gave them

import Glibc

package struct SupportedCPUIDCache {
    /// The directory's path, without a NUL.
    package let directory: [UInt8]
    static let fileName = "supported-cpuid"
    static let magic = Array("ukvmcpid".utf8)
    static let headerSize = magic.count + SupportedCPUIDCacheKey.size + 8
    /// KVM_MAX_CPUID_ENTRIES: no KVM answers more.
    static let maxEntries = 256

    /// A cache in `directory`; nil for a path no file can have.
    package init?(directory: [UInt8]) {
        guard !directory.isEmpty, !directory.contains(0) else { return nil }
        self.directory = directory
    }

    /// The cached entries, if the file is this monitor's, intact, and for `key`.
    package func load(key: SupportedCPUIDCacheKey) -> CPUIDEntries? {
        guard let dir = openDirectory(creating: false) else { return nil }
        defer { close(dir) }
        // O_NONBLOCK: a FIFO put in the file's place must not block the
        // open (it is refused by the fstat below).
        let fd = openat(dir, SupportedCPUIDCache.fileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, SupportedCPUIDCache.isPrivate(st, type: S_IFREG) else { return nil }
        let size = Int(st.st_size)
        let entriesSize = size - SupportedCPUIDCache.headerSize
        guard entriesSize > 0, entriesSize <= SupportedCPUIDCache.maxEntries * CPUIDEntries.entrySize,
              let bytes = readAll(fd, count: size) else { return nil }
        return SupportedCPUIDCache.decode(bytes, key: key)
    }

    /// Replaces the file with `entries` for `key`: a new file beside it,
    /// renamed over it, so that a monitor reading it at the same time sees
    /// the old file or the new one, whole. Failures leave no file behind.
    package func store(_ entries: CPUIDEntries, key: SupportedCPUIDCacheKey) {
        guard entries.count <= SupportedCPUIDCache.maxEntries, let dir = openDirectory(creating: true) else { return }
        defer { close(dir) }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let temporary = ".\(SupportedCPUIDCache.fileName).\(getpid()).\(now.tv_nsec)"
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = writeAll(fd, SupportedCPUIDCache.encode(entries, key: key))
        // No fsync: a file cut short by a crash is a miss like any other.
        if close(fd) != 0 || !written || renameat(dir, temporary, dir, SupportedCPUIDCache.fileName) != 0 {
            unlinkat(dir, temporary, 0)
        }
    }

    /// The file's bytes for `entries` under `key`.
    static func encode(_ entries: CPUIDEntries, key: SupportedCPUIDCacheKey) -> [UInt8] {
        var b = Bytes(bytes: magic + key.bytes)
        b.append(UInt32(entries.count))
        b.append(UInt32(0))
        return b.bytes + entries.bytes
    }

    /// The entries in `bytes`, if they are a whole file for `key`.
    static func decode(_ bytes: [UInt8], key: SupportedCPUIDCacheKey) -> CPUIDEntries? {
        guard bytes.count > headerSize, bytes.starts(with: magic),
              bytes[magic.count..<(magic.count + SupportedCPUIDCacheKey.size)].elementsEqual(key.bytes)
        else { return nil }
        let count = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: headerSize - 8, as: UInt32.self) }
        let entries = Array(bytes[headerSize...])
        guard (1...UInt32(maxEntries)).contains(UInt32(littleEndian: count)),
              entries.count == Int(UInt32(littleEndian: count)) * CPUIDEntries.entrySize else { return nil }
        return CPUIDEntries(bytes: entries)
    }

    /// The directory, opened without following a symbolic link, if it is
    /// this user's and only this user may write in it: otherwise another
    /// user could swap the file between our checks and our reads.
    /// `creating` makes it first (0700) where it is missing.
    private func openDirectory(creating: Bool) -> Int32? {
        let path = directory + [0]
        return path.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { p -> Int32? in
                if creating { _ = mkdir(p.baseAddress!, 0o700) }
                let fd = open(p.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { return nil }
                var st = stat()
                guard fstat(fd, &st) == 0, SupportedCPUIDCache.isPrivate(st, type: S_IFDIR) else {
                    close(fd)
                    return nil
                }
                return fd
            }
        }
    }

    /// Whether `st` is of `type`, owned by the monitor's effective user,
    /// and writable by no group or other user.
    static func isPrivate(_ st: stat, type: mode_t) -> Bool {
        st.st_mode & S_IFMT == type && st.st_uid == geteuid() && st.st_mode & 0o022 == 0
    }

    /// Exactly `count` bytes from `fd`, and nothing after them.
    private func readAll(_ fd: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count + 1)
        var done = 0
        while done <= count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count + 1 - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        return done == count ? Array(bytes[..<count]) : nil
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}
