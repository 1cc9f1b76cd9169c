// Artefacts.swift: the programs and images the tests run, built by make
// before the first test uses them, so `swift test` on its own never runs a
// stale monitor or image. make is incremental: when everything is up to
// date (as after `make test`), this costs a second or two. A failed build
// stops the test run with make's output: nothing could be tested honestly.

import Foundation

private let artefactsBuilt: Void = {
    let r = run(["/usr/bin/env", "make", "-s", "-C", repoRoot.path, "all"], timeout: 1800)
    if r.status != 0 { fatalError("make all failed, nothing to test:\n\(r)") }
}()

/// Where the programs under test are: build/, or the directory that
/// UKVM_TEST_PROGRAMS names (scripts/test-asan: the same programs built with
/// AddressSanitizer), laid out as build/ is (bin/, test/).
private let programs: String = ProcessInfo.processInfo.environment["UKVM_TEST_PROGRAMS"] ?? repoPath("build")

/// build/bin/NAME, built.
public func binPath(_ name: String) -> String {
    artefactsBuilt
    return programs + "/bin/" + name
}

/// build/test/NAME: a program built for the tests only, built.
public func testProgramPath(_ name: String) -> String {
    artefactsBuilt
    return programs + "/test/" + name
}

/// Our monitor, built.
public var monitorPath: String { binPath("ukvm") }

/// build/ukvm/NAME.ukvm, built.
public func ukvmImage(_ name: String) -> String {
    artefactsBuilt
    return repoPath("build/ukvm/\(name).ukvm")
}

/// build/virtio/NAME.virtio, built.
public func virtioImage(_ name: String) -> String {
    artefactsBuilt
    return repoPath("build/virtio/\(name).virtio")
}

/// Runs our monitor with `args`.
public func ukvm(_ args: [String], timeout: Double = 60) -> ProcessResult {
    run([monitorPath] + args, timeout: timeout)
}

/// The value of `symbol` in an ELF image, via nm.
public func symbolAddress(_ symbol: String, in image: String) -> UInt64? {
    let r = run(["/usr/bin/env", "nm", image])
    for line in r.output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 3, parts[2] == symbol { return UInt64(parts[0], radix: 16) }
    }
    return nil
}
