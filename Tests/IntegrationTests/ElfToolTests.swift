// ElfToolTests.swift: solo5-elftool on the images we build, and, with
// SOLO5_PEER, against upstream's own solo5-elftool on ours and on every
// upstream test image: the same output and exit status.

import Foundation
import Testing
import TestSupport

var elftool: String { binPath("solo5-elftool") }

/// Every image we build.
func builtImages() -> [String] {
    let dirs = [(repoPath("build/ukvm"), ".ukvm"), (repoPath("build/virtio"), ".virtio")]
    _ = ukvmImage("hello")
    return dirs.flatMap { dir, suffix in
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(suffix) }
            .sorted().map { dir + "/" + $0 }
    }
}

/// The manifest.json an image was built from: a test unikernel's
/// (`kernel/tests/NAME/`), or an application's (`kernel/apps/APP/`, where
/// `APP-VARIANT` is built from `manifest-VARIANT.json`); nil for none.
func manifestSource(of name: String) -> String? {
    let test = repoPath("kernel/tests/\(name)/manifest.json")
    if FileManager.default.fileExists(atPath: test) { return test }
    let parts = name.split(separator: "-", maxSplits: 1).map(String.init)
    let app = repoPath("kernel/apps/\(parts[0])")
    guard FileManager.default.fileExists(atPath: app) else { return nil }
    return parts.count == 2 ? "\(app)/manifest-\(parts[1]).json" : "\(app)/manifest.json"
}

@Suite("solo5-elftool")
struct ElfToolTests {
    /// query-manifest gives back each test's manifest.json, device for device.
    @Test func manifestsRoundTrip() throws {
        let images = builtImages()
        #expect(images.count > 20)
        for path in images {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                .replacingOccurrences(of: "-cpl0", with: "")
            let r = run([elftool, "query-manifest", path])
            #expect(r.status == 0, "\(path): \(r)")
            let got = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any]
            let devices = (got?["devices"] as? [[String: String]]) ?? []
            let want: [[String: String]]
            if let data = manifestSource(of: name).flatMap({ FileManager.default.contents(atPath: $0) }) {
                let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                want = (doc?["devices"] as? [[String: String]]) ?? []
            } else {
                want = []
            }
            #expect(devices == want, "\(path)")
        }
    }

    @Test func queryABI() {
        let hvt = run([elftool, "query-abi", ukvmImage("hello")])
        #expect(hvt.status == 0 && hvt.output.contains("\"target\": \"hvt\",\n  \"version\": 2\n"), "\(hvt)")
        let virtio = run([elftool, "query-abi", virtioImage("hello")])
        #expect(virtio.status == 0 && virtio.output.contains("\"target\": \"virtio\",\n  \"version\": 1\n"))
    }

    @Test func badInput() {
        for (args, word) in [(["query-abi", "/nonexistent"], "/nonexistent"),
                             (["query-manifest", "/etc/passwd"], "invalid executable"),
                             (["frob"], "usage"), ([String](), "usage"),
                             (["gen-manifest", "/nonexistent.json", "-"], "/nonexistent.json")] {
            let r = run([elftool] + args)
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.output.isEmpty && r.errorOutput.contains(word), "\(args): \(r)")
        }
    }

    /// gen-manifest reads the JSON from stdin with "-" and writes the C form.
    @Test func genManifestC() throws {
        let json = TempFile(size: 0, name: "manifest.json")
        try Data(#"{"type":"solo5.manifest","version":1,"devices":[{"name":"storage","type":"BLOCK_BASIC"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: json.path))
        let r = run([elftool, "gen-manifest", json.path, "-"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("MFT1_NOTE_DECLARE_BEGIN\n{\n  .version = MFT_VERSION, .entries = 2,\n"), "\(r)")
    }

    /// With SOLO5_PEER: our output and exit status equal upstream's, on every
    /// image we build and every upstream test image.
    @Test(.enabled(if: peerUnavailable == nil, "needs SOLO5_PEER"))
    func sameAsUpstream() {
        let theirs = peerPath("elftool/solo5-elftool")
        for path in builtImages() + peerTestImages() {
            for query in ["query-manifest", "query-abi"] {
                let ours = run([elftool, query, path]), upstream = run([theirs, query, path])
                // One deliberate difference: upstream's query-abi reads an
                // image whose manifest note is broken (buggyelf); ours
                // refuses the image as a whole.
                if query == "query-abi" && path.hasSuffix("buggyelf.hvt") { continue }
                #expect(ours.status == upstream.status && ours.output == upstream.output,
                        "\(query) \(path):\nours \(ours)\nupstream \(upstream)")
            }
        }
    }
}
