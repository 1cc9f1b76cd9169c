// NetRingTests.swift: the monitor's side of upstream's network ring, with
// this test as the guest: entries written into the ring in guest memory,
// socketpairs standing in for taps. It needs a real VM (the kick is a KVM
// ioeventfd), so it skips without /dev/kvm.

import CKVM
import CSys
import Glibc
@testable import Image
@testable import KVM
@testable import Monitor
import TestSupport
import Testing

@Suite(.enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct NetRingTests {
    let ringAt: UInt64 = 4 << 20      // above 4 MiB of "guest" memory
    let data: UInt64 = 0x200000

    /// A ring over 6 MiB of memory with net devices 1 and 2 on socketpairs.
    final class Rig {
        let memory: GuestMemory
        let vm: VM
        let ring: NetRing
        var peers: [Int32] = []
        var fds: [Int32] = []
        let base: UnsafeMutableRawPointer
        var tail: UInt32 = 0

        init(ringAt: UInt64) throws {
            memory = try GuestMemory(size: 6 << 20)
            vm = try KVM().createVM()
            try vm.setMemory(base: memory.base, size: memory.size)
            var slots = [NetModule.Slot](repeating: NetModule.Slot(), count: Manifest.maxEntries)
            for h in 1...2 {
                var pair: [Int32] = [0, 0]
                guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &pair) == 0 else {
                    throw MonitorError.setup("socketpair")
                }
                _ = fcntl(pair[0], F_SETFL, O_NONBLOCK)
                slots[h] = NetModule.Slot(fd: pair[0], mtu: 1500)
                fds.append(pair[0])
                peers.append(pair[1])
            }
            ring = try NetRing(memory: memory, gpa: ringAt, devices: slots, vm: vm)
            base = memory.base + Int(ringAt)
            try ring.start()
        }

        deinit {
            ring.stop()
            for fd in peers + fds { close(fd) }
        }

        func field(_ path: PartialKeyPath<ukvm_ring>) -> UnsafeMutableRawPointer {
            base + MemoryLayout<ukvm_ring>.offset(of: path)!
        }

        /// As a guest: waits for room, then the entry, the tail, and a kick
        /// if the thread asked for one.
        func submit(_ e: ukvm_ring_entry) {
            while tail &- csys_load_acquire_u32(field(\.ent_head)) >= 1024 { usleep(10) }
            let at = MemoryLayout<ukvm_ring>.offset(of: \.entries)! + Int(tail % 1024) * 32
            base.storeBytes(of: e, toByteOffset: at, as: ukvm_ring_entry.self)
            tail &+= 1
            csys_store_release_u32(field(\.ent_tail), tail)
            csys_fence()
            if csys_load_acquire_u32(field(\.needs_kick)) != 0 {
                var one: UInt64 = 1
                _ = write(ring.kick, &one, 8)
            }
        }

        /// Waits (a few seconds at most) for commit number `n`.
        func commit(_ n: UInt32) -> ukvm_ring_commit? {
            for _ in 0..<300_000 where csys_load_acquire_u32(field(\.com_tail)) <= n { usleep(10) }
            guard csys_load_acquire_u32(field(\.com_tail)) > n else { return nil }
            let at = MemoryLayout<ukvm_ring>.offset(of: \.commits)! + Int(n % 1024) * 16
            return base.loadUnaligned(fromByteOffset: at, as: ukvm_ring_commit.self)
        }

        /// Waits for the thread to take every entry so far.
        func drained() -> Bool {
            for _ in 0..<300_000 where csys_load_acquire_u32(field(\.ent_head)) != tail { usleep(10) }
            return csys_load_acquire_u32(field(\.ent_head)) == tail
        }

        func peerReceive(_ i: Int) -> [UInt8]? {
            var buf = [UInt8](repeating: 0, count: 2048)
            let n = buf.withUnsafeMutableBytes { recv(peers[i], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            return n < 0 ? nil : Array(buf.prefix(n))
        }
    }

    func entry(_ op: Int32, _ handle: UInt32, _ data: UInt64, _ len: UInt32, id: UInt32) -> ukvm_ring_entry {
        ukvm_ring_entry(operation: UInt32(op), handle: handle, data: data, len: len, id: id, _reserved: 0)
    }

    @Test func writesAndReads() throws {
        let rig = try Rig(ringAt: ringAt)
        let frame = (0..<60).map { UInt8($0) }
        try rig.memory.copy(UnsafeRawBufferPointer(start: frame, count: 60), to: data)
        rig.submit(entry(UKVM_RING_NET_WRITE, 2, data, 60, id: 1))
        #expect(rig.drained())
        #expect(rig.peerReceive(1) == frame)
        // Nothing queued: AGAIN. Then a frame.
        rig.submit(entry(UKVM_RING_NET_READ, 1, data + 0x1000, 1514, id: 7))
        let again = try #require(rig.commit(0))
        #expect(again.id == 7 && again.ret == Int32(UKVM_AGAIN.rawValue) && again.len == 0)
        _ = [UInt8](repeating: 9, count: 42).withUnsafeBytes { write(rig.peers[0], $0.baseAddress, 42) }
        rig.submit(entry(UKVM_RING_NET_READ, 1, data + 0x1000, 1514, id: 8))
        let got = try #require(rig.commit(1))
        #expect(got.id == 8 && got.ret == 0 && got.len == 42)
        #expect(Array(try rig.memory.buffer(gpa: data + 0x1000, count: 42)) == [UInt8](repeating: 9, count: 42))
    }

    /// Bad entries: a read gets EINVAL, a write is dropped, the thread runs on.
    @Test func badEntries() throws {
        let rig = try Rig(ringAt: ringAt)
        let bad = [entry(UKVM_RING_NET_READ, 0, data, 1514, id: 1),              // reserved handle
                   entry(UKVM_RING_NET_READ, 5, data, 1514, id: 2),              // no such device
                   entry(UKVM_RING_NET_READ, 1, data, 100, id: 3),               // buffer below mtu + 14
                   entry(UKVM_RING_NET_READ, 1, 6 << 20 - 100, 1514, id: 4),     // past memory
                   entry(UKVM_RING_NET_READ, 1, 0x10000, 1514, id: 5)]           // read-only memory
        for e in bad { rig.submit(e) }
        for (i, e) in bad.enumerated() {
            let c = try #require(rig.commit(UInt32(i)))
            #expect(c.id == e.id && c.ret == Int32(UKVM_EINVAL.rawValue), "\(i)")
        }
        rig.submit(entry(UKVM_RING_NET_WRITE, 1, data, 1519, id: 9))             // larger than mtu + 18
        rig.submit(entry(UKVM_RING_NET_WRITE, 1, UInt64.max - 10, 60, id: 10))    // wraps
        rig.submit(entry(99, 1, data, 60, id: 11))                                 // no such operation
        #expect(rig.drained())
        #expect(rig.peerReceive(0) == nil)
        rig.submit(entry(UKVM_RING_NET_WRITE, 1, data, 60, id: 12))
        #expect(rig.drained())
        #expect(rig.peerReceive(0)?.count == 60)
    }

    /// A guest that sets its tail more than a ring ahead loses the ring;
    /// the monitor's thread does not run away, and stops when asked.
    @Test func corruptIndicesStopTheRing() throws {
        let rig = try Rig(ringAt: ringAt)
        csys_store_release_u32(rig.field(\.ent_tail), 5000)
        var one: UInt64 = 1
        _ = write(rig.ring.kick, &one, 8)
        usleep(50_000)
        #expect(csys_load_acquire_u32(rig.field(\.ent_head)) == 0)
        rig.ring.stop()
    }

    /// Random entries, as a hostile guest writes them: never a trap.
    @Test func randomEntriesNeverTrap() throws {
        let rig = try Rig(ringAt: ringAt)
        var rng = SplitMix(seed: 0x5eed_0f_1e_41)
        for round in 0..<2000 {
            if round % 100 == 0 { _ = [UInt8](repeating: 1, count: 64).withUnsafeBytes { write(rig.peers[0], $0.baseAddress, 64) } }
            let r = rng.next()
            let data = r % 3 == 0 ? rng.next() : 0x100000 + rng.next() % (5 << 20)
            rig.submit(ukvm_ring_entry(operation: UInt32(r >> 60 & 3), handle: UInt32(r >> 56 & 3),
                                       data: data, len: UInt32(truncatingIfNeeded: rng.next() >> 50),
                                       id: UInt32(round), _reserved: rng.next()))
        }
        #expect(rig.drained())
    }
}
