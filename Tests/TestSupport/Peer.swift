// Peer.swift: an upstream Solo5 build to compare with, named by SOLO5_PEER
// (scripts/upstream-build makes one from a checkout named by SOLO5_SRC).
// CI has none: the tests that need it skip loudly.

import Foundation

/// SOLO5_PEER, when it points at an upstream build with its tender, its
/// elftool and its test images.
public let solo5Peer: String? = {
    guard let dir = ProcessInfo.processInfo.environment["SOLO5_PEER"], !dir.isEmpty else { return nil }
    return FileManager.default.isExecutableFile(atPath: dir + "/tenders/hvt/solo5-hvt") ? dir : nil
}()

/// Why the comparisons with upstream cannot run here, or nil when they can.
public let peerUnavailable: String? = {
    if solo5Peer != nil { return nil }
    if let dir = ProcessInfo.processInfo.environment["SOLO5_PEER"], !dir.isEmpty {
        return "SKIPPED: SOLO5_PEER=\(dir) has no tenders/hvt/solo5-hvt (see scripts/upstream-build)"
    }
    return "SKIPPED: SOLO5_PEER is not set; build upstream Solo5 with scripts/upstream-build to compare"
}()

/// A program of the peer build, e.g. "tenders/hvt/solo5-hvt".
public func peerPath(_ relative: String) -> String {
    (solo5Peer ?? "/nonexistent-solo5-peer") + "/" + relative
}

/// Every upstream hvt test image of the peer build, by path.
public func peerTestImages() -> [String] {
    guard let dir = solo5Peer else { return [] }
    let tests = dir + "/tests"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: tests)) ?? []
    return names.sorted().flatMap { name -> [String] in
        let files = (try? FileManager.default.contentsOfDirectory(atPath: tests + "/" + name)) ?? []
        return files.filter { $0.hasSuffix(".hvt") }.sorted().map { "\(tests)/\(name)/\($0)" }
    }
}
