// UkvmWXTests.swift: W^X in the guest, shown by the wx test unikernel. Our
// images (CPL 3) map their pages as their segments say: writing code or
// read-only data, or running data, heap or stack, raises a page fault the
// kernel reports before it aborts (255). The *-cpl0 images run in upstream's
// entry state, whose page tables protect nothing; there the monitor keeps
// code and read-only data read-only, as upstream's tender does, and ends a
// run that writes them (126); running data is not stopped at CPL 0, as
// upstream does not stop it either.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: W^X", .serialized, .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmWXTests {
    /// The address the guest printed after `prefix`.
    func address(after prefix: String, in output: String) -> UInt64? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let hex = line.split(separator: " ").last?.dropFirst(2) else { return nil }
        return UInt64(hex, radix: 16)
    }

    @Test(arguments: ["text", "rodata"])
    func writeIsAPageFault(mode: String) throws {
        let r = ukvm([ukvmImage("wx"), mode])
        #expect(r.status == 255, "\(r)")
        let target = try #require(address(after: "wx: writing to \(mode) at", in: r.output), "\(r)")
        let rip = try #require(symbolAddress("wx_write", in: ukvmImage("wx")))
        // Present, write, user: the page is read-only.
        #expect(r.output.contains("trap: type=#PF vector=14 ec=0x7 rip=0x\(String(rip, radix: 16)) "), "\(r)")
        #expect(r.output.contains("trap: page fault address=0x\(String(target, radix: 16))\n"), "\(r)")
        #expect(!r.output.contains("not stopped"), "\(r)")
    }

    @Test(arguments: ["data", "heap", "stack"])
    func runningDataIsAPageFault(mode: String) throws {
        let r = ukvm([ukvmImage("wx"), mode])
        #expect(r.status == 255, "\(r)")
        let target = try #require(address(after: "wx: calling \(mode) at", in: r.output), "\(r)")
        // Present, user, instruction fetch: the page is never executable.
        #expect(r.output.contains("trap: type=#PF vector=14 ec=0x15 rip=0x\(String(target, radix: 16)) "), "\(r)")
        #expect(!r.output.contains("not stopped"), "\(r)")
    }

    /// The line names the address where KVM says it: under kvm-pvm the write
    /// is an MMIO exit with the address; with hardware virtualization the
    /// write runs natively and KVM_RUN fails with EFAULT, without one. Both
    /// name the kind of fault and the rip (scripts/hwkvm runs this case on
    /// hardware-style KVM).
    @Test(arguments: ["text", "rodata"])
    func writeAtCPL0IsStoppedByTheMonitor(mode: String) throws {
        let r = ukvm([ukvmImage("wx-cpl0"), mode])
        #expect(r.status == 126, "\(r)")
        let target = try #require(address(after: "wx: writing to \(mode) at", in: r.output), "\(r)")
        let fault = "ukvm: guest fault: write to read-only memory (the image's code or read-only data)"
        let detail: String
        switch KVMKind.current {
        case .pvm: detail = " at gpa 0x\(String(target, radix: 16)) at rip=0x"
        case .hardware: detail = " (KVM_RUN: Bad address) at rip=0x"
        }
        #expect(r.errorOutput.hasPrefix(fault + detail), "on \(KVMKind.current.rawValue): \(r)")
        #expect(r.errorOutput.split(separator: "\n").count == 1, "\(r)")
        #expect(!r.output.contains("not stopped"), "\(r)")
    }

    /// At CPL 0 the guest's page tables are its own (upstream's entry state
    /// maps everything writable and executable): running data goes on, as on
    /// upstream's tender. Asserted, so that a change shows.
    @Test(arguments: ["data", "heap", "stack"])
    func runningDataAtCPL0IsNotStopped(mode: String) throws {
        let r = ukvm([ukvmImage("wx-cpl0"), mode])
        #expect(r.status == 3, "\(r)")
        #expect(r.output.contains("wx: came back from \(mode): not stopped"), "\(r)")
    }
}
