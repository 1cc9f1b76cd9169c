// GDBPacket.swift: the framing of gdb's remote serial protocol.
//
// On the wire a packet is `$PAYLOAD#CC`, CC the modulo-256 sum of the
// payload's bytes in two hex digits; the receiver answers `+` (good) or `-`
// (send again) unless both sides have agreed to drop acknowledgements
// (QStartNoAckMode). Outside packets, the single byte 0x03 asks a running
// target to stop. Binary data inside a payload escapes `#`, `$`, `}` and
// `*` as `}` followed by the byte XOR 0x20.
//
// The reader below takes whatever bytes a peer sends, one at a time, never
// stores more than its limit, and turns them into events; anything that is
// not a well-formed packet becomes an event the server can refuse, never a
// trap.

/// One thing a peer said.
enum GDBInput: Equatable {
    /// A packet whose checksum matched: its payload, still escaped.
    case packet([UInt8])
    /// 0x03 outside a packet: stop the running guest.
    case interrupt
    /// `+` and `-` outside a packet.
    case ack
    case nak
    /// A packet whose checksum did not match (or was not hex).
    case badChecksum
    /// A packet longer than the reader's limit, discarded whole.
    case tooLong
}

/// Turns a byte stream into GDBInput events.
struct GDBPacketReader {
    /// The longest payload kept; longer packets are read to their end and
    /// reported as `.tooLong`.
    let limit: Int

    private enum State {
        case idle
        case payload
        case checksumHigh
        case checksumLow(UInt8)
    }

    private var state = State.idle
    private var payload: [UInt8] = []
    private var sum: UInt8 = 0
    private var overflow = false

    init(limit: Int) {
        self.limit = limit
        payload.reserveCapacity(limit)
    }

    /// Feeds one byte; returns the event it completes, if any.
    mutating func feed(_ byte: UInt8) -> GDBInput? {
        switch state {
        case .idle:
            switch byte {
            case UInt8(ascii: "$"): start()
            case 0x03: return .interrupt
            case UInt8(ascii: "+"): return .ack
            case UInt8(ascii: "-"): return .nak
            default: break    // noise between packets is ignored
            }
        case .payload:
            switch byte {
            case UInt8(ascii: "#"):
                state = .checksumHigh
            case UInt8(ascii: "$"):
                start()       // a new packet abandons an unfinished one
            default:
                sum &+= byte
                if payload.count < limit { payload.append(byte) } else { overflow = true }
            }
        case .checksumHigh:
            guard let high = GDBHex.digit(byte) else { return finish(.badChecksum) }
            state = .checksumLow(high)
        case .checksumLow(let high):
            guard let low = GDBHex.digit(byte), high << 4 | low == sum else { return finish(.badChecksum) }
            return finish(overflow ? .tooLong : .packet(payload))
        }
        return nil
    }

    private mutating func start() {
        state = .payload
        payload.removeAll(keepingCapacity: true)
        sum = 0
        overflow = false
    }

    private mutating func finish(_ event: GDBInput) -> GDBInput {
        state = .idle
        payload.removeAll(keepingCapacity: true)
        return event
    }
}

enum GDBPacket {
    /// `$PAYLOAD#CC` for a payload that is already escaped where needed.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 4)
        out.append(UInt8(ascii: "$"))
        var sum: UInt8 = 0
        for b in payload { sum &+= b }
        out += payload
        out.append(UInt8(ascii: "#"))
        out.append(GDBHex.digits[Int(sum >> 4)])
        out.append(GDBHex.digits[Int(sum & 0xf)])
        return out
    }

    /// Whether `b` must be escaped inside binary data.
    static func needsEscape(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "#") || b == UInt8(ascii: "$") || b == UInt8(ascii: "}") || b == UInt8(ascii: "*")
    }

    /// Binary data escaped for a reply (qXfer).
    static func escape<S: Sequence>(_ bytes: S) -> [UInt8] where S.Element == UInt8 {
        var out: [UInt8] = []
        for b in bytes {
            if needsEscape(b) {
                out.append(UInt8(ascii: "}"))
                out.append(b ^ 0x20)
            } else {
                out.append(b)
            }
        }
        return out
    }

    /// Binary data of a request (X) unescaped; nil if it ends in a lone `}`.
    static func unescape(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var escaped = false
        for b in bytes {
            if escaped {
                out.append(b ^ 0x20)
                escaped = false
            } else if b == UInt8(ascii: "}") {
                escaped = true
            } else {
                out.append(b)
            }
        }
        return escaped ? nil : out
    }
}

/// Hex as the protocol spells it: lower case out, either case in.
enum GDBHex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// A number of at most 16 hex digits (no sign, no prefix); nil if empty,
    /// too long or not hex.
    static func number<C: Collection>(_ text: C) -> UInt64? where C.Element == UInt8 {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var value: UInt64 = 0
        for c in text {
            guard let d = digit(c) else { return nil }
            value = value << 4 | UInt64(d)
        }
        return value
    }

    /// Bytes from pairs of hex digits; nil if odd or not hex.
    static func bytes<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var high: UInt8?
        for c in text {
            guard let d = digit(c) else { return nil }
            if let h = high {
                out.append(h << 4 | d)
                high = nil
            } else {
                high = d
            }
        }
        return out
    }

    /// Two hex digits per byte.
    static func encode<S: Sequence>(_ bytes: S, into out: inout [UInt8]) where S.Element == UInt8 {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
    }

    static func encode<S: Sequence>(_ bytes: S) -> [UInt8] where S.Element == UInt8 {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return out
    }

    /// A number in hex without leading zeros ("0" for zero).
    static func text(_ value: UInt64) -> String {
        String(value, radix: 16)
    }
}
