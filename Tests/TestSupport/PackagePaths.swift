// PackagePaths.swift: fixed paths outside the test's own directory that an
// engine creates by itself (podman's blob cache under /var/lib/containers,
// dockerd's /run/docker), whatever its flags. Those that did not exist when
// the test started the engine are removed when it goes, so a run leaves
// nothing created behind; those that existed belong to the machine.

import Foundation

public struct PackagePaths {
    private let absent: [String]

    /// Notes which of `paths` (outermost first) do not exist yet.
    public init(_ paths: [String]) {
        absent = paths.filter { !FileManager.default.fileExists(atPath: $0) }
    }

    /// Removes what was absent, innermost first.
    public func removeCreated() {
        for path in absent.reversed() { try? FileManager.default.removeItem(atPath: path) }
    }
}
