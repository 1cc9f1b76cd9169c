// BlockModule.swift: the block module: --block:NAME=PATH and
// --block-sector-size:NAME=N, and the BLOCK_READ and BLOCK_WRITE hypercalls.
//
// A block device is a file or block device opened read-write; its capacity
// is its size, a non-zero multiple of the sector size. A request covers
// whole sectors, from one up to UKVM_BLOCK_MAX_REQUEST bytes, which the
// monitor advertises with UKVM_HOST_FEATURE_BLOCK_MULTI (include/ukvm_abi.h):
// one exit and one pread or pwrite for the whole request, straight between
// the file and guest memory. --x-no-block-multi takes the offer away (the
// guest then sends one block per request, as on upstream's tender) to
// compare the paths; the checks stay the same.

import CKVM
import CSys
import Glibc
import Image
import Support

final class BlockModule: DeviceModule, DurableModule {
    static let defaultSectorSize: UInt64 = 512
    static let minSectorSize: UInt64 = 512
    /// The manifest's block_size is a u16, so 32768 is the largest power of two.
    static let maxSectorSize: UInt64 = 32768
    /// The largest request, in bytes (a multiple of every sector size).
    static let maxRequest = UInt64(UKVM_BLOCK_MAX_REQUEST)

    /// The state of an attached device, by handle; fd -1 when none.
    struct Slot {
        var fd: Int32 = -1
        var capacity: UInt64 = 0
        var sectorSize: UInt64 = 0
        var name = ""
    }

    /// The devices and options of this run: from the flags, or set whole
    /// by the launcher (LaunchConfiguration).
    var configuration = BlockConfiguration()
    private(set) var slots = [Slot](repeating: Slot(), count: Manifest.maxEntries)

    /// --block:NAME=PATH, in the order given; PATH byte for byte.
    var paths: [(name: String, path: Argument)] { configuration.devices.map { ($0.name, $0.path) } }
    var sectorSizes: [String: UInt64] { configuration.sectorSizes }
    /// Whether the boot info offers multi-block requests.
    var offersMultiBlock: Bool { configuration.multiBlock }

    var usage: [String] {
        ["--block:NAME=PATH          attach block device NAME to the file or device PATH",
         "--block-sector-size:NAME=N sector size of NAME in bytes: a power of two, "
            + "\(BlockModule.minSectorSize) to \(BlockModule.maxSectorSize) (default 512)",
         "--x-no-block-multi         do not offer multi-block requests (to compare the paths)"]
    }

    func describe(_ info: inout ukvm_boot_info) {
        if offersMultiBlock && !paths.isEmpty { info.host_features |= UInt32(UKVM_HOST_FEATURE_BLOCK_MULTI) }
    }

    var requests: [DeviceRequest] { paths.map { DeviceRequest(name: $0.name, type: .blockBasic) } }

    var deviceOptions: [DeviceOption] {
        sectorSizes.keys.sorted().map { DeviceOption(name: $0, flag: "--block-sector-size:\($0)") }
    }

    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool {
        if arg.text == "--x-no-block-multi" {
            configuration.multiBlock = false
            return true
        }
        if let (name, path) = try DeviceFlag.parse(arg, prefix: "--block:", form: "--block:NAME=PATH") {
            guard !paths.contains(where: { $0.name == name }) else {
                throw .duplicateDevice(name: name, flag: "--block")
            }
            configuration.devices.append(BlockConfiguration.Device(name: name, path: path))
            return true
        }
        if let (name, value) = try DeviceFlag.parse(arg, prefix: "--block-sector-size:",
                                                    form: "--block-sector-size:NAME=N") {
            let text = value.description
            guard let size = DeviceFlag.decimal(text), size >= BlockModule.minSectorSize,
                  size <= BlockModule.maxSectorSize, size & (size - 1) == 0 else {
                // Upstream's wording too: drivers and upstream's tests look for it.
                throw .badValue(flag: "--block-sector-size:\(name)", value: text,
                                expected: "sector size (a power of two, \(BlockModule.minSectorSize) to "
                                    + "\(BlockModule.maxSectorSize)): Block size must be a multiple of 2 "
                                    + "greater than or equal 512")
            }
            guard sectorSizes[name] == nil else {
                throw .duplicateDevice(name: name, flag: "--block-sector-size")
            }
            configuration.sectorSizes[name] = size
            return true
        }
        return false
    }

    func attach(_ entry: inout Manifest.Entry, handle: Int) throws(MonitorError) {
        guard let path = paths.first(where: { $0.name == entry.name })?.path else {
            throw .deviceNotDeclared(name: entry.name)
        }
        let sectorSize = sectorSizes[entry.name] ?? BlockModule.defaultSectorSize
        let (fd, capacity) = try BlockModule.open(name: entry.name, path: path, sectorSize: sectorSize)
        slots[handle] = Slot(fd: fd, capacity: capacity, sectorSize: sectorSize, name: entry.name)
        entry.attached = true
        entry.capacity = capacity
        entry.blockSize = UInt16(sectorSize)
        entry.hostpriv = UInt64(fd)
    }

    /// Opens the device read-write; returns the fd and the capacity. Only
    /// the original command-line form measures a disk that may be empty.
    /// The open does not block (O_NONBLOCK: a FIFO given as a disk would
    /// wait for a writer) and the type is checked on what was opened, not
    /// on a name that could change in between; then the fd is made
    /// blocking again, as block I/O expects.
    static func open(name: String, path: Argument, sectorSize: UInt64,
                     allowEmpty: Bool = false) throws(MonitorError) -> (Int32, UInt64) {
        func fail(_ reason: String) -> MonitorError {
            .blockDevice(name: name, path: path.description, reason: reason)
        }
        guard let fd = path.withPath({ Glibc.open($0, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }) else {
            throw fail("path contains a NUL byte")
        }
        guard fd >= 0 else {
            let e = errno
            throw fail(e == EISDIR ? "is a directory" : "cannot open read-write: \(errnoText(e))")
        }
        do throws(MonitorError) {
            let size = try measure(fd, fail: fail)
            guard size > 0 || allowEmpty else { throw fail("is empty") }
            guard size % sectorSize == 0 else {
                throw fail("Backing storage size must be block aligned (\(sectorSize) bytes): "
                    + "size \(size) is not a multiple of the sector size")
            }
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
                throw fail("fcntl: \(errnoText(errno))")
            }
            return (fd, size)
        } catch {
            close(fd)
            throw error
        }
    }

    /// The size in bytes of the open file or block device `fd`; other
    /// kinds of file (FIFOs, sockets, character devices) have none.
    private static func measure(_ fd: Int32, fail: (String) -> MonitorError) throws(MonitorError) -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(errnoText(errno)) }
        // Root passes every permission check; a file without write bits is
        // still meant to be read-only.
        guard st.st_mode & 0o222 != 0 else { throw fail("is read-only (no write permission)") }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            return UInt64(truncatingIfNeeded: st.st_size)
        case S_IFBLK:
            var size: UInt64 = 0
            guard csys_ioctl(fd, csys_BLKGETSIZE64, &size) == 0 else {
                throw fail("BLKGETSIZE64: \(errnoText(errno))")
            }
            return size
        default:
            return 0
        }
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {
        try registerTransfer(UKVM_HYPERCALL_BLOCK_WRITE, ukvm_hc_block_write.self, write: true, &table, memory)
        try registerTransfer(UKVM_HYPERCALL_BLOCK_READ, ukvm_hc_block_read.self, write: false, &table, memory)
    }

    /// BLOCK_READ and BLOCK_WRITE: their structs share a layout, and one
    /// transfer serves both.
    private func registerTransfer<T: BlockRequest & BitwiseCopyable>(
        _ call: ukvm_hypercall, _ type: T.Type, write: Bool, _ table: inout HypercallTable, _ memory: GuestMemory
    ) throws(MonitorError) {
        try table.register(call, updating: T.self, in: memory) { [self] hc in
            hc.ret = transfer(write: write, handle: hc.handle, offset: hc.offset,
                              data: hc.data, length: hc.len, memory: memory)
        }
    }

    /// One BLOCK_READ or BLOCK_WRITE of one or many sectors; returns a
    /// ukvm_result. One pread/pwrite moves the whole request; the loop only
    /// resumes one cut short (a signal, a short transfer).
    private func transfer(write: Bool, handle: UInt64, offset: UInt64, data: UInt64,
                          length: UInt64, memory: GuestMemory) -> Int32 {
        let einval = HypercallStatus.invalid
        guard handle < UInt64(slots.count) else { return einval }
        let slot = slots[Int(handle)]
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard slot.fd >= 0, length > 0, length <= BlockModule.maxRequest, offset % slot.sectorSize == 0,
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
            Console.error("block \(slot.name): \(write ? "write" : "read") of \(length) bytes "
                + "at offset \(offset): \(n == 0 ? "unexpected end of file" : errnoText(e))")
            return HypercallStatus.unspecified
        }
        return HypercallStatus.ok
    }

    /// pread/pwrite on the disks for BLOCK_READ and BLOCK_WRITE, fdatasync
    /// at the end.
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds {
        .calls([.pwrite64, .pread64, .fdatasync], on: durableDescriptors, why: "block devices")
    }

    var durableDescriptors: [Int32] { slots.map { $0.fd }.filter { $0 >= 0 } }

    func shutdown() -> Bool {
        var synced = true
        for slot in slots where slot.fd >= 0 {
            // EINVAL/EROFS: a device such as /dev/null that cannot sync.
            if fdatasync(slot.fd) != 0 && errno != EINVAL && errno != EROFS {
                Console.error("block \(slot.name): fdatasync: \(errnoText(errno))")
                synced = false
            }
        }
        return synced
    }
}

/// BLOCK_WRITE's and BLOCK_READ's argument structs, which share a layout
/// (include/ukvm_abi.h).
protocol BlockRequest {
    var handle: UInt64 { get }
    var offset: UInt64 { get }
    var data: UInt64 { get }
    var len: UInt64 { get }
    var ret: Int32 { get set }
}

extension ukvm_hc_block_write: BlockRequest {}
extension ukvm_hc_block_read: BlockRequest {}
