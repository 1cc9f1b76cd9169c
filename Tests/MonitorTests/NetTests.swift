// NetTests.swift: the net hypercalls (NET_WRITE, NET_READ, NETIO, POLL)
// against a datagram socketpair standing in for a tap, attached as @FD.

import CKVM
import Glibc
import Testing
@testable import Monitor

@Suite struct NetTests {
    let args: UInt64 = 0x200000
    let frames: UInt64 = 0x300000   // descriptor arrays
    let data: UInt64 = 0x400000     // frame buffers

    /// A guest with net devices "n0" (handle 1) and "n1" (handle 2), each
    /// wired to a socketpair; returns the far ends.
    struct Setup {
        let table: HypercallTable
        let memory: GuestMemory
        let modules: (core: CoreModule, block: BlockModule, net: NetModule, all: [MonitorModule])
        let peers: [Int32]
        let manifest: Manifest
    }

    func setup(devices: Int = 2) throws -> Setup {
        let m = Monitor.makeModules()
        var peers: [Int32] = []
        var entries = [Manifest.Entry(name: "", type: .reservedFirst)]
        for i in 0..<devices {
            var fds: [Int32] = [0, 0]
            #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
            peers.append(fds[1])
            #expect(try m.net.handleFlag("--net:n\(i)=@\(fds[0])"))
            entries.append(Manifest.Entry(name: "n\(i)", type: .netBasic))
        }
        let memory = try testMemory(8)
        let context = ModuleContext(manifest: Manifest(entries: entries))
        try Monitor.bindDevices(context.manifest, m.all)
        for module in m.all { try module.setup(context) }
        var table = HypercallTable()
        for module in m.all { try module.registerHypercalls(&table, memory: memory, context: context) }
        return Setup(table: table, memory: memory, modules: m, peers: peers, manifest: context.manifest)
    }

    func call(_ s: Setup, _ nr: Hypercall, _ gpa: UInt64) throws(MonitorError) {
        guard let h = s.table.handler(port: Hypercall.portBase + UInt16(nr.rawValue)) else {
            throw .guestFault("no handler")
        }
        _ = try h(gpa)
    }

    func peerSend(_ fd: Int32, _ bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    func peerReceive(_ fd: Int32) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 2048)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n < 0 ? nil : Array(buf.prefix(n))
    }

    @Test func manifestCopyAndFeatures() throws {
        let s = try setup()
        #expect(s.manifest.entries[1].attached && s.manifest.entries[1].mtu == 1500)
        #expect(s.manifest.entries[1].mac[0] & 3 == 2)
        #expect(s.modules.net.hostFeatures == UInt32(UKVM_HOST_FEATURE_NETIO))
    }

    @Test func writeAndRead() throws {
        let s = try setup()
        let frame = [UInt8](repeating: 0xab, count: 60)
        try s.memory.copy(UnsafeRawBufferPointer(start: frame, count: 60), to: data)
        try s.memory.store(ukvm_hc_net_write(handle: 2, data: data, len: 60, ret: -1, _pad: 0), gpa: args)
        try call(s, .netWrite, args)
        #expect(try s.memory.load(ukvm_hc_net_write.self, gpa: args).ret == 0)
        #expect(peerReceive(s.peers[1]) == frame)

        // Nothing queued: AGAIN. Then one frame.
        try s.memory.store(ukvm_hc_net_read(handle: 1, data: data, len: 1514, ret: -1, _pad: 0), gpa: args)
        try call(s, .netRead, args)
        #expect(try s.memory.load(ukvm_hc_net_read.self, gpa: args).ret == 1)
        peerSend(s.peers[0], [1, 2, 3, 4, 5, 6, 7])
        try call(s, .netRead, args)
        let r = try s.memory.load(ukvm_hc_net_read.self, gpa: args)
        #expect(r.ret == 0 && r.len == 7)
        #expect(Array(try s.memory.buffer(gpa: data, count: 7)) == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test func readWriteRefusals() throws {
        let s = try setup()
        func write(_ handle: UInt64, _ at: UInt64, _ len: UInt64) throws -> Int32 {
            try s.memory.store(ukvm_hc_net_write(handle: handle, data: at, len: len, ret: -1, _pad: 0), gpa: args)
            try call(s, .netWrite, args)
            return try s.memory.load(ukvm_hc_net_write.self, gpa: args).ret
        }
        func read(_ handle: UInt64, _ at: UInt64, _ len: UInt64) throws -> Int32 {
            try s.memory.store(ukvm_hc_net_read(handle: handle, data: at, len: len, ret: -1, _pad: 0), gpa: args)
            try call(s, .netRead, args)
            return try s.memory.load(ukvm_hc_net_read.self, gpa: args).ret
        }
        #expect(try write(0, data, 60) == 2)             // reserved entry
        #expect(try write(3, data, 60) == 2)             // no such device
        #expect(try write(1, data, 0) == 2)              // empty frame
        #expect(try write(1, data, 1519) == 2)           // larger than mtu + 18
        #expect(try write(1, data, 1518) == 0)
        #expect(try write(1, s.memory.size - 10, 60) == 2)
        #expect(try write(1, 0x100, 60) == 2)            // NULL guard pages
        #expect(try read(1, data, 1513) == 2)            // smaller than mtu + 14
        #expect(try read(1, 0x10000, 2048) == 2)         // read-only low memory
        #expect(try read(1, UInt64.max - 100, 2048) == 2)
        #expect(try read(7, data, 2048) == 2)
        #expect(throws: MonitorError.self) { try call(s, .netRead, s.memory.size - 8) }
    }

    @Test func pollSeesReadyDevices() throws {
        let s = try setup()
        try s.memory.store(ukvm_hc_poll(timeout_nsecs: 0, ready_set: 0, ret: -1, _pad: 0), gpa: args)
        try call(s, .poll, args)
        #expect(try s.memory.load(ukvm_hc_poll.self, gpa: args).ret == 0)
        peerSend(s.peers[1], [9])
        try s.memory.store(ukvm_hc_poll(timeout_nsecs: 1_000_000_000, ready_set: 0, ret: -1, _pad: 0), gpa: args)
        try call(s, .poll, args)
        let p = try s.memory.load(ukvm_hc_poll.self, gpa: args)
        #expect(p.ret == 1 && p.ready_set == 1 << 2)
    }

    /// Writes NETIO descriptors: frames at `frames`, buffers from `data`.
    func netio(_ s: Setup, tx: [(handle: UInt64, len: UInt64)], rx: [UInt64],
               timeout: UInt64 = 0) throws -> ukvm_hc_netio {
        let size = UInt64(MemoryLayout<ukvm_netio_frame>.size)
        for (i, f) in tx.enumerated() {
            let at = frames + UInt64(i) * size
            try s.memory.store(ukvm_netio_frame(handle: f.handle, data: data + UInt64(i) * 0x1000,
                                                len: f.len, ret: -1, _pad: 0), gpa: at)
        }
        let rxBase = frames + 0x8000
        for (i, len) in rx.enumerated() {
            try s.memory.store(ukvm_netio_frame(handle: 99, data: data + 0x80000 + UInt64(i) * 0x1000,
                                                len: len, ret: -1, _pad: 0), gpa: rxBase + UInt64(i) * size)
        }
        try s.memory.store(ukvm_hc_netio(tx: frames, rx: rxBase, tx_count: UInt32(tx.count),
                                         rx_count: UInt32(rx.count), timeout_nsecs: timeout,
                                         ready_set: 77, rx_filled: 77, ret: -1), gpa: args)
        try call(s, .netio, args)
        return try s.memory.load(ukvm_hc_netio.self, gpa: args)
    }

    func rxFrame(_ s: Setup, _ i: UInt64) throws -> ukvm_netio_frame {
        try s.memory.load(ukvm_netio_frame.self, gpa: frames + 0x8000 + i * 32)
    }

    @Test func netioSendsAndReceivesInOneCall() throws {
        let s = try setup()
        peerSend(s.peers[0], [1, 1, 1])
        peerSend(s.peers[1], [2, 2])
        peerSend(s.peers[0], [3])
        let r = try netio(s, tx: [(1, 60), (2, 61)], rx: [2048, 2048, 2048, 2048])
        #expect(r.ret == 0)
        #expect(r.rx_filled == 3)
        #expect(r.ready_set == 0)
        #expect(peerReceive(s.peers[0])?.count == 60)
        #expect(peerReceive(s.peers[1])?.count == 61)
        #expect(try s.memory.load(ukvm_netio_frame.self, gpa: frames).ret == 0)
        #expect(try s.memory.load(ukvm_netio_frame.self, gpa: frames + 32).ret == 0)
        // Devices in turn: n0, n1, then n0 again.
        let got = try (0..<3).map { try rxFrame(s, $0) }
        #expect(got.map(\.handle) == [1, 2, 1])
        #expect(got.map(\.len) == [3, 2, 1])
        #expect(Array(try s.memory.buffer(gpa: got[1].data, count: 2)) == [2, 2])
    }

    @Test func netioReportsWhatIsLeft() throws {
        let s = try setup()
        for b in [UInt8(1), 2, 3] { peerSend(s.peers[1], [b]) }
        var r = try netio(s, tx: [], rx: [2048])
        #expect(r.ret == 0 && r.rx_filled == 1 && r.ready_set == 1 << 2)
        r = try netio(s, tx: [], rx: [])
        #expect(r.ret == 0 && r.rx_filled == 0 && r.ready_set == 1 << 2)
        r = try netio(s, tx: [], rx: [2048, 2048, 2048])
        #expect(r.rx_filled == 2 && r.ready_set == 0)
    }

    /// A received frame may land on the descriptor arrays themselves (the
    /// guest chooses its buffers). The monitor must keep using the pointers
    /// it checked, not ones a frame wrote there.
    @Test func netioFrameOverwritingDescriptorsIsHarmless() throws {
        let s = try setup()
        let size = UInt64(MemoryLayout<ukvm_netio_frame>.size)
        let rxBase = frames + 0x8000
        let safe = data + 0x80000
        // rx[0]'s buffer is the rx array; rx[1] is an ordinary buffer.
        try s.memory.store(ukvm_netio_frame(handle: 0, data: rxBase, len: 2048, ret: 0, _pad: 0), gpa: rxBase)
        try s.memory.store(ukvm_netio_frame(handle: 0, data: safe, len: 2048, ret: 0, _pad: 0),
                           gpa: rxBase + size)
        // The first frame rewrites rx[1] to point outside guest memory.
        var evil = [UInt8](repeating: 0, count: 64)
        withUnsafeBytes(of: ukvm_netio_frame(handle: 0, data: 0xffff_ffff_0000_0000, len: 4096, ret: 0, _pad: 0)) {
            for (i, b) in $0.enumerated() { evil[32 + i] = b }
        }
        peerSend(s.peers[0], evil)
        peerSend(s.peers[0], [9, 9, 9])
        try s.memory.store(ukvm_hc_netio(tx: frames, rx: rxBase, tx_count: 0, rx_count: 2, timeout_nsecs: 0,
                                         ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try call(s, .netio, args)
        let r = try s.memory.load(ukvm_hc_netio.self, gpa: args)
        #expect(r.ret == 0 && r.rx_filled == 2)
        // The second frame went where rx[1] pointed when it was checked.
        #expect(Array(try s.memory.buffer(gpa: safe, count: 3)) == [9, 9, 9])
        #expect(try s.memory.load(ukvm_netio_frame.self, gpa: rxBase + size).len == 3)
    }

    /// A hostile guest: random argument structs for every hypercall that
    /// neither prints nor halts, with pointers sometimes inside memory and
    /// sometimes not, and frames queued to read. Each call must resume or
    /// raise a guest error, never trap. Seeded, so a failure repeats.
    @Test func randomArgumentsNeverTrap() throws {
        let s = try setup()
        var rng = SplitMix(seed: 0xbad_ca11)
        let calls: [Hypercall] = [.walltime, .poll, .blockWrite, .blockRead, .netWrite, .netRead, .netio]
        let memorySize = s.memory.size
        for round in 0..<3000 {
            if round % 50 == 0 { for p in s.peers { peerSend(p, [UInt8](repeating: 7, count: 60)) } }
            let nr = calls[Int(rng.next() % UInt64(calls.count))]
            // Six u64 words: pointers and lengths, small or huge or in memory.
            for w in 0..<6 {
                let r = rng.next()
                let word: UInt64
                switch r % 4 {
                case 0: word = r >> 60                        // small: handles, counts
                case 1: word = 0x100000 + (r >> 40) % (memorySize - 0x100000)
                case 2: word = r                              // anything
                default: word = 0x10000 + (r >> 50)           // lengths near frame sizes
                }
                try s.memory.store(word, gpa: args + UInt64(w) * 8)
            }
            if nr == .poll { try s.memory.store(UInt64(0), gpa: args) }        // no sleeping
            if nr == .netio { try s.memory.store(UInt64(0), gpa: args + 24) }
            do throws(MonitorError) { try call(s, nr, args) } catch {
                #expect(error.failureClass == .guestFault, "\(nr): \(error)")
            }
        }
    }

    @Test func netioWaitsWhenNothingArrived() throws {
        let s = try setup()
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        let r = try netio(s, tx: [], rx: [2048], timeout: 20_000_000)
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1_000_000
        #expect(r.ret == 0 && r.rx_filled == 0 && ms >= 19)
    }

    @Test func netioRefusesMalformedRequestsWhole() throws {
        let s = try setup()
        peerSend(s.peers[0], [5])
        // One bad tx frame: nothing sent, nothing received.
        var r = try netio(s, tx: [(1, 60), (5, 60)], rx: [2048])
        #expect(r.ret == 2 && r.rx_filled == 0)
        #expect(peerReceive(s.peers[0]) == nil)
        r = try netio(s, tx: [(1, 1519)], rx: [])
        #expect(r.ret == 2)
        r = try netio(s, tx: [(1, 0)], rx: [])
        #expect(r.ret == 2)
        r = try netio(s, tx: [], rx: [1513])             // rx buffer below mtu + 14
        #expect(r.ret == 2)
        // Too many frames, arrays outside memory.
        try s.memory.store(ukvm_hc_netio(tx: frames, rx: frames, tx_count: 65, rx_count: 0,
                                         timeout_nsecs: 0, ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try call(s, .netio, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        try s.memory.store(ukvm_hc_netio(tx: frames, rx: s.memory.size - 32, tx_count: 0, rx_count: 2,
                                         timeout_nsecs: 0, ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try call(s, .netio, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        try s.memory.store(ukvm_hc_netio(tx: UInt64.max - 16, rx: frames, tx_count: 1, rx_count: 0,
                                         timeout_nsecs: 0, ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try call(s, .netio, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        // The frame is still there for a good request.
        r = try netio(s, tx: [], rx: [2048])
        #expect(r.ret == 0 && r.rx_filled == 1)
        // The struct itself outside memory: a guest fault.
        #expect(throws: MonitorError.self) { try call(s, .netio, s.memory.size - 40) }
    }

    @Test func netioWithoutDevices() throws {
        let s = try setup(devices: 0)
        let r = try netio(s, tx: [], rx: [2048], timeout: 1_000_000)
        #expect(r.ret == 0 && r.rx_filled == 0 && r.ready_set == 0)
        #expect(try netio(s, tx: [(1, 60)], rx: []).ret == 2)
    }
}
