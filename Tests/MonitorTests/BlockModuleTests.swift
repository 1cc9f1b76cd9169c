// BlockModuleTests.swift: BLOCK_READ and BLOCK_WRITE against a temporary
// file, and the checks on every guest-supplied value.

import CKVM
import Glibc
import Testing
import TestSupport
@testable import Monitor

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
}
