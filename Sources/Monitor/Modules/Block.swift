// Block.swift: the block module: --block:NAME=PATH and
// --block-sector-size:NAME=N, and the BLOCK_READ and BLOCK_WRITE hypercalls.
//
// A block device is a file or block device opened read-write; its capacity
// is its size, a non-zero multiple of the sector size. (The legacy form
// accepts an empty file, e.g. /dev/null, as a disk of capacity 0.)

import CKVM
import Glibc

final class BlockModule: MonitorModule {
    let name = "block"
    static let defaultSectorSize: UInt64 = 512
    static let minSectorSize: UInt64 = 512
    /// The manifest's block_size is a u16, so 32768 is the largest power of two.
    static let maxSectorSize: UInt64 = 32768

    struct Attachment: Equatable {
        let name: String
        let path: String
        /// Given by the legacy `KERNEL DISK TAP` form.
        let legacy: Bool
    }

    /// The state of an attached device, by handle; fd -1 when none.
    private struct Slot {
        var fd: Int32 = -1
        var capacity: UInt64 = 0
        var sectorSize: UInt64 = 0
    }

    private(set) var attachments: [Attachment] = []
    private(set) var sectorSizes: [String: UInt64] = [:]
    private var slots = [Slot](repeating: Slot(), count: Manifest.maxEntries)
    private var names = [String](repeating: "", count: Manifest.maxEntries)
    /// The legacy form's DISK when the image declares no block device.
    private var unattachedLegacyDisk: String?
    /// The legacy form's DISK, once open: (capacity, sector size).
    private var legacyDisk: (UInt64, UInt64)?

    var attachesDevices: Bool { attachments.contains { !$0.legacy } }

    var usage: [String] {
        ["--block:NAME=PATH          attach block device NAME to the file or device PATH",
         "--block-sector-size:NAME=N sector size of NAME in bytes: a power of two, "
            + "\(BlockModule.minSectorSize) to \(BlockModule.maxSectorSize) (default 512)"]
    }

    func handleFlag(_ arg: String) throws(MonitorError) -> Bool {
        if let (name, path) = try DeviceFlag.parse(arg, prefix: "--block:", form: "--block:NAME=PATH") {
            guard !attachments.contains(where: { $0.name == name }) else {
                throw .duplicateDevice(name: name, flag: "--block")
            }
            attachments.append(Attachment(name: name, path: path, legacy: false))
            return true
        }
        if let (name, text) = try DeviceFlag.parse(arg, prefix: "--block-sector-size:",
                                                   form: "--block-sector-size:NAME=N") {
            guard let size = DeviceFlag.decimal(text), size >= BlockModule.minSectorSize,
                  size <= BlockModule.maxSectorSize, size & (size - 1) == 0 else {
                throw .badValue(flag: "--block-sector-size:\(name)", value: text,
                                expected: "sector size (a power of two, \(BlockModule.minSectorSize) to "
                                    + "\(BlockModule.maxSectorSize))")
            }
            guard sectorSizes[name] == nil else {
                throw .duplicateDevice(name: name, flag: "--block-sector-size")
            }
            sectorSizes[name] = size
            return true
        }
        return false
    }

    /// Attaches the legacy form's DISK to device `name`, or with no name
    /// (the image declares no block device) only checks it and says so.
    func attachLegacy(name: String?, path: String) {
        if let name {
            attachments.append(Attachment(name: name, path: path, legacy: true))
        } else {
            unattachedLegacyDisk = path
        }
    }

    /// The legacy form's announcement, once every device is set up.
    func announceLegacyDisk() {
        guard let (capacity, sectorSize) = legacyDisk else { return }
        Console.out("Providing disk: \(capacity / sectorSize) sectors @ \(sectorSize) = \(capacity) bytes")
        if let path = unattachedLegacyDisk {
            Console.error("warning: the image declares no block device; DISK '\(path)' is not attached")
        }
    }

    func bind(_ manifest: Manifest) throws(MonitorError) -> [Int] {
        try manifest.bind(attachments.map(\.name), as: .blockBasic, given: "block",
                          options: Dictionary(uniqueKeysWithValues: sectorSizes.keys.map {
                              ($0, "--block-sector-size:\($0)") }))
    }

    func setup(_ context: ModuleContext) throws(MonitorError) {
        if let path = unattachedLegacyDisk {
            let a = Attachment(name: "DISK", path: path, legacy: true)
            let (fd, capacity) = try open(a, sectorSize: BlockModule.defaultSectorSize)
            close(fd)
            legacyDisk = (capacity, BlockModule.defaultSectorSize)
        }
        for a in attachments {
            guard let h = context.manifest.handle(of: a.name) else { throw .deviceNotDeclared(name: a.name) }
            let sectorSize = sectorSizes[a.name] ?? BlockModule.defaultSectorSize
            let (fd, capacity) = try open(a, sectorSize: sectorSize)
            slots[h] = Slot(fd: fd, capacity: capacity, sectorSize: sectorSize)
            names[h] = a.name
            context.manifest.entries[h].attached = true
            context.manifest.entries[h].capacity = capacity
            context.manifest.entries[h].blockSize = UInt16(sectorSize)
            context.manifest.entries[h].hostpriv = UInt64(fd)
            if a.legacy { legacyDisk = (capacity, sectorSize) }
        }
    }

    /// Opens the device read-write; returns the fd and the capacity.
    private func open(_ a: Attachment, sectorSize: UInt64) throws(MonitorError) -> (Int32, UInt64) {
        func fail(_ reason: String) -> MonitorError {
            .blockDevice(name: a.name, path: a.path, reason: reason)
        }
        var st = stat()
        guard stat(a.path, &st) == 0 else { throw fail(errnoText(errno)) }
        let kind = st.st_mode & S_IFMT
        guard kind != S_IFDIR else { throw fail("is a directory") }
        // Root passes every permission check; a file without write bits is
        // still meant to be read-only.
        guard st.st_mode & 0o222 != 0 else { throw fail("is read-only (no write permission)") }
        let fd = Glibc.open(a.path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open read-write: \(errnoText(errno))") }
        var size: UInt64 = 0
        if kind == S_IFBLK {
            guard ckvm_ioctl(fd, ckvm_BLKGETSIZE64, &size) == 0 else {
                let e = errno
                close(fd)
                throw fail("BLKGETSIZE64: \(errnoText(e))")
            }
        } else if kind == S_IFREG {
            size = UInt64(truncatingIfNeeded: st.st_size)
        }
        if size == 0 && !a.legacy {
            close(fd)
            throw fail("is empty")
        }
        guard size % sectorSize == 0 else {
            close(fd)
            throw fail("size \(size) is not a multiple of the sector size \(sectorSize)")
        }
        return (fd, size)
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            context: ModuleContext) throws(MonitorError) {
        try table.register(.blockWrite) { [self] gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_block_write.self, gpa: gpa, .guestWritable)
            hc.ret = transfer(write: true, handle: hc.handle, offset: hc.offset,
                                  data: hc.data, length: hc.len, memory: memory)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
        try table.register(.blockRead) { [self] gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_block_read.self, gpa: gpa, .guestWritable)
            hc.ret = transfer(write: false, handle: hc.handle, offset: hc.offset,
                                  data: hc.data, length: hc.len, memory: memory)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
    }

    /// One BLOCK_READ or BLOCK_WRITE; returns a ukvm_result.
    private func transfer(write: Bool, handle: UInt64, offset: UInt64, data: UInt64,
                          length: UInt64, memory: GuestMemory) -> Int32 {
        let einval = Int32(UKVM_EINVAL.rawValue)
        guard handle < UInt64(slots.count) else { return einval }
        let slot = slots[Int(handle)]
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard slot.fd >= 0, length > 0, offset % slot.sectorSize == 0,
              length % slot.sectorSize == 0, !overflow, end <= slot.capacity else {
            return einval
        }
        // A write reads the guest's buffer, a read fills it.
        guard let buffer = try? memory.pointer(gpa: data, count: length,
                                               write ? .guestReadable : .guestWritable) else {
            return einval
        }
        var done = 0
        let total = Int(length)
        while done < total {
            let at = off_t(offset) + off_t(done)
            let n = write ? pwrite(slot.fd, buffer + done, total - done, at)
                          : pread(slot.fd, buffer + done, total - done, at)
            if n > 0 {
                done += n
                continue
            }
            let e = n < 0 ? errno : EIO
            if n < 0 && e == EINTR { continue }
            Console.error("block \(names[Int(handle)]): \(write ? "write" : "read") of \(length) bytes "
                + "at offset \(offset): \(n == 0 ? "unexpected end of file" : errnoText(e))")
            return Int32(UKVM_EUNSPEC.rawValue)
        }
        return Int32(UKVM_OK.rawValue)
    }

    func shutdown() -> Bool {
        var synced = true
        for (h, slot) in slots.enumerated() where slot.fd >= 0 {
            // EINVAL/EROFS: a device such as /dev/null that cannot sync.
            if fdatasync(slot.fd) != 0 && errno != EINVAL && errno != EROFS {
                Console.error("block \(names[h]): fdatasync: \(errnoText(errno))")
                synced = false
            }
        }
        return synced
    }
}
