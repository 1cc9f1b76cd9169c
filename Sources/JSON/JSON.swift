// JSON.swift: a strict JSON (RFC 8259) parser and a compact serializer,
// Foundation-free, for everything in the project that reads or writes JSON
// (OCI config.json and state, manifests).
//
// Input is hostile: the parser takes bytes, validates UTF-8, refuses what
// the RFC refuses (trailing commas, leading zeros, lone surrogates, control
// characters in strings, trailing garbage) and what a careful reader should
// (duplicate keys, nesting deeper than a limit), and reports each as a typed
// error with the byte offset. It never traps and recursion is bounded by the
// depth limit. Numbers keep their text: a caller asks for the integer type
// it needs and gets nil when the value does not fit.

/// A JSON value. Objects keep their members in document order.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (validated against the grammar).
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// An integer as a JSON number.
    public static func int<T: BinaryInteger>(_ value: T) -> JSON { .number(String(value)) }

    // MARK: Access

    /// The member `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var object: [(String, JSON)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The number as an Int64 if it is an integer in range (no fraction, no
    /// exponent); nil otherwise.
    public var int64: Int64? {
        guard case .number(let text) = self, !text.contains(where: { ".eE".contains($0) }) else { return nil }
        return Int64(text)
    }

    /// The number as a UInt64 if it is a non-negative integer in range.
    public var uint64: UInt64? {
        guard case .number(let text) = self, !text.contains(where: { ".eE".contains($0) }) else { return nil }
        return UInt64(text)
    }

    // MARK: Parsing

    /// The deepest nesting of arrays and objects `parse` accepts by default.
    public static let defaultMaxDepth = 128

    /// Parses exactly one JSON text (whitespace around it allowed).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSON {
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return try p.document()
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSON {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    // MARK: Serializing

    /// Compact JSON text: no insignificant whitespace, members in order,
    /// strings escaped so the output is plain ASCII-safe JSON.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text): out += text
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Why a JSON text was refused, and where (byte offset).
public struct JSONError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Equatable, Sendable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidUTF8
        case invalidNumber
        case invalidEscape
        case loneSurrogate
        case controlCharacterInString
        case tooDeep(limit: Int)
        case duplicateKey(String)
        case trailingData
    }

    public let kind: Kind
    public let offset: Int

    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let b):
            what = b >= 0x20 && b < 0x7f
                ? "unexpected '\(Character(Unicode.Scalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16))"
        case .invalidUTF8: what = "invalid UTF-8"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .loneSurrogate: what = "unpaired UTF-16 surrogate in \\u escape"
        case .controlCharacterInString: what = "control character in string"
        case .tooDeep(let limit): what = "nested deeper than \(limit) levels"
        case .duplicateKey(let key): what = "duplicate key \"\(key)\""
        case .trailingData: what = "data after the JSON value"
        }
        return "\(what) at byte \(offset)"
    }
}

/// The recursive-descent parser behind `JSON.parse`.
private struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var at = 0
    var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func document() throws(JSONError) -> JSON {
        try validateUTF8()
        skipSpace()
        let value = try parseValue()
        skipSpace()
        guard at == bytes.count else { throw fail(.trailingData) }
        return value
    }

    private func fail(_ kind: JSONError.Kind) -> JSONError {
        JSONError(kind: kind, offset: at)
    }

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { at += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONError) {
        guard let b = peek else { throw fail(.unexpectedEnd) }
        guard b == byte else { throw fail(.unexpectedByte(b)) }
        at += 1
    }

    private mutating func parseValue() throws(JSONError) -> JSON {
        guard let b = peek else { throw fail(.unexpectedEnd) }
        switch b {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail(.unexpectedByte(b))
        }
    }

    private mutating func literal(_ word: String) throws(JSONError) {
        for c in word.utf8 { try expect(c) }
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
    }

    private mutating func parseArray() throws(JSONError) -> JSON {
        try enter()
        at += 1
        var items: [JSON] = []
        skipSpace()
        if peek == UInt8(ascii: "]") {
            at += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try parseValue())
            skipSpace()
            guard let b = peek else { throw fail(.unexpectedEnd) }
            at += 1
            if b == UInt8(ascii: "]") { break }
            guard b == UInt8(ascii: ",") else { at -= 1; throw fail(.unexpectedByte(b)) }
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseObject() throws(JSONError) -> JSON {
        try enter()
        at += 1
        var members: [(String, JSON)] = []
        var keys = Set<String>()
        skipSpace()
        if peek == UInt8(ascii: "}") {
            at += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipSpace()
            let keyAt = at
            guard let b = peek else { throw fail(.unexpectedEnd) }
            guard b == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(b)) }
            let key = try parseString()
            guard keys.insert(key).inserted else {
                throw JSONError(kind: .duplicateKey(key), offset: keyAt)
            }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            members.append((key, try parseValue()))
            skipSpace()
            guard let c = peek else { throw fail(.unexpectedEnd) }
            at += 1
            if c == UInt8(ascii: "}") { break }
            guard c == UInt8(ascii: ",") else { at -= 1; throw fail(.unexpectedByte(c)) }
        }
        depth -= 1
        return .object(members)
    }

    /// A number per the RFC grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func parseNumber() throws(JSONError) -> String {
        let start = at
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if peek == UInt8(ascii: "-") { at += 1 }
        guard isDigit(peek) else { throw fail(.invalidNumber) }
        if peek == UInt8(ascii: "0") {
            at += 1
            if isDigit(peek) { throw fail(.invalidNumber) }
        } else {
            while isDigit(peek) { at += 1 }
        }
        if peek == UInt8(ascii: ".") {
            at += 1
            guard isDigit(peek) else { throw fail(.invalidNumber) }
            while isDigit(peek) { at += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            at += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
            guard isDigit(peek) else { throw fail(.invalidNumber) }
            while isDigit(peek) { at += 1 }
        }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    /// A string; the input was validated as UTF-8 up front, so raw bytes
    /// are copied as they are and only escapes are decoded.
    private mutating func parseString() throws(JSONError) -> String {
        at += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek else { throw fail(.unexpectedEnd) }
            switch b {
            case UInt8(ascii: "\""):
                at += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                at += 1
                try escape(into: &out)
            case 0..<0x20:
                throw fail(.controlCharacterInString)
            default:
                out.append(b)
                at += 1
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(JSONError) {
        guard let e = peek else { throw fail(.unexpectedEnd) }
        at += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if scalar >= 0xd800 && scalar < 0xdc00 {
                guard peek == UInt8(ascii: "\\") else { throw fail(.loneSurrogate) }
                at += 1
                guard peek == UInt8(ascii: "u") else { throw fail(.loneSurrogate) }
                at += 1
                let low = UInt32(try hex4())
                guard low >= 0xdc00 && low < 0xe000 else { throw fail(.loneSurrogate) }
                scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
            } else if scalar >= 0xdc00 && scalar < 0xe000 {
                throw fail(.loneSurrogate)
            }
            guard let u = Unicode.Scalar(scalar) else { throw fail(.loneSurrogate) }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        default:
            at -= 1
            throw fail(.invalidEscape)
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let b = peek else { throw fail(.unexpectedEnd) }
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw fail(.invalidEscape)
            }
            value = value << 4 | UInt16(digit)
            at += 1
        }
        return value
    }

    /// Checks the whole input is well-formed UTF-8 (no overlong forms, no
    /// surrogates, nothing above U+10FFFF), as RFC 8259 requires.
    private mutating func validateUTF8() throws(JSONError) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let len: Int, minScalar: UInt32
            var scalar: UInt32
            switch b {
            case 0xc2...0xdf: len = 2; minScalar = 0x80; scalar = UInt32(b & 0x1f)
            case 0xe0...0xef: len = 3; minScalar = 0x800; scalar = UInt32(b & 0x0f)
            case 0xf0...0xf4: len = 4; minScalar = 0x10000; scalar = UInt32(b & 0x07)
            default: at = i; throw fail(.invalidUTF8)
            }
            guard n - i >= len else { at = i; throw fail(.invalidUTF8) }
            for k in 1..<len {
                let c = bytes[i + k]
                guard c & 0xc0 == 0x80 else { at = i; throw fail(.invalidUTF8) }
                scalar = scalar << 6 | UInt32(c & 0x3f)
            }
            guard scalar >= minScalar, scalar <= 0x10ffff, !(0xd800...0xdfff).contains(scalar) else {
                at = i
                throw fail(.invalidUTF8)
            }
            i += len
        }
    }
}
