// GDBPacketTests.swift: the remote protocol's framing: checksums, the
// reader's events for good, bad, oversized and noisy input, escaping, hex;
// and seeded random streams that never trap the reader.

import Foundation
@testable import Monitor
@testable import Support
import Testing

@Suite struct GDBPacketTests {
    func events(_ bytes: [UInt8], limit: Int = 64) -> [GDBInput] {
        var reader = GDBPacketReader(limit: limit)
        return bytes.compactMap { reader.feed($0) }
    }

    func events(_ text: String, limit: Int = 64) -> [GDBInput] {
        events(Array(text.utf8), limit: limit)
    }

    @Test func framesWithTheModulo256Sum() {
        #expect(GDBPacket.frame(Array("OK".utf8)) == Array("$OK#9a".utf8))
        #expect(GDBPacket.frame([]) == Array("$#00".utf8))
        // 'g' is 0x67.
        #expect(GDBPacket.frame(Array("g".utf8)) == Array("$g#67".utf8))
    }

    @Test func readsPacketsAcksAndInterrupts() {
        #expect(events("$g#67") == [.packet(Array("g".utf8))])
        #expect(events("+-") == [.ack, .nak])
        #expect(events([0x03]) == [.interrupt])
        // Either case of hex in the checksum.
        #expect(events("$OK#9A") == [.packet(Array("OK".utf8))])
        #expect(events("$g#67$?#3f") == [.packet(Array("g".utf8)), .packet(Array("?".utf8))])
    }

    @Test func refusesBadChecksums() {
        #expect(events("$g#68") == [.badChecksum])
        #expect(events("$g#zz") == [.badChecksum])
        #expect(events("$g#6") == [])                  // incomplete: nothing yet
        // After a bad packet the reader is ready for the next one.
        #expect(events("$g#00$g#67") == [.badChecksum, .packet(Array("g".utf8))])
    }

    @Test func ignoresNoiseAndRestartsOnDollar() {
        #expect(events("hello world\u{7f}$g#67") == [.packet(Array("g".utf8))])
        // '$' inside a packet abandons it.
        #expect(events("$mmm$g#67") == [.packet(Array("g".utf8))])
        // 0x03, '+' and '-' inside a packet are payload.
        #expect(events([0x24, 0x03, 0x2b, 0x23] + Array(String(format: "%02x", 0x03 + 0x2b).utf8))
            == [.packet([0x03, 0x2b])])
    }

    @Test func oversizedPacketsAreDiscardedWhole() {
        let long = String(repeating: "a", count: 100)
        let sum = UInt8(truncatingIfNeeded: 100 * 0x61)
        let framed = "$" + long + "#" + String(format: "%02x", sum)
        #expect(events(framed, limit: 64) == [.tooLong])
        #expect(events(framed + "$g#67", limit: 64) == [.tooLong, .packet(Array("g".utf8))])
        #expect(events(framed, limit: 100) == [.packet(Array(long.utf8))])
    }

    @Test func escapesBinaryData() {
        let data: [UInt8] = [0x23, 0x24, 0x7d, 0x2a, 0x00, 0xff, 0x41]
        let escaped = GDBPacket.escape(data)
        #expect(escaped == [0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x00, 0xff, 0x41])
        #expect(GDBPacket.unescape(escaped[...]) == data)
        #expect(GDBPacket.unescape([0x41, 0x7d][...]) == nil)     // a lone escape at the end
    }

    @Test func hex() {
        #expect(GDBHex.number(Array("ffffffffffffffff".utf8)) == UInt64.max)
        #expect(GDBHex.number(Array("1ffffffffffffffff".utf8)) == nil)   // 17 digits
        #expect(GDBHex.number(Array("".utf8)) == nil)
        #expect(GDBHex.number(Array("-1".utf8)) == nil)
        #expect(GDBHex.number(Array("0x10".utf8)) == nil)
        #expect(GDBHex.number(Array("DeadBeef".utf8)) == 0xdead_beef)
        #expect(GDBHex.bytes(Array("00ff7F".utf8)) == [0, 0xff, 0x7f])
        #expect(GDBHex.bytes(Array("0".utf8)) == nil)
        #expect(GDBHex.bytes(Array("0g".utf8)) == nil)
        #expect(GDBHex.encode([0, 0xab, 0x10]) == Array("00ab10".utf8))
    }

    /// 3000 seeded random streams (biased towards the framing bytes) never
    /// trap the reader, and no payload it returns exceeds its limit.
    @Test func randomStreams() {
        var random = SplitMix(seed: 0x6462_6770)
        let alphabet = Array("$#+-}*0123456789abcdefgmMX?".utf8) + [0x03, 0x00, 0xff]
        for _ in 0..<3000 {
            var reader = GDBPacketReader(limit: 32)
            let n = Int(random.next() % 200)
            for _ in 0..<n {
                let r = random.next()
                let byte = r & 1 == 0 ? alphabet[Int(r >> 8) % alphabet.count] : UInt8(truncatingIfNeeded: r >> 16)
                if case .packet(let p) = reader.feed(byte) { #expect(p.count <= 32) }
            }
        }
    }
}
