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
