// UpstreamBatsTests.swift: upstream Solo5's own test suite (tests/tests.bats
// of the SOLO5_PEER build) against our solo5-hvt and solo5-elftool, and the
// same suite with upstream's programs in the same run, through
// scripts/upstream-bats (its taps live in a network namespace of its own):
// every test upstream's tender passes here passes on ours.

import Foundation
import Testing
import TestSupport

@Suite("upstream's tests.bats on our tender", .serialized)
struct UpstreamBatsTests {
    @Test func sameVerdictsAsUpstreamsTender() throws {
        if let reason = peerUnavailable ?? kvmUnavailable ?? networkUnavailable { return announceSkip(reason) }
        _ = monitorPath  // builds the monitor and the images (make all) if stale
        // Two runs of the suite; the network tests alone take a minute each.
        // The script bounds each run of the suite (BATS_LIMIT, 900 s) and
        // cleans its namespace up; this is a backstop beyond that.
        let r = run([repoPath("scripts/upstream-bats")], timeout: 2400)
        if r.status == 3 { return announceSkip("SKIPPED: \(r.errorOutput)") }
        print(r.output)
        let lines = r.output.split(separator: "\n")
        #expect(r.status == 0, "\(lines.filter { $0.hasPrefix("differs: ") }.joined(separator: "\n"))\n\(r)")
        #expect(lines.contains { $0.hasPrefix("differences: ") && $0.hasSuffix("(0 among the tests upstream's tender passes)") },
                "\(r)")
    }
}
