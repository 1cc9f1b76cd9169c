// BlockModuleTests.swift: BLOCK_READ and BLOCK_WRITE against a temporary
// file, and the checks on every guest-supplied value.

import CKVM
import Glibc
@testable import Image
@testable import Monitor
import TestSupport
import Testing

@Suite struct BlockModuleTests {
    let args: UInt64 = 0x200000
    let buffer: UInt64 = 0x300000

    @Test func blockReadWrite() throws {
        let file = TempFile(size: 8 * 512)
        let h = try Harness(flags: ["--block:disk=\(file.path)"], manifest: .declaring([("disk", .blockBasic)]))
        let memory = h.memory

        func io(_ op: ukvm_hypercall, handle: UInt64 = 1, offset: UInt64, data: UInt64? = nil,
                len: UInt64 = 512) throws -> Int32 {
            try memory.store(ukvm_hc_block_write(handle: handle, offset: offset, data: data ?? buffer,
                                                 len: len, ret: -1, _pad: 0), gpa: args)
            try h.call(op, args)
            return try memory.load(ukvm_hc_block_write.self, gpa: args).ret
        }
        memset(memory.base + Int(buffer), 0x5a, 1024)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 7 * 512) == 0)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, len: 1024) == 0)
        memset(memory.base + Int(buffer), 0, 1024)
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 7 * 512) == 0)
        #expect(try memory.load(UInt64.self, gpa: buffer + 504) == 0x5a5a_5a5a_5a5a_5a5a)

        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 8 * 512) == 2)                  // past the end
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 7 * 512, len: 1024) == 2)       // runs past the end
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 100) == 2)                      // unaligned offset
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, len: 100) == 2)              // partial block
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, len: 0) == 2)                // empty
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, handle: 0, offset: 0) == 2)             // reserved entry
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, handle: 2, offset: 0) == 2)             // no such device
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, handle: UInt64.max, offset: 0) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: UInt64.max - 511, len: 1024) == 2)  // overflow
        // Guest buffers: inside memory, not in the low pages the guest cannot
        // use, and not in its read-only low memory for a read: EINVAL.
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, data: memory.size - 100) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, data: UInt64.max - 100) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, data: 0) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, data: 0xfe00) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, data: 0x10000) == 0)     // boot info: readable
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, data: 0x10000) == 2)      // ... but not writable
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, data: 0xffe00, len: 1024) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, data: 0x100000) == 0)
        // The argument struct itself: a guest fault.
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_BLOCK_READ, memory.size - 20) }
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_BLOCK_READ, 0x10000) }

        var st = stat()
        stat(file.path, &st)
        #expect(st.st_size == 8 * 512)
    }

    /// The monitor offers multi-block requests when a block device is
    /// attached, unless --x-no-block-multi says not to.
    @Test func advertisesMultiBlock() throws {
        let file = TempFile(size: 8 * 512)
        func features(_ flags: [String], _ manifest: Manifest) throws -> UInt32 {
            let h = try Harness(flags: flags, manifest: manifest)
            var info = ukvm_boot_info()
            for m in h.launch.modules { m.describe(&info) }
            // The core module offers the boot info's entropy to every guest.
            return info.host_features & ~UInt32(UKVM_HOST_FEATURE_ENTROPY)
        }
        let disk = Manifest.declaring([("disk", .blockBasic)])
        #expect(try features(["--block:disk=\(file.path)"], disk) == UInt32(UKVM_HOST_FEATURE_BLOCK_MULTI))
        #expect(try features(["--x-no-block-multi", "--block:disk=\(file.path)"], disk) == 0)
        #expect(try features([], .empty) == 0)
        #expect(BlockModule.maxRequest == 1 << 20)
    }

    /// Requests of many sectors, up to UKVM_BLOCK_MAX_REQUEST, in one call
    /// each; the file holds what was written, where it was written.
    @Test func multiBlockRequests() throws {
        let max = BlockModule.maxRequest
        let file = TempFile(size: Int(2 * max + 4096))
        let h = try Harness(flags: ["--block:disk=\(file.path)", "--block-sector-size:disk=4096"],
                            manifest: .declaring([("disk", .blockBasic)]))
        let memory = h.memory
        func io(_ op: ukvm_hypercall, offset: UInt64, len: UInt64, data: UInt64? = nil) throws -> Int32 {
            try memory.store(ukvm_hc_block_read(handle: 1, offset: offset, data: data ?? buffer, len: len,
                                                ret: -1, _pad: 0), gpa: args)
            try h.call(op, args)
            return try memory.load(ukvm_hc_block_read.self, gpa: args).ret
        }
        let data = try memory.buffer(gpa: buffer, count: max + 4096)
        for i in 0..<data.count { data[i] = UInt8(truncatingIfNeeded: i / 4096 &* 7 &+ i) }
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 4096, len: max) == 0)         // the largest
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: max + 4096, len: 3 * 4096) == 0)
        #expect(try io(UKVM_HYPERCALL_BLOCK_WRITE, offset: 0, len: max + 4096) == 2)     // one sector too many
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, len: 4096 + 512) == 2)      // not whole sectors
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: max, len: max + 4096) == 2)
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: max + 8192, len: max) == 2)    // overlaps the end
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 0, len: max,
                       data: memory.size - max + 4096) == 2)                              // runs out of memory
        // The file: sector 0 untouched, then the large write, then the small one.
        let bytes = try file.contents()
        #expect(bytes.prefix(4096).allSatisfy { $0 == 0 })
        #expect(bytes[4096..<(4096 + Int(max))].elementsEqual(data.prefix(Int(max))))
        #expect(bytes[(Int(max) + 4096)...].prefix(3 * 4096).elementsEqual(data.prefix(3 * 4096)))
        // Read back in one call.
        let back: UInt64 = 0x600000
        #expect(try io(UKVM_HYPERCALL_BLOCK_READ, offset: 4096, len: max, data: back) == 0)
        #expect(try memory.buffer(gpa: back, count: max).elementsEqual(data.prefix(Int(max))))
    }

    /// A hostile guest: random BLOCK_READ and BLOCK_WRITE requests, many of
    /// them large and many malformed. Each gets exactly the result the ABI
    /// gives it (OK or EINVAL, never a trap), and the file always equals a
    /// model of what the accepted writes wrote. Seeded, so a failure repeats.
    @Test func randomRequestsMatchTheModel() throws {
        let sector: UInt64 = 512, capacity: UInt64 = 3 << 20
        let file = TempFile(size: Int(capacity))
        let h = try Harness(flags: ["--block:disk=\(file.path)"], manifest: .declaring([("disk", .blockBasic)]))
        let memory = h.memory
        var model = [UInt8](repeating: 0, count: Int(capacity))
        var rng = SplitMix(seed: 0xb10c_0ff5)
        var accepted = (reads: 0, writes: 0, large: 0)
        let args: UInt64 = 0x400000     // above every buffer a valid request uses
        for round in 0..<3000 {
            let write = rng.next() % 2 == 0
            let r = rng.next()
            let handle: UInt64 = r % 8 == 0 ? r >> 61 : 1
            let len: UInt64
            switch rng.next() % 5 {
            case 0: len = (rng.next() % 2049) * sector                    // up to 2 * max
            case 1: len = rng.next() % (BlockModule.maxRequest + 2)       // any size
            case 2: len = rng.next()                                      // anything
            default: len = (1 + rng.next() % 16) * sector                 // small
            }
            let offset: UInt64
            switch rng.next() % 4 {
            case 0: offset = rng.next()
            case 1: offset = rng.next() % (capacity + 4096)
            default: offset = (rng.next() % (capacity / sector)) * sector
            }
            let data: UInt64 = rng.next() % 4 == 0 ? rng.next() % (memory.size + 4096)
                : 0x100000 + (rng.next() % 64) * 4096
            let memoryOK = data.addingReportingOverflow(len).overflow == false
                && data + len <= memory.size && data >= (write ? 0x10000 : 0x100000)
            let (end, overflow) = offset.addingReportingOverflow(len)
            let valid = handle == 1 && len > 0 && len <= BlockModule.maxRequest && len % sector == 0
                && offset % sector == 0 && !overflow && end <= capacity && memoryOK
            if valid && write, let p = try? memory.buffer(gpa: data, count: len) {
                for i in stride(from: 0, to: Int(len), by: 509) { p[i] = UInt8(truncatingIfNeeded: round &+ i) }
            }
            try memory.store(ukvm_hc_block_read(handle: handle, offset: offset, data: data, len: len,
                                                ret: -1, _pad: 0), gpa: args)
            // What a valid write sends: the buffer as it is now, which may
            // include the argument struct (its result is stored after).
            var sent = [UInt8](repeating: 0, count: valid && write ? Int(len) : 0)
            if valid && write { _ = sent.withUnsafeMutableBytes { memcpy($0.baseAddress!, memory.base + Int(data), Int(len)) } }
            try h.call(write ? UKVM_HYPERCALL_BLOCK_WRITE : UKVM_HYPERCALL_BLOCK_READ, args)
            let ret = try memory.load(ukvm_hc_block_read.self, gpa: args).ret
            #expect(ret == (valid ? 0 : 2), "round \(round): \(write ? "write" : "read") \(len) at \(offset)")
            guard valid, ret == 0 else { continue }
            if write { accepted.writes += 1 } else { accepted.reads += 1 }
            if len > 64 * sector { accepted.large += 1 }
            let guest = try memory.pointer(gpa: data, count: len)
            let coversArgs = data < args + 40 && args < data + len
            model.withUnsafeMutableBytes { m in
                let at = m.baseAddress! + Int(offset)
                if write {
                    _ = sent.withUnsafeBytes { memcpy(at, $0.baseAddress!, Int(len)) }
                } else if !coversArgs {
                    #expect(memcmp(guest, at, Int(len)) == 0, "round \(round): read \(len) at \(offset) differs")
                }
            }
        }
        // The rounds reach the I/O paths, with large requests among them.
        #expect(accepted.reads > 200 && accepted.writes > 200 && accepted.large > 100, "\(accepted)")
        let contents = try file.contents()
        #expect(contents.count == model.count && contents.withUnsafeBytes { f in
            model.withUnsafeBytes { memcmp(f.baseAddress!, $0.baseAddress!, model.count) == 0 }
        }, "the file differs from the model")
    }
}
