// OCIImageWriterTests.swift: the SHA-256 and the tar writer behind
// `ukvm-oci image`, checked against published vectors and GNU tar.

import Foundation
@testable import OCI
@testable import Support
import TestSupport
import Testing

@Suite struct OCIImageWriterTests {
    @Test func sha256Vectors() {
        #expect(SHA256.digest([UInt8]()) == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.digest(Array("abc".utf8))
            == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Fed in uneven pieces, the same digest as at once.
    @Test func sha256Streaming() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var s = SHA256()
        var at = 0
        for n in [1, 63, 64, 65, 127, 1000, 3, 8677] {
            s.update(bytes[at..<at + n])
            at += n
        }
        #expect("sha256:" + SHA256.hex(s.finish()) == SHA256.digest(bytes))
    }

    @Test func ustarHeader() throws {
        let h = try TarWriter.header(name: "a/b.txt", size: 5, mode: 0o644, type: UInt8(ascii: "0"), mtime: 0)
        #expect(h.count == 512)
        #expect(Array(h[0..<7]) == Array("a/b.txt".utf8))
        #expect(String(decoding: h[124..<135], as: UTF8.self) == "00000000005")
        #expect(String(decoding: h[257..<262], as: UTF8.self) == "ustar")
        // The checksum: the sum of the header with its own field as spaces.
        var blank = h
        for i in 148..<156 { blank[i] = UInt8(ascii: " ") }
        let sum = blank.reduce(0) { $0 + Int($1) }
        #expect(Int(String(decoding: h[148..<154], as: UTF8.self), radix: 8) == sum)
    }

    @Test func longNamesAndSizes() throws {
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90)
        let (prefix, name) = try TarWriter.split(long)
        #expect(prefix.count == 120 && name.count == 90)
        #expect(throws: OCIError.self) { try TarWriter.split(String(repeating: "x", count: 101)) }
        #expect(throws: OCIError.self) { try TarWriter.split("") }
        let big = try TarWriter.header(name: "disk", size: 1 << 40, mode: 0o644, type: UInt8(ascii: "0"), mtime: 0)
        #expect(big[124] == 0x80)
    }

    /// GNU tar reads what the writer wrote, contents included.
    @Test func gnuTarReadsIt() throws {
        let dir = try makeTempDirectory("ukvmtest-tar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var tar = TarWriter(fd: fd, what: path)
        try tar.directory("solo5")
        try tar.file("solo5/hello.txt", Array("hello\n".utf8))
        let long = String(repeating: "p", count: 110) + "/x.bin"
        try tar.file(long, [UInt8](repeating: 7, count: 1000))
        try tar.finish()
        close(fd)
        var hasher = tar.hasher
        let r = sh("cd \(dir) && tar -xvf t.tar && cat solo5/hello.txt && sha256sum t.tar")
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("hello\n"), "\(r)")
        #expect(r.output.contains(SHA256.hex(hasher.finish())), "\(r)")
        #expect((try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + long)))?.count == 1000)
    }
}
