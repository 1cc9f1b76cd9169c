// CNI.swift: the CNI plugins that podman's and the CRI plugin's networks
// use (Debian's containernetworking-plugins), checked in one place.

import Foundation

/// Why a test that needs CNI's bridge plugin cannot run here, or nil.
public let cniUnavailable: String? = {
    FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge") ? nil
        : "SKIPPED: CNI's bridge plugin is missing (scripts/setup installs containernetworking-plugins)"
}()
