// UkvmBlockTests.swift: block devices on our monitor: round trips, and
// what the guest wrote surviving a stop signal.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: block devices", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmBlockTests {
    @Test(arguments: [512, 4096])
    func roundTrip(sectorSize: Int) throws {
        let disk = TempFile(size: 256 * sectorSize)
        let r = ukvm(["--block:storage=\(disk.path)", "--block-sector-size:storage=\(sectorSize)",
                      ukvmImage("blk")])
        #expect(r.status == 0, "\(r)")
        #expect(r.output.contains("blk: 256 blocks of \(sectorSize) bytes"), "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        // What the guest wrote is in the file: block 1, byte 0 of its pattern.
        let bytes = try disk.contents()
        #expect(bytes.count == 256 * sectorSize)
        #expect(bytes[sectorSize] == UInt8(truncatingIfNeeded: 1 * 31 + 0 * 7))
        #expect(bytes[sectorSize + 3] == UInt8(truncatingIfNeeded: 1 * 31 + 3 * 7))
    }

    /// SIGTERM in the middle of a long run of writes: the monitor stops
    /// with 128 + 15, and what the guest wrote before is in the file, which
    /// keeps its size.
    @Test func sigtermMidWrite() throws {
        let size = 64 << 20  // about 130,000 writes: seconds, at an exit each
        let disk = TempFile(size: size)
        let guest = try Background([monitorPath, "--block:storage=\(disk.path)", ukvmImage("blkbench")])
        #expect(guest.waitFor("Solo5: Application acquired 'storage'"), "\(guest.output)")
        usleep(100_000)
        guest.signal(SIGTERM)
        let r = guest.wait(timeout: 60)  // syncing what was written takes a while
        #expect(r.status == 143, "\(r)")
        #expect(r.output.contains("ukvm: stopped by signal 15"), "\(r)")
        let bytes = try disk.contents()
        #expect(bytes.count == size)
        #expect(bytes.prefix(512).allSatisfy { $0 == 0xa5 }, "the first block was written")
    }
}

