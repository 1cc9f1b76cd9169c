// BlkBackendsTests.swift: the blk test unikernel on every backend: on our
// monitor with multi-block requests, on our monitor through the base ABI
// (blk-cpl0: without our extensions, one hypercall per block, as on an
// upstream monitor), through virtio-blk under QEMU, and, with SOLO5_PEER,
// our image on upstream's solo5-hvt (which does not offer multi-block
// requests). Each must leave the same bytes on the same disk.

import Foundation
import Testing
import TestSupport

@Suite("blk on every backend", .serialized)
struct BlkBackendsTests {
    @Test func sameDiskOnEveryBackend() throws {
        let size = BlkDisk.size(blockSize: 512)
        var disks: [(Backend, Data)] = []
        for backend in Backend.allCases {
            let disk = TempFile(size: size)
            let flags = backend == .virtio ? ["-d", disk.path] : ["--block:storage=\(disk.path)"]
            guard let r = backend.boot("blk", ["--solo5:debug"], flags: flags, timeout: 120) else { continue }
            #expect(r.status == 0, "\(backend): \(r)")
            #expect(r.output.contains("SUCCESS"), "\(backend): \(r)")
            // Only our kernel on our monitor sends many blocks per hypercall.
            let multi = r.output.contains("Solo5: block: multi-block requests\n")
            #expect(multi == (backend == .ukvm), "\(backend): \(r)")
            let bytes = try disk.contents()
            #expect(BlkDisk.firstBadBlock(bytes, blockSize: 512) == nil, "\(backend)")
            disks.append((backend, bytes))
        }
        for (backend, bytes) in disks.dropFirst() {
            #expect(bytes == disks[0].1, "\(backend)'s disk differs from \(disks[0].0)'s")
        }
    }
}
