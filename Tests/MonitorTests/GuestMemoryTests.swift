// GuestMemoryTests.swift: every guest range is checked, overflow included.

import Testing
@testable import Monitor

@Suite struct GuestMemoryTests {
    @Test func inBounds() throws {
        let m = try testMemory(2)
        #expect(m.contains(gpa: 0, count: m.size))
        #expect(m.contains(gpa: m.size, count: 0))
        #expect(m.contains(gpa: m.size - 8, count: 8))
        _ = try m.pointer(gpa: m.size - 1, count: 1)
        try m.store(UInt64(0x1122_3344_5566_7788), gpa: 3)       // unaligned is fine
        #expect(try m.load(UInt64.self, gpa: 3) == 0x1122_3344_5566_7788)
    }

    @Test func outOfBounds() throws {
        let m = try testMemory(2)
        #expect(!m.contains(gpa: m.size - 7, count: 8))
        #expect(!m.contains(gpa: m.size, count: 1))
        #expect(throws: MonitorError.guestAccess(gpa: m.size, size: 1)) {
            try m.pointer(gpa: m.size, count: 1)
        }
        #expect(throws: MonitorError.self) { try m.load(UInt32.self, gpa: m.size - 2) }
        #expect(throws: MonitorError.self) { try m.store(UInt32(1), gpa: m.size - 3) }
    }

    @Test func guestAccessFloors() throws {
        let m = try testMemory(2)
        #expect(m.contains(gpa: 0, count: 8, .monitor))
        #expect(!m.contains(gpa: 0, count: 8, .guestReadable))
        #expect(!m.contains(gpa: 0xfff8, count: 8, .guestReadable))
        #expect(m.contains(gpa: 0x10000, count: 8, .guestReadable))
        #expect(!m.contains(gpa: 0x10000, count: 8, .guestWritable))
        #expect(!m.contains(gpa: 0xffff8, count: 8, .guestWritable))
        #expect(m.contains(gpa: 0x100000, count: 8, .guestWritable))
        #expect(m.contains(gpa: 0, count: 0, .guestWritable))           // empty: touches nothing
        #expect(!m.contains(gpa: m.size + 1, count: 0, .guestWritable))
        #expect(throws: MonitorError.guestAccess(gpa: 0x1000, size: 8)) {
            try m.load(UInt64.self, gpa: 0x1000, .guestReadable)
        }
        #expect(throws: MonitorError.self) { try m.store(UInt64(1), gpa: 0x10000, .guestWritable) }
        try m.store(UInt64(1), gpa: 0x10000)                           // the monitor may
    }

    @Test func overflowIsCaught() throws {
        let m = try testMemory(2)
        #expect(!m.contains(gpa: UInt64.max, count: 1))
        #expect(!m.contains(gpa: UInt64.max - 7, count: 16))
        #expect(!m.contains(gpa: 16, count: UInt64.max))
        #expect(!m.contains(gpa: UInt64.max, count: UInt64.max))
        #expect(throws: MonitorError.guestAccess(gpa: UInt64.max - 7, size: 16)) {
            try m.buffer(gpa: UInt64.max - 7, count: 16)
        }
        #expect(throws: MonitorError.self) { try m.load(UInt64.self, gpa: UInt64.max - 3) }
        #expect(throws: MonitorError.self) { try m.load(UInt64.self, gpa: UInt64.max - 3, .guestWritable) }
        let fault = MonitorError.guestAccess(gpa: UInt64.max, size: 8)
        #expect(fault.failureClass == .guestFault)
        #expect(fault.description == "hypercall argument outside the guest's memory: gpa 0xffffffffffffffff, 8 bytes")
    }
}
