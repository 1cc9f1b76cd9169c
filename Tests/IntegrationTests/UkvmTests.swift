// UkvmTests.swift: boots the test unikernels on our monitor and checks what
// they print and how they exit.

import Foundation
import Testing

let banner = """
            |      ___|
  __|  _ \\  |  _ \\ __ \\
\\__ \\ (   | | (   |  ) |
____/\\___/ _|\\___/____/
"""

let helloWorld4 = String(repeating: "hello\nworld\n", count: 4)

/// Boots `name` on ukvm, or announces why it cannot and returns nil.
func bootUkvm(_ name: String, _ args: [String] = [], flags: [String] = [],
              timeout: Double = 60, test: String = #function) -> ProcessResult? {
    if let reason = kvmUnavailable {
        announceSkip(reason, test)
        return nil
    }
    return ukvm(flags + [ukvmImage(name)] + args, timeout: timeout)
}

@Suite("ukvm: test unikernels", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmTests {
    @Test func hello() throws {
        let r = try #require(bootUkvm("hello", ["one", "two", "three"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.hasPrefix(banner), "\(r)")
        #expect(r.output.contains("Solo5: Bindings version"), "\(r)")
        #expect(r.output.contains(helloWorld4), "\(r)")
        #expect(r.output.contains("cmdline: one two three\n"), "\(r)")
        #expect(r.output.contains("Solo5: solo5_exit(0) called"), "\(r)")
    }

    /// The same kernel without the CPL3 note starts at CPL 0, as it would on
    /// upstream solo5-hvt, and sets up its own descriptor tables.
    @Test func helloAtCPL0() throws {
        let r = try #require(bootUkvm("hello-cpl0", ["cpl0"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.hasPrefix(banner), "\(r)")
        #expect(r.output.contains(helloWorld4 + "cmdline: cpl0\n"), "\(r)")
    }

    @Test func time() throws {
        let r = try #require(bootUkvm("time"))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    @Test(arguments: ["exception", "exception-cpl0"])
    func exception(image: String) throws {
        let r = try #require(bootUkvm(image))
        #expect(r.status == 255, "\(r)")
        #expect(r.output.contains("about to fault"), "\(r)")
        // The report names the vector (#UD = 6) and the faulting rip.
        let rip = try #require(symbolAddress("exception_rip", in: ukvmImage(image)))
        #expect(r.output.contains("trap: type=#UD vector=6 ec=0x0 rip=0x\(String(rip, radix: 16)) "), "\(r)")
        #expect(r.output.contains("Solo5: ABORT:"), "\(r)")
        #expect(!r.output.contains("FAILURE"), "\(r)")
    }

    @Test func abort() throws {
        let r = try #require(bootUkvm("abort"))
        #expect(r.status == 255, "\(r)")
        #expect(r.output.contains("solo5_abort() called"), "\(r)")
    }

    /// The guest's status is the monitor's exit code.
    @Test(arguments: [0, 1, 67, 125, 200])
    func status(code: Int32) throws {
        let r = try #require(bootUkvm("status", [String(code)]))
        #expect(r.status == code, "\(r)")
    }

    @Test func fpu() throws {
        let r = try #require(bootUkvm("fpu"))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    @Test(arguments: ["globals", "globals-cpl0"])
    func globals(image: String) throws {
        let r = try #require(bootUkvm(image))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    /// solo5_set_tls_base: WRFSBASE at CPL 3 (the monitor sets CR4.FSGSBASE),
    /// WRMSR at CPL 0.
    @Test(arguments: ["tls", "tls-cpl0"])
    func tls(image: String) throws {
        let r = try #require(bootUkvm(image))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    @Test func quiet() throws {
        let r = try #require(bootUkvm("quiet", ["--solo5:quiet", "x"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output == "cmdline: x\nSUCCESS\n", "\(r)")
    }

    /// Application code runs at CPL 3 on our monitor (natively, even under
    /// PVM); how fast is for scripts/bench to say, not a test.
    @Test func spinRunsInRing3() throws {
        let r = try #require(bootUkvm("spin", ["1000"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("spin: running at CPL 3\n"), "\(r)")
        #expect(r.output.contains("spin: 1000 iterations in "), "\(r)")
    }

    @Test func spinAtCPL0() throws {
        let r = try #require(bootUkvm("spin-cpl0", ["1000"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("spin: running at CPL 0\n"), "\(r)")
    }

    @Test func hcbench() throws {
        let r = try #require(bootUkvm("hcbench", ["100"]))
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("hcbench: 100 hypercalls in"), "\(r)")
    }
}

/// The value of `symbol` in an ELF image, via nm.
func symbolAddress(_ symbol: String, in image: String) -> UInt64? {
    let r = run(["/usr/bin/env", "nm", image])
    for line in r.output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 3, parts[2] == symbol { return UInt64(parts[0], radix: 16) }
    }
    return nil
}

/// Parses the decimal number printed after `prefix`.
func decimal(after prefix: String, in text: String) -> Double? {
    guard let range = text.range(of: prefix) else { return nil }
    let rest = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
    return Double(rest)
}
