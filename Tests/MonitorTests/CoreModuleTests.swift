// CoreModuleTests.swift: WALLTIME, PUTS, POLL and HALT, called directly
// against guest memory.

import CKVM
import Glibc
import Testing
@testable import Monitor

@Suite struct CoreModuleTests {
    let args: UInt64 = 0x200000
    let buffer: UInt64 = 0x300000

    @Test func walltime() throws {
        let h = try Harness()
        let memory = h.memory
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        #expect(try h.call(UKVM_HYPERCALL_WALLTIME, args) == .resume)
        let ns = try memory.load(UInt64.self, gpa: args)
        let now = UInt64(ts.tv_sec) * 1_000_000_000
        #expect(ns >= now && ns < now + 10_000_000_000)
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_WALLTIME, memory.size - 4) }
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_WALLTIME, 0xffff8) }  // read-only
    }

    /// The boot info's entropy (ukvm_ext.h): offered with its bit, fresh
    /// for every boot; the console buffer's bit only with a buffer.
    @Test func entropyForEveryBoot() {
        let core = CoreModule()
        var first = ukvm_boot_info(), second = ukvm_boot_info()
        core.describe(&first)
        core.describe(&second)
        let bit = UInt32(UKVM_HOST_FEATURE_ENTROPY)
        #expect(first.host_features & bit != 0 && second.host_features & bit != 0)
        #expect(first.entropy != second.entropy, "8 random bytes twice the same")
        #expect(first.host_features & UInt32(UKVM_HOST_FEATURE_CONSOLE_BUFFER) == 0)
    }

    @Test func putsChecksItsBuffer() throws {
        let h = try Harness()
        let memory = h.memory
        try memory.store(ukvm_hc_puts(data: memory.size - 2, len: 4), gpa: args)
        #expect(throws: MonitorError.guestAccess(gpa: memory.size - 2, size: 4)) {
            try h.call(UKVM_HYPERCALL_PUTS, args)
        }
        try memory.store(ukvm_hc_puts(data: UInt64.max, len: 2), gpa: args)
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_PUTS, args) }
        try memory.store(ukvm_hc_puts(data: 0, len: 0), gpa: args)
        #expect(try h.call(UKVM_HYPERCALL_PUTS, args) == .resume)
        try memory.store(ukvm_hc_puts(data: 0xf000, len: 1), gpa: args)   // NULL guard pages
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_PUTS, args) }
    }

    @Test func pollWithoutDevicesSleeps() throws {
        let h = try Harness()
        let memory = h.memory
        try memory.store(ukvm_hc_poll(timeout_nsecs: 1_000_000, ready_set: 7, ret: 9, _pad: 0), gpa: args)
        #expect(try h.call(UKVM_HYPERCALL_POLL, args) == .resume)
        let hc = try memory.load(ukvm_hc_poll.self, gpa: args)
        #expect(hc.ready_set == 0 && hc.ret == 0)
    }

    @Test func halt() throws {
        let h = try Harness()
        let memory = h.memory
        try memory.store(ukvm_hc_halt(cookie: 0, exit_status: 42, _pad: 0), gpa: args)
        #expect(try h.call(UKVM_HYPERCALL_HALT, args) == .halt(status: 42, cookie: 0))
        try memory.store(ukvm_hc_halt(cookie: buffer, exit_status: 255, _pad: 0), gpa: args)
        #expect(try h.call(UKVM_HYPERCALL_HALT, args) == .halt(status: 255, cookie: buffer))
        try memory.store(ukvm_hc_halt(cookie: memory.size - 511, exit_status: 1, _pad: 0), gpa: args)
        #expect(throws: MonitorError.self) { try h.call(UKVM_HYPERCALL_HALT, args) }
    }
}
