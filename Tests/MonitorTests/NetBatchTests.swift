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

    @Test func netioWithoutDevices() throws {
        let s = try setup(devices: 0)
        let r = try netio(s, tx: [], rx: [2048], timeout: 1_000_000)
        #expect(r.ret == 0 && r.rx_filled == 0 && r.ready_set == 0)
        #expect(try netio(s, tx: [(1, 60)], rx: []).ret == 2)
    }
}
