// FuzzHypercalls.swift: the hypercall handlers as a hostile guest meets
// them: each input is a short sequence of hypercalls, with the guest memory
// they point into and frames that arrive on the network devices. The
// modules are set up as the launcher sets them up (flags, manifest, one
// disk, two network devices on datagram socketpairs standing in for taps,
// NETIO and all), over guest memory with a read-only page in it, without
// KVM: the run loop's port dispatch, then the handler, as one exit would.
//
// Input: n (1 byte, at most 16), n calls of 6 bytes (hypercall number in
// the low 5 bits; flags: bit 0 the address is taken as it is, else it lies
// in the window; a 32-bit address), f (1 byte, at most 3) frames to deliver
// first (2-byte length, 1-byte device, the bytes), then the window: guest
// memory at 0x100000, at most 64 KiB. POLL and NETIO timeouts are cut to a
// microsecond, so that an input never sleeps.

import CKVM
import Glibc
import Image
import Support

final class FuzzHypercalls: FuzzTarget {
    static let window: UInt64 = 0x100000
    static let windowSize = 0x10000
    /// A page the guest may read but not write (W^X: the image's code).
    static let readOnly: (start: UInt64, end: UInt64) = (0x1f0000, 0x1f1000)

    let launch = Launch()
    let memory: GuestMemory
    var table = HypercallTable()
    /// The far ends of the two network devices.
    var peers: [Int32] = []
    var mine: [Int32] = []

    init() {
        do {
            var paths = Array("/tmp/ukvm-fuzz-disk-XXXXXX".utf8CString)
            let disk = paths.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            precondition(disk >= 0 && ftruncate(disk, 64 * 512) == 0)
            let path = paths.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            var flags = ["--block:disk=\(path)"]
            for i in 0..<2 {
                var fds: [Int32] = [0, 0]
                precondition(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
                mine.append(fds[0])
                peers.append(fds[1])
                flags.append("--net:n\(i)=@\(fds[0])")
            }
            // Datagram sockets behave as taps do: a frame per read and write.
            launch.net.inheritTap = { _, _ in Tap.Inherited(name: "socket", mtu: 1500) }
            var options = Options()
            for f in flags { try launch.parser.apply(Argument(f), to: &options, modules: launch.modules) }
            var manifest = Manifest(entries: [Manifest.Entry(name: "", type: .reservedFirst),
                                              Manifest.Entry(name: "disk", type: .blockBasic),
                                              Manifest.Entry(name: "n0", type: .netBasic),
                                              Manifest.Entry(name: "n1", type: .netBasic)])
            try DeviceBinding.attach(launch.modules, to: &manifest)
            unlink(path)
            close(disk)
            memory = try GuestMemory(size: 4 << 20)
            try memory.protect([FuzzHypercalls.readOnly])
            let wait = try DeviceWait(launch.pollDescriptors)
            for m in launch.modules { try m.registerHypercalls(&table, memory: memory, wait: wait) }
        } catch {
            fatalError("ukvm-fuzz: set-up: \(error)")
        }
        // The guest's console output goes nowhere.
        let null = open("/dev/null", O_WRONLY)
        dup2(null, 1)
        close(null)
    }

    func run(_ input: UnsafeRawBufferPointer) {
        var r = Reader(input)
        let n = min(Int(r.byte()), 16)
        var calls: [(nr: UInt8, raw: Bool, address: UInt32)] = []
        for _ in 0..<n { calls.append((r.byte() & 0x1f, r.byte() & 1 != 0, r.u32())) }
        for _ in 0..<min(Int(r.byte()), 3) {
            let length = Int(r.u16()) % 2048, device = Int(r.byte()) % 2
            let frame = r.bytes(length)
            _ = frame.withUnsafeBytes { send(peers[device], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        }
        let window = r.bytes(FuzzHypercalls.windowSize)
        let base = memory.base + Int(FuzzHypercalls.window)
        memset(base, 0, FuzzHypercalls.windowSize)
        window.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        for c in calls {
            let gpa = c.raw ? UInt64(c.address) : FuzzHypercalls.window + UInt64(c.address) % UInt64(FuzzHypercalls.windowSize)
            shortenTimeout(nr: c.nr, gpa: gpa)
            guard let handler = table.handler(port: HypercallTable.portBase + UInt16(c.nr)) else { continue }
            do {
                if case .halt = try handler(gpa) { break }
            } catch {
                // A guest fault ends the run; the next input is a new guest.
                break
            }
        }
        for fd in peers + mine { drain(fd) }
    }

    /// POLL's and NETIO's timeouts, at most a microsecond.
    private func shortenTimeout(nr: UInt8, gpa: UInt64) {
        let at: UInt64
        switch UInt32(nr) {
        case UKVM_HYPERCALL_POLL.rawValue: at = gpa
        case UKVM_HYPERCALL_NETIO.rawValue: at = gpa &+ UInt64(MemoryLayout<ukvm_hc_netio>.offset(of: \.timeout_nsecs)!)
        default: return
        }
        if let t = try? memory.load(UInt64.self, gpa: at, .guestWritable) {
            try? memory.store(min(t, 1000), gpa: at, .guestWritable)
        }
    }

    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) >= 0 {}
    }

    /// Bytes of the input, in order; zeros once it runs out.
    struct Reader {
        let input: UnsafeRawBufferPointer
        var at = 0
        init(_ input: UnsafeRawBufferPointer) { self.input = input }

        mutating func byte() -> UInt8 {
            defer { at += 1 }
            return at < input.count ? input[at] : 0
        }
        mutating func u16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }
        mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
        mutating func bytes(_ count: Int) -> [UInt8] {
            guard at < input.count else { return [] }
            let n = min(count, input.count - at)
            defer { at += n }
            return Array(input[at..<(at + n)])
        }
    }

    // MARK: Seeds: one well-formed call of each kind.

    func seeds() -> [(name: String, bytes: [UInt8])] {
        let w = FuzzHypercalls.window
        func call(_ nr: ukvm_hypercall, at offset: UInt32) -> [UInt8] {
            [UInt8(nr.rawValue), 0] + withUnsafeBytes(of: offset.littleEndian) { Array($0) }
        }
        func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
        func seed(_ calls: [[UInt8]], frames: [[UInt8]] = [], window: [UInt8]) -> [UInt8] {
            var out = [UInt8(calls.count)] + calls.flatMap { $0 } + [UInt8(frames.count)]
            for f in frames { out += [UInt8(f.count & 0xff), UInt8(f.count >> 8), 0] + f }
            return out + window
        }
        let text = Array("hello from the fuzzer\n".utf8)
        let frame = [UInt8](repeating: 0xab, count: 60)
        let nf = MemoryLayout<ukvm_netio_frame>.size
        var netio = bytes(ukvm_hc_netio(tx: w + 0x100, rx: w + 0x200, tx_count: 1, rx_count: 2, timeout_nsecs: 1000,
                                         ready_set: 0, rx_filled: 0, ret: 0))
        netio += [UInt8](repeating: 0, count: 0x100 - netio.count)
        netio += bytes(ukvm_netio_frame(handle: 2, data: w + 0x1000, len: 60, ret: 0, _pad: 0))
        netio += [UInt8](repeating: 0, count: 0x100 - nf)
        netio += bytes(ukvm_netio_frame(handle: 0, data: w + 0x2000, len: 1600, ret: 0, _pad: 0))
        netio += bytes(ukvm_netio_frame(handle: 0, data: w + 0x3000, len: 1600, ret: 0, _pad: 0))
        netio += [UInt8](repeating: 0, count: 0x1000 - netio.count) + frame
        return [
            ("walltime", seed([call(UKVM_HYPERCALL_WALLTIME, at: 0)], window: [UInt8](repeating: 0, count: 8))),
            ("puts", seed([call(UKVM_HYPERCALL_PUTS, at: 0)],
                          window: bytes(ukvm_hc_puts(data: w + 16, len: UInt64(text.count))) + text)),
            ("poll", seed([call(UKVM_HYPERCALL_POLL, at: 0)], frames: [frame],
                          window: bytes(ukvm_hc_poll(timeout_nsecs: 1000, ready_set: 0, ret: 0, _pad: 0)))),
            ("block", seed([call(UKVM_HYPERCALL_BLOCK_WRITE, at: 0), call(UKVM_HYPERCALL_BLOCK_READ, at: 64)],
                           window: bytes(ukvm_hc_block_write(handle: 1, offset: 512, data: w + 0x200, len: 512,
                                                             ret: 0, _pad: 0))
                               + [UInt8](repeating: 0, count: 24)
                               + bytes(ukvm_hc_block_read(handle: 1, offset: 512, data: w + 0x400, len: 512,
                                                          ret: 0, _pad: 0))
                               + [UInt8](repeating: 0, count: 0x200 - 104) + [UInt8](repeating: 7, count: 512))),
            ("net", seed([call(UKVM_HYPERCALL_NET_WRITE, at: 0), call(UKVM_HYPERCALL_NET_READ, at: 32)],
                         frames: [frame],
                         window: bytes(ukvm_hc_net_write(handle: 2, data: w + 0x100, len: 60, ret: 0, _pad: 0))
                             + bytes(ukvm_hc_net_read(handle: 2, data: w + 0x800, len: 1514, ret: 0, _pad: 0))
                             + [UInt8](repeating: 0, count: 0x100 - 64) + frame)),
            ("netio", seed([call(UKVM_HYPERCALL_NETIO, at: 0)], frames: [frame, frame], window: netio)),
            ("halt", seed([call(UKVM_HYPERCALL_HALT, at: 0)],
                          window: bytes(ukvm_hc_halt(cookie: 0, exit_status: 3, _pad: 0)))),
            ("readonly", [1, UInt8(UKVM_HYPERCALL_WALLTIME.rawValue), 1]
                + withUnsafeBytes(of: UInt32(FuzzHypercalls.readOnly.start).littleEndian) { Array($0) } + [0]),
        ]
    }
}
