// GuestMemory.swift: the guest's physical memory, one region at gpa 0.
//
// Every guest address and length the monitor touches goes through
// `pointer(gpa:count:)` (or `load`, `store` and `buffer`, built on it), which
// checks the whole range, with overflow checks, before handing out a host
// pointer. Guest-supplied values are never used as host pointers or lengths
// any other way.

import CKVM
import Glibc
import Support

/// Who touches a guest range, which decides how low in memory it may lie.
/// The guest cannot use the pages below 0x10000 (not present: NULL guard,
/// and the monitor's GDT and page tables) nor write 0x10000 - 0xfffff (boot
/// info, read-only); the monitor must not do it on the guest's behalf.
enum GuestAccess {
    /// The monitor's own set-up: all of guest memory.
    case monitor
    /// A range the guest hands the monitor to read (PUTS, BLOCK_WRITE, ...).
    case guestReadable
    /// A range the monitor writes for the guest (results, BLOCK_READ, ...).
    case guestWritable

    var lowest: UInt64 {
        switch self {
        case .monitor: return 0
        case .guestReadable: return UInt64(UKVM_GUARD_END)
        case .guestWritable: return UInt64(UKVM_KERNEL_BASE)
        }
    }
}

final class GuestMemory {
    /// Host address of guest-physical 0.
    let base: UnsafeMutableRawPointer
    /// Bytes of guest memory.
    let size: UInt64
    /// Whether `base` came from mmap (and deinit must unmap it).
    private let mapped: Bool
    /// Ranges [start, end) made read-only by `protect`, sorted; `low` and
    /// `high` bound them all, so that most checks look at nothing else.
    private(set) var readOnly: [(start: UInt64, end: UInt64)] = []
    private var low: UInt64 = .max, high: UInt64 = 0

    /// Maps `size` bytes of zeroed anonymous memory. MAP_NORESERVE: the guest
    /// only costs the host what it touches.
    init(size: UInt64) throws(MonitorError) {
        guard size > 0, let length = Int(exactly: size) else {
            throw .setup("guest memory of \(size) bytes")
        }
        let p = mmap(nil, length, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .setup("mmap of \(size >> 20) MiB of guest memory: \(errnoText(errno))")
        }
        self.base = p
        self.size = size
        self.mapped = true
    }

    /// Wraps memory the caller owns (tests).
    init(unownedBase: UnsafeMutableRawPointer, size: UInt64) {
        self.base = unownedBase
        self.size = size
        self.mapped = false
    }

    deinit {
        if mapped { munmap(base, Int(truncatingIfNeeded: size)) }
    }

    /// Whether [gpa, gpa + count) lies inside guest memory and inside the part
    /// `access` may touch. An empty range touches nothing: it only has to
    /// start inside memory.
    @inline(__always)
    func contains(gpa: UInt64, count: UInt64, _ access: GuestAccess = .monitor) -> Bool {
        let (end, overflow) = gpa.addingReportingOverflow(count)
        guard !overflow, end <= size, gpa >= access.lowest || count == 0 else { return false }
        // What the guest hands the monitor to write must not be read-only.
        return access != .guestWritable || end <= low || gpa >= high || count == 0 || !overlapsReadOnly(gpa, end)
    }

    /// Whether [gpa, end) overlaps a read-only range.
    func overlapsReadOnly(_ gpa: UInt64, _ end: UInt64) -> Bool {
        readOnly.contains { gpa < $0.end && end > $0.start }
    }

    /// Makes `ranges` (page-aligned) read-only to the guest: the monitor
    /// writes nothing there on its behalf (`.guestWritable` excludes them),
    /// and `inMapping`, nor can KVM: the monitor's own mapping of them is
    /// made read-only (mprotect), as upstream's tender does with an image's
    /// read-only segments. That is for a guest at CPL 0, whose page tables
    /// are its own. A CPL3 guest's page tables already keep the pages
    /// read-only, and it cannot change them; its mapping stays writable,
    /// because KVM maps neighbouring pages ahead at a page fault only where
    /// it may write them (three exits fewer in a boot under kvm-pvm).
    func protect(_ ranges: [(start: UInt64, end: UInt64)], inMapping: Bool = true) throws(MonitorError) {
        for r in ranges {
            guard r.start < r.end, r.start % X86.pageSize == 0, r.end % X86.pageSize == 0,
                  contains(gpa: r.start, count: r.end - r.start) else {
                throw .setup("cannot protect \(hex(r.start))-\(hex(r.end)) of guest memory")
            }
            guard !inMapping || mprotect(base + Int(r.start), Int(r.end - r.start), PROT_READ) == 0 else {
                throw .setup("mprotect of guest memory: \(errnoText(errno))")
            }
            readOnly.append(r)
            low = min(low, r.start)
            high = max(high, r.end)
        }
        readOnly.sort { $0.start < $1.start }
    }

    /// The host address of [gpa, gpa + count), or a guest fault if any byte
    /// of it lies outside guest memory (including when gpa + count overflows)
    /// or below what `access` allows.
    @inline(__always)
    func pointer(gpa: UInt64, count: UInt64, _ access: GuestAccess = .monitor) throws(MonitorError)
        -> UnsafeMutableRawPointer {
        guard contains(gpa: gpa, count: count, access) else {
            throw .guestAccess(gpa: gpa, size: count)
        }
        return base + Int(truncatingIfNeeded: gpa)
    }

    /// The guest bytes [gpa, gpa + count) as a buffer.
    @inline(__always)
    func buffer(gpa: UInt64, count: UInt64, _ access: GuestAccess = .monitor) throws(MonitorError)
        -> UnsafeMutableRawBufferPointer {
        let p = try pointer(gpa: gpa, count: count, access)
        return UnsafeMutableRawBufferPointer(start: p, count: Int(truncatingIfNeeded: count))
    }

    /// Reads a value of T at gpa (any alignment: the guest chooses it).
    @inline(__always)
    func load<T: BitwiseCopyable>(_ type: T.Type, gpa: UInt64,
                                  _ access: GuestAccess = .monitor) throws(MonitorError) -> T {
        let p = try pointer(gpa: gpa, count: UInt64(MemoryLayout<T>.size), access)
        return p.loadUnaligned(as: T.self)
    }

    /// Writes a value of T at gpa (any alignment).
    @inline(__always)
    func store<T: BitwiseCopyable>(_ value: T, gpa: UInt64,
                                   _ access: GuestAccess = .monitor) throws(MonitorError) {
        let p = try pointer(gpa: gpa, count: UInt64(MemoryLayout<T>.size), access)
        p.storeBytes(of: value, as: T.self)
    }

    /// Writes the bytes of any C struct at gpa (start-up only: not inlined,
    /// no BitwiseCopyable requirement, for structs with unions).
    func write<T>(_ value: T, gpa: UInt64) throws(MonitorError) {
        let dst = try buffer(gpa: gpa, count: UInt64(MemoryLayout<T>.size))
        withUnsafeBytes(of: value) { dst.copyMemory(from: $0) }
    }

    /// Copies host bytes into guest memory at gpa.
    func copy(_ bytes: UnsafeRawBufferPointer, to gpa: UInt64) throws(MonitorError) {
        let dst = try buffer(gpa: gpa, count: UInt64(bytes.count))
        if let src = bytes.baseAddress, let d = dst.baseAddress {
            d.copyMemory(from: src, byteCount: bytes.count)
        }
    }

    /// Zeroes [gpa, gpa + count).
    func zero(gpa: UInt64, count: UInt64) throws(MonitorError) {
        let dst = try buffer(gpa: gpa, count: count)
        if let d = dst.baseAddress { memset(d, 0, dst.count) }
    }
}
