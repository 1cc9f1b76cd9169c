// GuestTests.swift: one table of test unikernels and what each must print
// and return, run on every backend it applies to.

import Foundation
import Testing
import TestSupport

/// One guest test: an image, its command line, and what must come out.
struct GuestCase: Sendable, CustomTestStringConvertible {
    let name: String
    var args: [String] = []
    var backends: [Backend] = [.ukvm, .virtio]
    var status: Int32 = 0
    /// The status under virtio-run, when it differs (it maps statuses above
    /// 125 to 255: scripts/virtio-run).
    var virtioStatus: Int32?
    var prefix = ""
    var contains: [String] = []
    var containsOn: [Backend: [String]] = [:]
    var lacks: [String] = []
    /// The whole output, when it is known exactly.
    var exactly: String?
    /// A symbol whose address the trap report must name as rip.
    var trapSymbol: String?
    /// Nothing on stderr: neither the monitor nor virtio-run has anything
    /// to say about a guest that ends by itself.
    var quietStderr = true

    var testDescription: String { ([name] + args).joined(separator: " ") }

    func expectedStatus(on backend: Backend) -> Int32 {
        backend == .virtio ? virtioStatus ?? status : status
    }
}

/// Every backend; `upstream` runs only with SOLO5_PEER.
let allBackends: [Backend] = Backend.allCases
/// Our monitor (both entry states), QEMU, and upstream's monitor: for what
/// has no -cpl0 variant.
let notCPL0: [Backend] = [.ukvm, .virtio, .upstream]

let guestCases: [GuestCase] = [
    GuestCase(name: "hello", args: ["one", "two", "three"], backends: allBackends, prefix: banner,
              contains: ["Solo5: Bindings version", helloWorld4 + "cmdline: one two three\n",
                         "Solo5: solo5_exit(0) called"]),
    GuestCase(name: "time", backends: notCPL0, contains: ["SUCCESS"]),
    GuestCase(name: "exception", backends: allBackends, status: 255,
              contains: ["about to fault", "Solo5: ABORT:"], lacks: ["FAILURE"], trapSymbol: "exception_rip"),
    GuestCase(name: "abort", backends: notCPL0, status: 255, contains: ["solo5_abort() called"]),
    // Not on upstream's tender: there it runs at CPL 0, and kvm-pvm cannot
    // emulate SSE at CPL 0 (docs/platform.md).
    GuestCase(name: "fpu", contains: ["SUCCESS"]),
    GuestCase(name: "globals", backends: allBackends, contains: ["SUCCESS"]),
    // solo5_set_tls_base: WRFSBASE at CPL 3 (the monitor sets CR4.FSGSBASE),
    // WRMSR at CPL 0.
    GuestCase(name: "tls", backends: allBackends, contains: ["SUCCESS"]),
    GuestCase(name: "quiet", args: ["--solo5:quiet", "x"], backends: notCPL0, exactly: "cmdline: x\nSUCCESS\n"),
    // Application code runs at CPL 3 on our monitor (natively, even under
    // PVM); how fast is for scripts/bench to say, not a test.
    GuestCase(name: "spin", args: ["1000"], backends: allBackends,
              contains: ["spin: 1000 iterations in"],
              containsOn: [.ukvm: ["spin: running at CPL 3\n"], .ukvmCPL0: ["spin: running at CPL 0\n"],
                           .upstream: ["spin: running at CPL 0\n"]]),
] + [0, 1, 67, 125, 200].map { code in
    // The guest's status is the monitor's exit code.
    GuestCase(name: "status", args: [String(code)], backends: notCPL0, status: Int32(code),
              virtioStatus: code > 125 ? 255 : Int32(code))
}

@Suite("Test unikernels on every backend", .serialized)
struct GuestTests {
    @Test(arguments: guestCases.flatMap { c in c.backends.map { (c, $0) } })
    func guest(_ c: GuestCase, on backend: Backend) throws {
        // An unavailable backend (no KVM, QEMU or SOLO5_PEER) has said why.
        guard let r = backend.boot(c.name, c.args, test: "\(c.testDescription) on \(backend.rawValue)") else { return }
        #expect(r.status == c.expectedStatus(on: backend), "\(r)")
        #expect(r.output.hasPrefix(c.prefix), "\(r)")
        for text in c.contains + (c.containsOn[backend] ?? []) {
            #expect(r.output.contains(text), "missing \(text.debugDescription): \(r)")
        }
        for text in c.lacks {
            #expect(!r.output.contains(text), "unexpected \(text.debugDescription): \(r)")
        }
        if c.quietStderr {
            #expect(r.errorOutput.isEmpty, "\(r)")
        }
        if let exactly = c.exactly {
            #expect(r.output == exactly, "\(r)")
        }
        if let symbol = c.trapSymbol {
            // The report names the vector (#UD = 6) and the faulting rip.
            let rip = try #require(symbolAddress(symbol, in: backend.image(c.name)))
            #expect(r.output.contains("trap: type=#UD vector=6 ec=0x0 rip=0x\(String(rip, radix: 16)) "), "\(r)")
        }
    }
}
