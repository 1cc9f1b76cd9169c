// Backends.swift: the ways a test unikernel boots: on ukvm (our images
// start at CPL 3), on ukvm without our extensions (the *-cpl0 variants,
// upstream's entry state at CPL 0), under QEMU (virtio, via
// scripts/virtio-run), and, with SOLO5_PEER, our images on upstream's own
// solo5-hvt (which ignores our CPL3 note and starts them at CPL 0).

import Foundation
import Testing
import TestSupport

enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ukvm
    case ukvmCPL0 = "ukvm-cpl0"
    case virtio
    case upstream = "upstream-solo5-hvt"

    var testDescription: String { rawValue }

    /// Why this backend cannot run here, or nil.
    var unavailable: String? {
        switch self {
        case .ukvm, .ukvmCPL0: return kvmUnavailable
        case .virtio: return qemuUnavailable
        case .upstream: return peerUnavailable ?? kvmUnavailable
        }
    }

    /// The image of test `name` for this backend.
    func image(_ name: String) -> String {
        switch self {
        case .ukvm, .upstream: return ukvmImage(name)
        case .ukvmCPL0: return ukvmImage(name + "-cpl0")
        case .virtio: return virtioImage(name)
        }
    }

    /// Boots test `name` with `args` (and monitor or virtio-run `flags`), or
    /// announces why it cannot and returns nil.
    func boot(_ name: String, _ args: [String] = [], flags: [String] = [], timeout: Int = 60,
              test: String = #function) -> ProcessResult? {
        if let reason = unavailable {
            announceSkip(reason, test)
            return nil
        }
        switch self {
        case .ukvm, .ukvmCPL0:
            return TestSupport.ukvm(flags + [image(name)] + args, timeout: Double(timeout))
        case .virtio:
            // virtio-run kills QEMU itself (status 124); run()'s timeout is a backstop.
            return run([virtioRun, "-t", String(timeout)] + flags + [image(name)] + args,
                       timeout: Double(timeout + 15))
        case .upstream:
            return run([peerPath("tenders/hvt/solo5-hvt")] + flags + [image(name)] + args, timeout: Double(timeout))
        }
    }
}

let virtioRun = repoPath("scripts/virtio-run")

let banner = """
            |      ___|
  __|  _ \\  |  _ \\ __ \\
\\__ \\ (   | | (   |  ) |
____/\\___/ _|\\___/____/
"""

let helloWorld4 = String(repeating: "hello\nworld\n", count: 4)
