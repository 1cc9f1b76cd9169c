// UkvmBlockTests.swift: block devices on our monitor: round trips, and
// what the guest wrote surviving a stop signal.

import Foundation
import Testing
import TestSupport

@Suite("ukvm: block devices", .enabled(if: kvmUnavailable == nil, "needs /dev/kvm"))
struct UkvmBlockTests {
    /// blk's single- and multi-block round trips (kernel/tests/blk/blk.c)
    /// at every sector size class; afterwards every block of the file holds
    /// what blk wrote there last.
    @Test(arguments: [512, 4096, 32768])
    func roundTrip(sectorSize: Int) throws {
        let disk = TempFile(size: BlkDisk.size(blockSize: sectorSize))
        let r = ukvm(["--block:storage=\(disk.path)", "--block-sector-size:storage=\(sectorSize)",
                      ukvmImage("blk"), "--solo5:debug"])
        #expect(r.status == 0, "\(r)")
        let blocks = BlkDisk.size(blockSize: sectorSize) / sectorSize
        #expect(r.output.contains("blk: \(blocks) blocks of \(sectorSize) bytes"), "\(r)")
        // Our monitor offers multi-block requests and our kernel uses them.
        #expect(r.output.contains("Solo5: block: multi-block requests\n"), "\(r)")
        #expect(r.output.contains("blk: \(min(256, (1 << 20) / sectorSize))-block requests ok"), "\(r)")
        #expect(r.output.contains("SUCCESS"), "\(r)")
        let bytes = try disk.contents()
        #expect(bytes.count == BlkDisk.size(blockSize: sectorSize))
        #expect(BlkDisk.firstBadBlock(bytes, blockSize: sectorSize) == nil)
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

