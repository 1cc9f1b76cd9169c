// HypercallTableTests.swift: the table from hypercall number to handler,
// and every module's registrations together.

import CKVM
import Testing
@testable import Monitor

@Suite struct HypercallTableTests {
    @Test func duplicateRegistrationIsRefused() throws {
        var table = HypercallTable()
        try table.register(UKVM_HYPERCALL_PUTS) { _ in .resume }
        #expect(throws: MonitorError.self) { try table.register(UKVM_HYPERCALL_PUTS) { _ in .resume } }
        #expect(table.registered == [UKVM_HYPERCALL_PUTS])
        #expect(throws: MonitorError.self) { try table.register(UKVM_HYPERCALL_MAX) { _ in .resume } }
    }

    /// A handler registered with its argument struct sees it loaded and has
    /// what it changed stored back; a struct outside guest memory is the
    /// guest's fault before the handler runs.
    @Test func argumentStructLoadedAndStored() throws {
        let memory = try GuestMemory(size: 4 << 20)
        var table = HypercallTable()
        var seen: UInt64 = 0
        try table.register(UKVM_HYPERCALL_POLL, updating: ukvm_hc_poll.self, in: memory) { hc in
            seen = hc.timeout_nsecs
            hc.ret = HypercallStatus.again
        }
        var hc = ukvm_hc_poll()
        hc.timeout_nsecs = 42
        try memory.store(hc, gpa: 0x200000, .guestWritable)
        let handler = try #require(table.handler(port: HypercallTable.portBase + UInt16(UKVM_HYPERCALL_POLL.rawValue)))
        #expect(try handler(0x200000) == .resume)
        #expect(seen == 42)
        #expect(try memory.load(ukvm_hc_poll.self, gpa: 0x200000, .guestWritable).ret == HypercallStatus.again)
        seen = 0
        #expect(throws: MonitorError.self) { try handler(UInt64(8 << 20)) }
        #expect(seen == 0)
    }

    @Test func portRange() throws {
        var table = HypercallTable()
        for nr in 1..<HypercallTable.limit { try table.register(ukvm_hypercall(UInt32(nr))) { _ in .resume } }
        #expect(table.handler(port: 0x500) == nil)
        #expect(table.handler(port: 0x501) != nil)
        #expect(table.handler(port: 0x510) != nil)
        #expect(table.handler(port: 0x511) != nil)
        #expect(table.handler(port: 0x512) == nil)
        #expect(table.handler(port: 0) == nil)
        #expect(table.handler(port: 0xffff) == nil)
    }

    /// Every hypercall of the ABI and of our extension has exactly one
    /// handler once all modules are set up, and nothing else has one.
    @Test func everyModuleTogetherRegistersEachCallOnce() throws {
        let h = try Harness()
        #expect(h.table.registered == [UKVM_HYPERCALL_WALLTIME, UKVM_HYPERCALL_PUTS, UKVM_HYPERCALL_POLL,
                                       UKVM_HYPERCALL_BLOCK_WRITE, UKVM_HYPERCALL_BLOCK_READ,
                                       UKVM_HYPERCALL_NET_WRITE, UKVM_HYPERCALL_NET_READ,
                                       UKVM_HYPERCALL_HALT, UKVM_HYPERCALL_NETIO, UKVM_HYPERCALL_SET_FS_BASE])
    }
}
