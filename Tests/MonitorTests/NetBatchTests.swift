// NetBatchTests.swift: NETIO, our batched network I/O hypercall, against
// socketpairs standing in for taps.

import CKVM
import Glibc
import Testing
@testable import Monitor

@Suite struct NetBatchTests {
    let args: UInt64 = 0x200000
    let frames: UInt64 = 0x300000   // descriptor arrays
    let data: UInt64 = 0x400000     // frame buffers

    func setup(devices: Int = 2) throws -> NetModuleTests.Setup {
        try NetModuleTests.Setup(devices: devices)
    }

    func peerSend(_ fd: Int32, _ bytes: [UInt8]) {
        NetModuleTests().peerSend(fd, bytes)
    }

    func peerReceive(_ fd: Int32) -> [UInt8]? {
        NetModuleTests().peerReceive(fd)
    }

    /// Writes NETIO descriptors: frames at `frames`, buffers from `data`.
    func netio(_ s: NetModuleTests.Setup, tx: [(handle: UInt64, len: UInt64)], rx: [UInt64],
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
        try s.call(UKVM_HYPERCALL_NETIO, args)
        return try s.memory.load(ukvm_hc_netio.self, gpa: args)
    }

    func rxFrame(_ s: NetModuleTests.Setup, _ i: UInt64) throws -> ukvm_netio_frame {
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
        try s.call(UKVM_HYPERCALL_NETIO, args)
        let r = try s.memory.load(ukvm_hc_netio.self, gpa: args)
        #expect(r.ret == 0 && r.rx_filled == 2)
        // The second frame went where rx[1] pointed when it was checked.
        #expect(Array(try s.memory.buffer(gpa: safe, count: 3)) == [9, 9, 9])
        #expect(try s.memory.load(ukvm_netio_frame.self, gpa: rxBase + size).len == 3)
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
        try s.call(UKVM_HYPERCALL_NETIO, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        try s.memory.store(ukvm_hc_netio(tx: frames, rx: s.memory.size - 32, tx_count: 0, rx_count: 2,
                                         timeout_nsecs: 0, ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try s.call(UKVM_HYPERCALL_NETIO, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        try s.memory.store(ukvm_hc_netio(tx: UInt64.max - 16, rx: frames, tx_count: 1, rx_count: 0,
                                         timeout_nsecs: 0, ready_set: 0, rx_filled: 0, ret: -1), gpa: args)
        try s.call(UKVM_HYPERCALL_NETIO, args)
        #expect(try s.memory.load(ukvm_hc_netio.self, gpa: args).ret == 2)
        // The frame is still there for a good request.
        r = try netio(s, tx: [], rx: [2048])
        #expect(r.ret == 0 && r.rx_filled == 1)
        // The struct itself outside memory: a guest fault.
        #expect(throws: MonitorError.self) { try s.call(UKVM_HYPERCALL_NETIO, s.memory.size - 40) }
    }

    /// Everything that is waiting comes in one call, up to the buffers
    /// offered (UKVM_NETIO_MAX_FRAMES at most), in the order it was sent;
    /// a whole batch goes out in one call.
    @Test func netioMovesWholeBatches() throws {
        let s = try NetModuleTests.Setup(devices: 1, type: SOCK_SEQPACKET)
        let batch = Int(NetBatch.maxFrames)
        for i in 0..<(batch + 6) { peerSend(s.peers[0], [UInt8(i), 1, 2]) }
        var r = try netio(s, tx: [], rx: Array(repeating: 2048, count: batch))
        #expect(r.ret == 0 && r.rx_filled == UInt32(batch) && r.ready_set == 1 << 1)
        for i in 0..<UInt64(batch) {
            let f = try rxFrame(s, i)
            #expect(f.handle == 1 && f.len == 3)
            #expect(try s.memory.load(UInt8.self, gpa: f.data) == UInt8(i))
        }
        r = try netio(s, tx: [], rx: Array(repeating: 2048, count: batch))
        #expect(r.ret == 0 && r.rx_filled == 6 && r.ready_set == 0)
        #expect(try s.memory.load(UInt8.self, gpa: rxFrame(s, 5).data) == UInt8(batch + 5))

        for i in 0..<batch { try s.memory.store(UInt8(i), gpa: data + UInt64(i) * 0x1000) }
        r = try netio(s, tx: Array(repeating: (1, 60), count: batch), rx: [])
        #expect(r.ret == 0)
        for i in 0..<batch {
            let got = peerReceive(s.peers[0])
            #expect(got?.count == 60 && got?.first == UInt8(i))
            #expect(try s.memory.load(ukvm_netio_frame.self, gpa: frames + UInt64(i) * 32).ret == 0)
        }
        #expect(peerReceive(s.peers[0]) == nil)
    }

    /// A hostile guest: NETIO batches of random size whose descriptors are
    /// valid or, now and then, broken in one field. A request with a broken
    /// descriptor gets EINVAL and moves nothing; a valid one sends every
    /// frame and receives what was waiting, in order, never more than its
    /// buffers hold. Seeded, so a failure repeats.
    @Test func randomBatchesMoveExactlyWhatTheyShould() throws {
        let s = try NetModuleTests.Setup(devices: 2, type: SOCK_SEQPACKET)
        var rng = SplitMix(seed: 0x6e_e710)
        var waiting: [[UInt8]] = [[], []]   // first bytes of frames queued by each peer, in order
        var next: UInt8 = 0
        var moved = (sent: 0, received: 0, refused: 0)
        let size = UInt64(MemoryLayout<ukvm_netio_frame>.size)
        let rxBase = frames + 0x8000
        let batch = Int(NetBatch.maxFrames)     // counts above it are refused too
        for round in 0..<600 {
            for _ in 0..<(rng.next() % 8) {
                let d = Int(rng.next() % 2)
                peerSend(s.peers[d], [next, UInt8(d)] + [UInt8](repeating: 0, count: Int(rng.next() % 100)))
                waiting[d].append(next)
                next &+= 1
            }
            let txCount = Int(rng.next() % 70), rxCount = Int(rng.next() % 70)
            // The descriptor to break, if any (-1: none).
            let broken = txCount + rxCount > 0 && rng.next() % 4 == 0
                ? Int(rng.next() % UInt64(txCount + rxCount)) : -1
            var tx: [ukvm_netio_frame] = [], rx: [ukvm_netio_frame] = []
            for i in 0..<txCount {
                var f = ukvm_netio_frame(handle: 1 + rng.next() % 2, data: data + UInt64(i) * 0x1000,
                                         len: 14 + rng.next() % 1505, ret: -1, _pad: 0)
                if i == broken {
                    switch rng.next() % 3 {
                    case 0: f.handle = [0, 3, UInt64.max][Int(rng.next() % 3)]
                    case 1: f.len = [0, 1519, UInt64.max][Int(rng.next() % 3)]
                    default: f.data = [0, 0xfff0, s.memory.size - 10, UInt64.max][Int(rng.next() % 4)]
                    }
                }
                tx.append(f)
            }
            for i in 0..<rxCount {
                var f = ukvm_netio_frame(handle: 99, data: data + 0x80000 + UInt64(i) * 0x1000,
                                         len: 1514 + rng.next() % 2000, ret: -1, _pad: 0)
                if txCount + i == broken {
                    if rng.next() % 2 == 0 { f.len = rng.next() % 1514 }
                    else { f.data = [0x10000, s.memory.size - 100, UInt64.max - 8][Int(rng.next() % 3)] }
                }
                rx.append(f)
            }
            for (i, f) in tx.enumerated() { try s.memory.store(f, gpa: frames + UInt64(i) * size) }
            for (i, f) in rx.enumerated() { try s.memory.store(f, gpa: rxBase + UInt64(i) * size) }
            try s.memory.store(ukvm_hc_netio(tx: frames, rx: rxBase, tx_count: UInt32(txCount),
                                             rx_count: UInt32(rxCount), timeout_nsecs: 0,
                                             ready_set: 77, rx_filled: 77, ret: -1), gpa: args)
            try s.call(UKVM_HYPERCALL_NETIO, args)
            let r = try s.memory.load(ukvm_hc_netio.self, gpa: args)
            let valid = broken < 0 && txCount <= batch && rxCount <= batch
            #expect(r.ret == (valid ? 0 : 2), "round \(round)")
            // Sent: each frame at its device's peer, or nothing at all.
            for f in tx where valid {
                let got = peerReceive(s.peers[Int(f.handle) - 1])
                #expect(got?.count == Int(f.len), "round \(round)")
            }
            for p in s.peers { #expect(peerReceive(p) == nil, "round \(round): more sent than asked") }
            moved.sent += valid ? txCount : 0
            moved.refused += valid ? 0 : 1
            // Received: up to the buffers, each device's frames in order.
            let filled = Int(r.rx_filled)
            #expect(filled <= (valid ? rxCount : 0), "round \(round)")
            for i in 0..<filled {
                let f = try rxFrame(s, UInt64(i))
                let d = Int(f.handle) - 1
                guard d == 0 || d == 1, !waiting[d].isEmpty else {
                    Issue.record("round \(round): frame \(i) from handle \(f.handle)")
                    continue
                }
                #expect(f.len <= rx[i].len && f.len >= 2)
                #expect(try s.memory.load(UInt8.self, gpa: rx[i].data) == waiting[d].removeFirst(), "round \(round)")
            }
            moved.received += filled
            // All that was waiting came, when the buffers sufficed.
            if valid && filled < rxCount { #expect(waiting[0].isEmpty && waiting[1].isEmpty, "round \(round)") }
        }
        #expect(moved.sent > 1000 && moved.received > 1000 && moved.refused > 50, "\(moved)")
    }

    @Test func netioWithoutDevices() throws {
        let s = try setup(devices: 0)
        let r = try netio(s, tx: [], rx: [2048], timeout: 1_000_000)
        #expect(r.ret == 0 && r.rx_filled == 0 && r.ready_set == 0)
        #expect(try netio(s, tx: [(1, 60)], rx: []).ret == 2)
    }
}
