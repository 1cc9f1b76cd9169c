// UkvmBadInputTests.swift: bad command lines, images and disks: one line,
// exit 125, and nothing touched.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: bad input", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmBadInputTests {
    /// Each bad invocation: exit 125 and one line on stderr naming the problem.
    func expectRefused(_ args: [String], mentioning: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let r = ukvm(args)
        #expect(r.status == 125, "\(r)", sourceLocation: sourceLocation)
        let lines = r.errorOutput.split(separator: "\n")
        #expect(lines.count == 1, "\(r)", sourceLocation: sourceLocation)
        #expect(r.errorOutput.lowercased().contains(mentioning.lowercased()), "\(r)", sourceLocation: sourceLocation)
        #expect(!r.output.contains("Solo5:"), "the guest must not start: \(r)", sourceLocation: sourceLocation)
    }

    @Test func flagsAndImages() throws {
        let garbage = TempFile(size: 4096, name: "garbage")
        expectRefused(["--frobnicate", ukvmImage("hello")], mentioning: "--frobnicate")
        expectRefused(["--mem=lots", ukvmImage("hello")], mentioning: "--mem")
        expectRefused(["--mem=0", ukvmImage("hello")], mentioning: "mem")
        expectRefused(["--mem=8192", ukvmImage("hello")], mentioning: "mem")
        expectRefused(["/nonexistent/image"], mentioning: "/nonexistent/image")
        expectRefused([garbage.path], mentioning: garbage.path)
        expectRefused([virtioImage("hello")], mentioning: "ABI")
        expectRefused([], mentioning: "usage")
    }

    @Test func blockDevices() throws {
        let ok = TempFile(size: 8192)
        let odd = TempFile(size: 1000, name: "odd")
        let empty = TempFile(size: 0, name: "empty")
        let readOnly = TempFile(size: 8192, name: "ro")
        chmod(readOnly.path, 0o444)
        expectRefused([ukvmImage("blk")], mentioning: "storage")
        expectRefused(["--block:storage=/nonexistent/disk", ukvmImage("blk")], mentioning: "/nonexistent/disk")
        expectRefused(["--block:storage=\(odd.path)", ukvmImage("blk")], mentioning: "multiple")
        expectRefused(["--block:storage=\(empty.path)", ukvmImage("blk")], mentioning: "empty")
        expectRefused(["--block:storage=\(readOnly.path)", ukvmImage("blk")], mentioning: "read-only")
        expectRefused(["--block:storage=\(ok.path)", "--block-sector-size:storage=1000", ukvmImage("blk")],
                      mentioning: "sector size")
        expectRefused(["--block:storage=\(ok.path)", "--block:other=\(ok.path)", ukvmImage("blk")],
                      mentioning: "other")
        expectRefused(["--block:storage=\(ok.path)", ukvmImage("hello")], mentioning: "storage")
        expectRefused(["--net:storage=lo", ukvmImage("blk")], mentioning: "storage")
        // The disk was not touched by any refused run.
        let bytes = try ok.contents()
        #expect(bytes == Data(count: 8192))
    }
}
