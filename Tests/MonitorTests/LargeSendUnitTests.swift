// LargeSendUnitTests.swift: the large-send checks (ukvm_large_send_check,
// include/ukvm_ext.h) and what LargeSend.swift writes to a tap with
// virtio-net headers, against a sequenced-packet socketpair standing in
// for the tap: the header the host kernel acts on, the checksum field,
// and nothing written for a frame that fails.

import CKVM
import Glibc
@testable import Monitor
import Testing

@Suite struct LargeSendUnitTests {
    static let mtu: UInt64 = 1500

    /// An IPv4/TCP frame of `data` bytes of data (ACK, IHL 5, doff 5 plus
    /// `options` bytes of TCP options).
    static func frame(data: Int, options: Int = 0) -> [UInt8] {
        let thl = 20 + options
        var f = [UInt8](repeating: 0, count: 14 + 20 + thl + data)
        f[12] = 0x08
        f[14] = 0x45
        let total = 20 + thl + data
        f[16] = UInt8(total >> 8); f[17] = UInt8(total & 0xff)
        f[20] = 0x40
        f[22] = 64; f[23] = 6
        f[26...33] = [10, 0, 0, 2, 10, 0, 0, 1]
        f[34 + 12] = UInt8(thl / 4) << 4
        f[34 + 13] = 0x10
        for i in 0..<data { f[14 + 20 + thl + i] = UInt8(truncatingIfNeeded: i) }
        return f
    }

    static func check(_ f: [UInt8], length: Int? = nil) -> ukvm_large_send? {
        var ls = ukvm_large_send()
        let ok = f.withUnsafeBufferPointer { ukvm_large_send_check($0.baseAddress, UInt64(length ?? f.count), mtu, &ls) }
        return ok != 0 ? ls : nil
    }

    @Test func goodFrames() throws {
        let ls = try #require(Self.check(Self.frame(data: 4000)))
        #expect(ls.hdr_len == 54 && ls.csum_start == 34 && ls.csum_offset == 16 && ls.seg_size == 1460)
        // Options shorten each segment's data; the pseudo sum covers the addresses,
        // the protocol and the TCP length (header + data).
        let opt = try #require(Self.check(Self.frame(data: 4000, options: 12)))
        #expect(opt.hdr_len == 66 && opt.seg_size == 1448)
        var sum = UInt32(6 + 32 + 4000) + 0x0a00 + 0x0002 + 0x0a00 + 0x0001
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        #expect(opt.pseudo_sum == UInt16(sum))
        // The largest frame there is.
        #expect(Self.check(Self.frame(data: 65535 - 40)) != nil)
    }

    @Test func badFrames() {
        let good = Self.frame(data: 4000)
        func with(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var f = good
            change(&f)
            return f
        }
        let bad: [(String, [UInt8], Int?)] = [
            ("within the MTU: not a large frame", Self.frame(data: 1400), nil),
            ("IPv6 type", with { $0[13] = 0xdd }, nil),
            ("VLAN tag", with { $0[12] = 0x81; $0[13] = 0 }, nil),
            ("IP version 6", with { $0[14] = 0x65 }, nil),
            ("IHL 4", with { $0[14] = 0x44 }, nil),
            ("total length short", with { $0[17] &-= 1 }, nil),
            ("frame longer than the packet", good + [0], nil),
            ("MF", with { $0[20] = 0x20 }, nil),
            ("fragment offset", with { $0[21] = 1 }, nil),
            ("UDP", with { $0[23] = 17 }, nil),
            ("data offset 4", with { $0[46] = 0x40 }, nil),
            ("SYN", with { $0[47] = 0x12 }, nil),
            ("RST", with { $0[47] = 0x14 }, nil),
            ("URG", with { $0[47] = 0x30 }, nil),
            ("no ACK", with { $0[47] = 0x08 }, nil),
            ("oversize", good, 65550),
            ("headers past the check's window", with { $0[14] = 0x4f; $0[46] = 0xf0 }, nil),
        ]
        for (what, f, length) in bad {
            #expect(Self.check(f, length: length) == nil, "\(what)")
        }
        // Every truncation of a good frame (its length then disagrees).
        for n in stride(from: 0, to: good.count, by: 97) {
            #expect(Self.check(Array(good.prefix(n))) == nil, "truncated to \(n)")
        }
    }

    /// What reaches the "tap": the virtio-net header, then the frame with
    /// the pseudo-header sum in its checksum field; nothing for a bad frame.
    @Test func writes() throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var one: Int32 = 1 << 20
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &one, socklen_t(MemoryLayout<Int32>.size))
        let f = Self.frame(data: 60000)
        let r = f.withUnsafeBytes { LargeSend.send(fds[0], frame: $0.baseAddress!, length: UInt64(f.count), mtu: Self.mtu) }
        #expect(r == HypercallStatus.ok)
        var got = [UInt8](repeating: 0, count: 70000)
        let n = recv(fds[1], &got, got.count, 0)
        let hs = LargeSend.headerSize
        try #require(n == hs + f.count)
        // struct virtio_net_hdr, little-endian: flags NEEDS_CSUM (1),
        // gso_type TCPV4 (1), hdr_len, gso_size, csum_start, csum_offset.
        func u16(_ at: Int) -> Int { Int(got[at]) | Int(got[at + 1]) << 8 }
        #expect(hs == 10 && got[0] == 1 && got[1] == 1)
        #expect(u16(2) == 54 && u16(4) == 1460 && u16(6) == 34 && u16(8) == 16)
        let ls = try #require(Self.check(f))
        #expect(got[hs + 50] == UInt8(ls.pseudo_sum >> 8) && got[hs + 51] == UInt8(ls.pseudo_sum & 0xff))
        #expect(Array(got[hs..<(hs + 50)]) == Array(f[0..<50]))
        #expect(Array(got[(hs + 52)..<n]) == Array(f[52...]))
        // A bad one: EINVAL and nothing written.
        var bad = f
        bad[23] = 17
        let rb = bad.withUnsafeBytes { LargeSend.send(fds[0], frame: $0.baseAddress!, length: UInt64(bad.count), mtu: Self.mtu) }
        #expect(rb == HypercallStatus.invalid)
        #expect(recv(fds[1], &got, got.count, Int32(MSG_DONTWAIT)) == -1 && errno == EAGAIN)
        // An ordinary frame: a zeroed header, then the frame as it is.
        let small = Self.frame(data: 100)
        let w = small.withUnsafeBytes { LargeSend.write(fds[0], $0.baseAddress!, small.count) }
        #expect(w == small.count)
        let m = recv(fds[1], &got, got.count, 0)
        #expect(m == hs + small.count && got[0..<hs].allSatisfy { $0 == 0 })
        #expect(Array(got[hs..<m]) == small)
    }

    /// NETIO's in-place I/O: the header goes in the 10 bytes before the
    /// guest's buffer, which are as they were afterwards.
    @Test func inPlace() throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let hs = LargeSend.headerSize
        var memory = [UInt8](repeating: 0xaa, count: 4096)
        let frame = Self.frame(data: 200)
        memory.replaceSubrange(64..<(64 + frame.count), with: frame)
        let r = memory.withUnsafeMutableBytes {
            LargeSend.writeInPlace(fds[0], $0.baseAddress! + 64, length: UInt64(frame.count))
        }
        #expect(r == HypercallStatus.ok)
        #expect(memory[(64 - hs)..<64].allSatisfy { $0 == 0xaa }, "the room is put back")
        var got = [UInt8](repeating: 0, count: 4096)
        let n = recv(fds[1], &got, got.count, 0)
        #expect(n == hs + frame.count && got[0..<hs].allSatisfy { $0 == 0 } && Array(got[hs..<n]) == frame)
        // Back: a header and the frame, read with the header in the room.
        let sent = send(fds[1], got, n, 0)
        try #require(sent == n)
        let m = memory.withUnsafeMutableBytes { LargeSend.readInPlace(fds[0], $0.baseAddress! + 1024, 2048) }
        #expect(m == frame.count && Array(memory[1024..<(1024 + m)]) == frame)
        #expect(memory[(1024 - hs)..<1024].allSatisfy { $0 == 0xaa }, "the room is put back")
        // Nothing queued: -1 and EAGAIN, the room still put back.
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        let e = memory.withUnsafeMutableBytes { LargeSend.readInPlace(fds[0], $0.baseAddress! + 1024, 2048) }
        #expect(e == -1 && errno == EAGAIN)
        #expect(memory[(1024 - hs)..<1024].allSatisfy { $0 == 0xaa })
    }
}
