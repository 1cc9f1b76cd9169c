// ElfToolTests.swift: solo5-elftool's outputs (upstream's layout, byte for
// byte) and its reading of manifest.json (upstream's rules).

import CKVM
@testable import ElfTool
import Glibc
@testable import Monitor
import TestSupport
import Testing

@Suite struct ElfToolTests {
    /// query-abi and query-manifest of a synthetic image written to a file.
    func query(_ image: TestImage) throws -> (abi: String, manifest: String) {
        let file = TempFile(size: 0, name: "image")
        let bytes = image.build()
        let fd = open(file.path, O_WRONLY)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return (try ElfTool.queryABI(file.path), try ElfTool.queryManifest(file.path))
    }

    @Test func outputsAreUpstreams() throws {
        var image = TestImage()
        var q = try query(image)
        #expect(q.abi == "{\n  \"type\": \"solo5.abi\",\n  \"target\": \"hvt\",\n  \"version\": 2\n}\n")
        #expect(q.manifest == """
            {
              "type": "solo5.manifest",
              "version": 1,
              "devices": [
                { "name": "disk", "type": "BLOCK_BASIC" },
                { "name": "net0", "type": "NET_BASIC" }
              ]
            }

            """)
        image.notes = [TestImage.abiNote(target: 3, version: 1), TestImage.manifestNote(TestImage.entries([]))]
        q = try query(image)
        #expect(q.abi.contains("\"target\": \"virtio\",\n  \"version\": 1\n"))
        #expect(q.manifest == "{\n  \"type\": \"solo5.manifest\",\n  \"version\": 1,\n  \"devices\": [\n  ]\n}\n")
        image.notes = [TestImage.abiNote(target: 42, version: 7)]
        #expect(try ElfToolTests().abiOnly(image).contains("\"target\": \"unknown\",\n  \"version\": 7\n"))
    }

    func abiOnly(_ image: TestImage) throws -> String {
        let file = TempFile(size: 0, name: "image")
        let fd = open(file.path, O_WRONLY)
        _ = image.build().withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return try ElfTool.queryABI(file.path)
    }

    /// A hostile device name comes out as valid JSON.
    @Test func namesAreEscaped() throws {
        var image = TestImage()
        image.notes = [TestImage.abiNote(target: 1, version: 2),
                       TestImage.manifestNote(TestImage.entries([("a\"b\\c\u{1}", 1)]))]
        let q = try query(image)
        #expect(q.manifest.contains(#"{ "name": "a\"b\\c\u0001", "type": "BLOCK_BASIC" }"#))
    }

    @Test func manifestSource() throws {
        let m = try ManifestSource.parse(Array("""
            {"type": "solo5.manifest", "version": 1,
             "devices": [{"name": "storage", "type": "BLOCK_BASIC"}, {"type": "NET_BASIC", "name": "s0"}]}
            """.utf8))
        #expect(m.devices.map(\.name) == ["storage", "s0"])
        #expect(m.devices.map(\.type) == [.blockBasic, .netBasic])
        let asm = m.assemblerSource(generator: "g")
        #expect(asm.contains("MFT_NOTE_BEGIN(3)\nMFT_ENTRY(\"\", MFT_RESERVED_FIRST)\n"
            + "MFT_ENTRY(\"storage\", MFT_DEV_BLOCK_BASIC)\nMFT_ENTRY(\"s0\", MFT_DEV_NET_BASIC)\nMFT_NOTE_END\n"))
        let c = m.cSource(generator: "g")
        #expect(c.contains("#define MFT_ENTRIES 3\n#include \"mft_abi.h\"\n"))
        #expect(c.contains("    { .name = \"storage\", .type = MFT_DEV_BLOCK_BASIC },\n"))
        #expect(c.hasSuffix("  }\n}\nMFT1_NOTE_DECLARE_END\n"))
    }

    /// Upstream's rules for manifest.json, each refusal naming the path.
    @Test func manifestSourceRefusals() {
        func refusal(_ text: String) -> String? {
            do {
                _ = try ManifestSource.parse(Array(text.utf8))
                return nil
            } catch {
                return error.path
            }
        }
        let ok = #"{"type":"solo5.manifest","version":1,"devices":[]}"#
        #expect(refusal(ok) == nil)
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[],"x":1}"#) == "(root)")
        #expect(refusal(#"{"type":"manifest","version":1,"devices":[]}"#) == ".type")
        #expect(refusal(#"{"type":"solo5.manifest","version":2,"devices":[]}"#) == ".version")
        #expect(refusal(#"{"type":"solo5.manifest","version":1}"#) == ".devices")
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a-b","type":"NET_BASIC"}]}"#)
            == ".devices[0].name")
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"","type":"NET_BASIC"}]}"#)
            == ".devices[0].name")
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a","type":"FROB"}]}"#)
            == ".devices[0].type")
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"a","type":"NET_BASIC","x":0}]}"#)
            == ".devices[0]")
        let twice = #"{"name":"a","type":"NET_BASIC"}"#
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[\#(twice),\#(twice)]}"#)
            == ".devices[1].name")
        let long = String(repeating: "n", count: 68)
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"\#(long)","type":"NET_BASIC"}]}"#)
            == ".devices[0].name")
        let many = (0..<64).map { #"{"name":"d\#($0)","type":"BLOCK_BASIC"}"# }.joined(separator: ",")
        #expect(refusal(#"{"type":"solo5.manifest","version":1,"devices":[\#(many)]}"#) == ".devices[]")
        #expect(refusal("{") == "(root)")
        #expect(refusal("[]") == "(root)")
    }
}
