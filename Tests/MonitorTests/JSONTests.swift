// JSONTests.swift: the strict JSON parser and serializer, with hostile
// input: every refusal is a typed error, never a trap.

@testable import JSON
@testable import Monitor
import Testing

@Suite struct JSONTests {
    @Test func parsesEveryKind() throws {
        let v = try JSON.parse(#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}} "#)
        #expect(v["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(v["b"]?.string == "x\"\\/\né😀")
        #expect(v["c"] == .object([]))
        #expect(v["missing"] == nil)
    }

    @Test func roundTrips() throws {
        let text = #"{"k":"tab\tquote\"nl\nctl\u0001","n":[0,-1,12345678901234567890],"e":[],"o":{"x":null}}"#
        let v = try JSON.parse(text)
        #expect(v.serialized == text)
        #expect(try JSON.parse(v.serialized) == v)
    }

    @Test func integers() throws {
        #expect(try JSON.parse("9223372036854775807").int64 == Int64.max)
        #expect(try JSON.parse("9223372036854775808").int64 == nil)
        #expect(try JSON.parse("18446744073709551615").uint64 == UInt64.max)
        #expect(try JSON.parse("-1").uint64 == nil)
        #expect(try JSON.parse("1.0").int64 == nil)
        #expect(try JSON.parse("1e2").int64 == nil)
        #expect(try JSON.parse(String(repeating: "9", count: 5000)).int64 == nil)
    }

    @Test(arguments: [
        ("", JSONError.Kind.unexpectedEnd), ("[1,]", .unexpectedByte(UInt8(ascii: "]"))),
        ("{\"a\":1,}", .unexpectedByte(UInt8(ascii: "}"))), ("01", .invalidNumber), ("-", .invalidNumber),
        ("1.", .invalidNumber), ("1e", .invalidNumber), ("+1", .unexpectedByte(UInt8(ascii: "+"))),
        ("NaN", .unexpectedByte(UInt8(ascii: "N"))), ("\"\\x\"", .invalidEscape), ("\"\\u12\"", .invalidEscape),
        ("\"\\ud800\"", .loneSurrogate), ("\"\\udc00\"", .loneSurrogate), ("\"\\ud800\\u0041\"", .loneSurrogate),
        ("\"a\nb\"", .controlCharacterInString), ("{\"a\":1,\"a\":2}", .duplicateKey("a")),
        ("1 2", .trailingData), ("{} x", .trailingData), ("tru", .unexpectedEnd), ("[1 2]", .unexpectedByte(UInt8(ascii: "2"))),
        ("{1:2}", .unexpectedByte(UInt8(ascii: "1"))), ("\"abc", .unexpectedEnd),
    ])
    func refuses(text: String, kind: JSONError.Kind) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
        do {
            _ = try JSON.parse(text)
        } catch {
            #expect(error.kind == kind, "\(text): \(error)")
        }
    }

    @Test func badUTF8() {
        for bytes: [UInt8] in [[0x22, 0xff, 0x22], [0x22, 0xc0, 0xaf, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22],
                               [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xe2, 0x82]] {
            do {
                _ = try JSON.parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.kind == .invalidUTF8)
            }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSON.parse(deep)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .tooDeep(limit: JSON.defaultMaxDepth))
        }
        #expect((try? JSON.parse(String(repeating: "[", count: 128) + String(repeating: "]", count: 128))) != nil)
    }

    /// Random bytes and random mutations of a valid document: an error or a
    /// value, never a trap.
    @Test func randomInputNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        let valid = Array(#"{"ociVersion":"1.0.2","process":{"args":["/a","b"]},"n":[1,2.5,null]}"#.utf8)
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let v = try? JSON.parse(bytes) { _ = v.serialized }
            let noise = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? JSON.parse(noise)
        }
    }

    @Test func errorsSayWhere() {
        do {
            _ = try JSON.parse("{\"a\": tru}")
        } catch {
            #expect(error.description == "unexpected '}' at byte 9")
        }
    }
}
