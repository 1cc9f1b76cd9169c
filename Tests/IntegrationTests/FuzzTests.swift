// FuzzTests.swift: each libFuzzer target runs briefly (scripts/fuzz); the
// long runs and their figures are in docs/hardening.md.

import Foundation
import Testing
import TestSupport

/// Why the fuzz targets cannot be built here, or nil when they can: the
/// toolchain must ship libFuzzer beside its AddressSanitizer runtime.
let fuzzUnavailable: String? = {
    let r = sh("d=$(dirname \"$(readlink -f \"$(command -v swiftc)\")\")/../lib; "
        + "ls \"$d\"/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \"$d\"/swift/clang/lib/linux/libclang_rt.fuzzer-x86_64.a "
        + "2>/dev/null | head -1")
    return r.output.isEmpty ? "SKIPPED: the Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer)" : nil
}()

@Suite("fuzz targets", .serialized)
struct FuzzTests {
    @Test(arguments: ["image", "hypercalls", "httpd"])
    func briefRun(target: String) throws {
        if let reason = fuzzUnavailable { return announceSkip(reason) }
        let r = run([repoPath("scripts/fuzz"), target, "3"], timeout: 600)
        #expect(r.status == 0, "\(r)")
        let runs = r.output.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } ?? 0
        #expect(r.output.hasPrefix("fuzz \(target): ") && runs > 1000, "\(r)")
    }
}
