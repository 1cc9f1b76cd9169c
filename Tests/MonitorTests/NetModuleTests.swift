// NetModuleTests.swift: the net hypercalls (NET_WRITE, NET_READ, POLL)
// against a datagram socketpair standing in for a tap, attached as @FD, and
// every hypercall fed random arguments (NetBatchTests.swift: NETIO).

import CKVM
import Glibc
@testable import Image
@testable import Monitor
@testable import Support
import Testing

@Suite struct NetModuleTests {
    let args: UInt64 = 0x200000
    let frames: UInt64 = 0x300000   // descriptor arrays
    let data: UInt64 = 0x400000     // frame buffers

    /// A guest with net devices "n0" (handle 1) and "n1" (handle 2), each
    /// wired to a socketpair standing in for a tap (attached as @FD);
    /// `peers` are the far ends. Datagram pairs queue only
    /// net.unix.max_dgram_qlen (10) frames; sequenced-packet pairs, which
    /// keep frame boundaries too, queue whole batches.
    final class Setup {
        let harness: Harness
        let peers: [Int32]
        var memory: GuestMemory { harness.memory }
        var manifest: Manifest { harness.manifest }

        init(devices: Int, type: __socket_type = SOCK_DGRAM) throws {
            var peers: [Int32] = [], flags: [String] = [], names: [(String, Manifest.DeviceType)] = []
            for i in 0..<devices {
                var fds: [Int32] = [0, 0]
                guard socketpair(AF_UNIX, Int32(type.rawValue), 0, &fds) == 0 else {
                    throw MonitorError.setup("socketpair: \(errnoText(errno))")
                }
                peers.append(fds[1])
                flags.append("--net:n\(i)=@\(fds[0])")
                names.append(("n\(i)", .netBasic))
            }
            self.peers = peers
            harness = try Harness(flags: flags, manifest: Manifest.declaring(names))
        }

        deinit {
            for p in peers { close(p) }
            for e in harness.manifest.entries where e.attached { close(Int32(e.hostpriv)) }
        }

        @discardableResult
        func call(_ nr: ukvm_hypercall, _ gpa: UInt64) throws(MonitorError) -> HypercallOutcome {
            try harness.call(nr, gpa)
        }
    }

    func setup(devices: Int = 2) throws -> Setup {
        try Setup(devices: devices)
    }

    func peerSend(_ fd: Int32, _ bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    func peerReceive(_ fd: Int32) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 2048)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n < 0 ? nil : Array(buf.prefix(n))
    }

    /// An inherited fd must be an attached tap; anything else is refused
    /// when the flag is read, before the monitor opens anything.
    @Test func inheritedDescriptorsMustBeTaps() throws {
        func refusal(_ fd: Int32) -> String? {
            do throws(MonitorError) {
                _ = try Tap.inherit(fd) { MonitorError.netDevice(name: "n", iface: "@\(fd)", reason: $0) }
                return nil
            } catch {
                return error.description
            }
        }
        let file = open("/dev/null", O_RDWR)
        var pipeFds: [Int32] = [0, 0]
        #expect(pipe(&pipeFds) == 0)
        let tun = open("/dev/net/tun", O_RDWR)   // never attached: creates nothing
        defer { for fd in [file, tun] + pipeFds where fd >= 0 { close(fd) } }
        #expect(refusal(file)?.contains("not a tap device") == true)
        #expect(refusal(pipeFds[0])?.contains("not a tap device") == true)
        #expect(refusal(999)?.contains("not an open file descriptor") == true)
        if tun >= 0 { #expect(refusal(tun)?.contains("not attached to an interface") == true) }
        let launch = Launch()
        #expect(throws: MonitorError.self) {
            try launch.parser.parse([Argument("--net:n=@\(file)"), "k"], modules: launch.modules)
        }
    }

    @Test func manifestCopyAndFeatures() throws {
        let s = try setup()
        #expect(s.manifest.entries[1].attached && s.manifest.entries[1].mtu == 1500)
        #expect(s.manifest.entries[1].mac[0] & 3 == 2)
        var info = ukvm_boot_info()
        s.harness.launch.net.describe(&info)
        #expect(info.host_features == UInt32(UKVM_HOST_FEATURE_NETIO) && info.net_ring == 0)
    }

    @Test func writeAndRead() throws {
        let s = try setup()
        let frame = [UInt8](repeating: 0xab, count: 60)
        try s.memory.copy(UnsafeRawBufferPointer(start: frame, count: 60), to: data)
        try s.memory.store(ukvm_hc_net_write(handle: 2, data: data, len: 60, ret: -1, _pad: 0), gpa: args)
        try s.call(UKVM_HYPERCALL_NET_WRITE, args)
        #expect(try s.memory.load(ukvm_hc_net_write.self, gpa: args).ret == 0)
        #expect(peerReceive(s.peers[1]) == frame)

        // Nothing queued: AGAIN. Then one frame.
        try s.memory.store(ukvm_hc_net_read(handle: 1, data: data, len: 1514, ret: -1, _pad: 0), gpa: args)
        try s.call(UKVM_HYPERCALL_NET_READ, args)
        #expect(try s.memory.load(ukvm_hc_net_read.self, gpa: args).ret == 1)
        peerSend(s.peers[0], [1, 2, 3, 4, 5, 6, 7])
        try s.call(UKVM_HYPERCALL_NET_READ, args)
        let r = try s.memory.load(ukvm_hc_net_read.self, gpa: args)
        #expect(r.ret == 0 && r.len == 7)
        #expect(Array(try s.memory.buffer(gpa: data, count: 7)) == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test func readWriteRefusals() throws {
        let s = try setup()
        func write(_ handle: UInt64, _ at: UInt64, _ len: UInt64) throws -> Int32 {
            try s.memory.store(ukvm_hc_net_write(handle: handle, data: at, len: len, ret: -1, _pad: 0), gpa: args)
            try s.call(UKVM_HYPERCALL_NET_WRITE, args)
            return try s.memory.load(ukvm_hc_net_write.self, gpa: args).ret
        }
        func read(_ handle: UInt64, _ at: UInt64, _ len: UInt64) throws -> Int32 {
            try s.memory.store(ukvm_hc_net_read(handle: handle, data: at, len: len, ret: -1, _pad: 0), gpa: args)
            try s.call(UKVM_HYPERCALL_NET_READ, args)
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
        #expect(throws: MonitorError.self) { try s.call(UKVM_HYPERCALL_NET_READ, s.memory.size - 8) }
    }

    @Test func pollSeesReadyDevices() throws {
        let s = try setup()
        try s.memory.store(ukvm_hc_poll(timeout_nsecs: 0, ready_set: 0, ret: -1, _pad: 0), gpa: args)
        try s.call(UKVM_HYPERCALL_POLL, args)
        #expect(try s.memory.load(ukvm_hc_poll.self, gpa: args).ret == 0)
        peerSend(s.peers[1], [9])
        try s.memory.store(ukvm_hc_poll(timeout_nsecs: 1_000_000_000, ready_set: 0, ret: -1, _pad: 0), gpa: args)
        try s.call(UKVM_HYPERCALL_POLL, args)
        let p = try s.memory.load(ukvm_hc_poll.self, gpa: args)
        #expect(p.ret == 1 && p.ready_set == 1 << 2)
    }

    @Test func netWithoutDevicesIsEINVAL() throws {
        let h = try Harness()
        let memory = h.memory
        let buffer = data
        try memory.store(ukvm_hc_net_write(handle: 1, data: buffer, len: 60, ret: 0, _pad: 0), gpa: args)
        try h.call(UKVM_HYPERCALL_NET_WRITE, args)
        #expect(try memory.load(ukvm_hc_net_write.self, gpa: args).ret == 2)
        try memory.store(ukvm_hc_net_write(handle: 1, data: UInt64.max, len: 60, ret: 0, _pad: 0), gpa: args)
        try h.call(UKVM_HYPERCALL_NET_WRITE, args)
        #expect(try memory.load(ukvm_hc_net_write.self, gpa: args).ret == 2)
        try memory.store(ukvm_hc_net_read(handle: 0, data: buffer, len: 2048, ret: 0, _pad: 0), gpa: args)
        try h.call(UKVM_HYPERCALL_NET_READ, args)
        #expect(try memory.load(ukvm_hc_net_read.self, gpa: args).ret == 2)
    }

    /// A hostile guest: random argument structs for every hypercall that
    /// neither prints nor halts, with pointers sometimes inside memory and
    /// sometimes not, and frames queued to read. Each call must resume or
    /// raise a guest error, never trap. Seeded, so a failure repeats.
    @Test func randomArgumentsNeverTrap() throws {
        let s = try setup()
        var rng = SplitMix(seed: 0xbad_ca11)
        let calls = [UKVM_HYPERCALL_WALLTIME, UKVM_HYPERCALL_POLL, UKVM_HYPERCALL_BLOCK_WRITE,
                     UKVM_HYPERCALL_BLOCK_READ, UKVM_HYPERCALL_NET_WRITE, UKVM_HYPERCALL_NET_READ,
                     UKVM_HYPERCALL_NETIO]
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
            if nr == UKVM_HYPERCALL_POLL { try s.memory.store(UInt64(0), gpa: args) }        // no sleeping
            if nr == UKVM_HYPERCALL_NETIO { try s.memory.store(UInt64(0), gpa: args + 24) }
            do throws(MonitorError) { try s.call(nr, args) } catch {
                #expect(error.failureClass == .guestFault, "\(nr.rawValue): \(error)")
            }
        }
    }
}
