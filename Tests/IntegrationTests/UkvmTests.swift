// UkvmTests.swift: what only our monitor runs: the hvt ABI driven directly
// (hcbench, badcalls), and the original command-line form.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: ABI-level guests", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmTests {
    @Test func hcbench() throws {
        let r = ukvm([ukvmImage("hcbench"), "100"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("hcbench: 100 hypercalls in"), "\(r)")
    }

    /// The seed's form: `ukvm KERNEL DISK TAP`, /dev/null an empty disk, for
    /// an image that has neither device: both are announced, not attached.
    @Test func seedFormEmptyDisk() throws {
        let r = ukvm([ukvmImage("hello"), "/dev/null", "lo", "after"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("Providing disk: 0 sectors @ 512 = 0 bytes"), "\(r)")
        #expect(r.output.contains(helloWorld4 + "cmdline: after\n"), "\(r)")
        #expect(r.errorOutput.contains("DISK '/dev/null' is not attached"), "\(r)")
    }

    /// The seed's form with an image that has a block device: DISK is its
    /// disk, as if given with --block.
    @Test func seedFormAttachesTheDisk() throws {
        let disk = TempFile(size: 256 * 512)
        let r = ukvm([ukvmImage("blk"), disk.path, "lo"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("Providing disk: 256 sectors @ 512 = 131072 bytes"), "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    /// A guest that bypasses its kernel's checks gets EINVAL; the monitor
    /// survives and the disk still works.
    @Test func hostileArgumentsGetEINVAL() throws {
        let disk = TempFile(size: 64 * 512)
        let r = ukvm(["--block:storage=\(disk.path)", ukvmImage("badcalls"), "einval"])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
    }

    /// Hypercalls whose own arguments are outside guest memory, or ports
    /// that are no hypercall: the monitor ends the run with one line and 126.
    @Test(arguments: ["puts", "wrap", "struct", "port"])
    func guestFaults(mode: String) throws {
        let disk = TempFile(size: 64 * 512)
        let r = ukvm(["--block:storage=\(disk.path)", ukvmImage("badcalls"), mode])
        #expect(r.status == 126, "\(r)")
        #expect(r.output.contains("badcalls: now misbehaving"), "\(r)")
        #expect(!r.output.contains("FAILURE"), "\(r)")
        #expect(r.errorOutput.contains("ukvm: guest fault:") && r.errorOutput.contains("rip=0x"), "\(r)")
        #expect(r.errorOutput.split(separator: "\n").count == 1, "\(r)")
    }
}
