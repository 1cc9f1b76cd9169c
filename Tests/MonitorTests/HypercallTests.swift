// HypercallTests.swift: the hypercall table and the handlers, run directly
// against guest memory (no KVM needed).

import CKVM
import Glibc
import Testing
@testable import Monitor

/// A temporary file of `size` bytes, removed by `remove()`.
struct TempFile {
    let path: String

    init(size: Int) {
        var template = Array("/tmp/ukvm-test-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        ftruncate(fd, off_t(size))
        close(fd)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func remove() { unlink(path) }
}

@Suite struct HypercallTableTests {
    @Test func duplicateRegistrationIsRefused() throws {
        var table = HypercallTable()
        try table.register(.puts) { _ in .resume }
        #expect(throws: MonitorError.self) { try table.register(.puts) { _ in .resume } }
        #expect(table.registered == [.puts])
    }

    @Test func portRange() throws {
        var table = HypercallTable()
        for call in Hypercall.allCases { try table.register(call) { _ in .resume } }
        #expect(table.handler(port: 0x500) == nil)
        #expect(table.handler(port: 0x501) != nil)
        #expect(table.handler(port: 0x508) != nil)
        #expect(table.handler(port: 0x509) == nil)
        #expect(table.handler(port: 0) == nil)
        #expect(table.handler(port: 0xffff) == nil)
    }

    @Test func everyModuleTogetherRegistersEachCallOnce() throws {
        let m = Monitor.makeModules()
        let memory = try testMemory()
        let context = ModuleContext(manifest: Manifest.empty)
        var table = HypercallTable()
        for module in m.all { try module.registerHypercalls(&table, memory: memory, context: context) }
        #expect(table.registered == Hypercall.allCases)
    }
}

@Suite struct HandlerTests {
    let args: UInt64 = 0x200000
    let buffer: UInt64 = 0x300000

    func setup(_ flags: [String], manifest: Manifest = .empty) throws
        -> (HypercallTable, GuestMemory, (core: CoreModule, block: BlockModule, net: NetModule,
                                          all: [MonitorModule])) {
        let m = Monitor.makeModules()
        for f in flags { _ = try m.block.handleFlag(f) }
        let memory = try testMemory()
        let context = ModuleContext(manifest: manifest)
        for module in m.all { try module.setup(context) }
        var table = HypercallTable()
        for module in m.all { try module.registerHypercalls(&table, memory: memory, context: context) }
        return (table, memory, m)
    }

    func call(_ table: HypercallTable, _ nr: Hypercall, _ gpa: UInt64) throws(MonitorError) -> HypercallOutcome {
        guard let h = table.handler(port: Hypercall.portBase + UInt16(nr.rawValue)) else {
            throw .guestFault("no handler")
        }
        return try h(gpa)
    }

    @Test func walltime() throws {
        let (table, memory, _) = try setup([])
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        #expect(try call(table, .walltime, args) == .resume)
        let ns = try memory.load(UInt64.self, gpa: args)
        let now = UInt64(ts.tv_sec) * 1_000_000_000
        #expect(ns >= now && ns < now + 10_000_000_000)
        #expect(throws: MonitorError.self) { try call(table, .walltime, memory.size - 4) }
        #expect(throws: MonitorError.self) { try call(table, .walltime, 0xffff8) }  // read-only
    }

    @Test func putsChecksItsBuffer() throws {
        let (table, memory, _) = try setup([])
        try memory.store(ukvm_hc_puts(data: memory.size - 2, len: 4), gpa: args)
        #expect(throws: MonitorError.guestAccess(gpa: memory.size - 2, size: 4)) {
            try call(table, .puts, args)
        }
        try memory.store(ukvm_hc_puts(data: UInt64.max, len: 2), gpa: args)
        #expect(throws: MonitorError.self) { try call(table, .puts, args) }
        try memory.store(ukvm_hc_puts(data: 0, len: 0), gpa: args)
        #expect(try call(table, .puts, args) == .resume)
        try memory.store(ukvm_hc_puts(data: 0xf000, len: 1), gpa: args)   // NULL guard pages
        #expect(throws: MonitorError.self) { try call(table, .puts, args) }
    }

    @Test func pollWithoutDevicesSleeps() throws {
        let (table, memory, _) = try setup([])
        try memory.store(ukvm_hc_poll(timeout_nsecs: 1_000_000, ready_set: 7, ret: 9, _pad: 0), gpa: args)
        #expect(try call(table, .poll, args) == .resume)
        let hc = try memory.load(ukvm_hc_poll.self, gpa: args)
        #expect(hc.ready_set == 0 && hc.ret == 0)
    }

    @Test func halt() throws {
        let (table, memory, _) = try setup([])
        try memory.store(ukvm_hc_halt(cookie: 0, exit_status: 42, _pad: 0), gpa: args)
        #expect(try call(table, .halt, args) == .halt(status: 42))
        try memory.store(ukvm_hc_halt(cookie: buffer, exit_status: 255, _pad: 0), gpa: args)
        #expect(try call(table, .halt, args) == .halt(status: 255))
        try memory.store(ukvm_hc_halt(cookie: memory.size - 511, exit_status: 1, _pad: 0), gpa: args)
        #expect(throws: MonitorError.self) { try call(table, .halt, args) }
    }

    @Test func netWithoutDevicesIsEINVAL() throws {
        let (table, memory, _) = try setup([])
        try memory.store(ukvm_hc_net_write(handle: 1, data: buffer, len: 60, ret: 0, _pad: 0), gpa: args)
        _ = try call(table, .netWrite, args)
        #expect(try memory.load(ukvm_hc_net_write.self, gpa: args).ret == 2)
        try memory.store(ukvm_hc_net_write(handle: 1, data: UInt64.max, len: 60, ret: 0, _pad: 0), gpa: args)
        _ = try call(table, .netWrite, args)
        #expect(try memory.load(ukvm_hc_net_write.self, gpa: args).ret == 2)
        try memory.store(ukvm_hc_net_read(handle: 0, data: buffer, len: 2048, ret: 0, _pad: 0), gpa: args)
        _ = try call(table, .netRead, args)
        #expect(try memory.load(ukvm_hc_net_read.self, gpa: args).ret == 2)
    }

    @Test func blockReadWrite() throws {
        let file = TempFile(size: 8 * 512)
        defer { file.remove() }
        let manifest = Manifest(entries: [Manifest.Entry(name: "", type: .reservedFirst),
                                          Manifest.Entry(name: "disk", type: .blockBasic)])
        let (table, memory, m) = try setup(["--block:disk=\(file.path)"], manifest: manifest)
        defer { _ = m.block.shutdown() }

        func io(_ op: Hypercall, handle: UInt64 = 1, offset: UInt64, data: UInt64? = nil,
                len: UInt64 = 512) throws -> Int32 {
            try memory.store(ukvm_hc_block_write(handle: handle, offset: offset, data: data ?? buffer,
                                                 len: len, ret: -1, _pad: 0), gpa: args)
            _ = try call(table, op, args)
            return try memory.load(ukvm_hc_block_write.self, gpa: args).ret
        }
        memset(memory.base + Int(buffer), 0x5a, 1024)
        #expect(try io(.blockWrite, offset: 7 * 512) == 0)
        #expect(try io(.blockWrite, offset: 0, len: 1024) == 0)
        memset(memory.base + Int(buffer), 0, 1024)
        #expect(try io(.blockRead, offset: 7 * 512) == 0)
        #expect(try memory.load(UInt64.self, gpa: buffer + 504) == 0x5a5a_5a5a_5a5a_5a5a)

        #expect(try io(.blockRead, offset: 8 * 512) == 2)                  // past the end
        #expect(try io(.blockRead, offset: 7 * 512, len: 1024) == 2)       // runs past the end
        #expect(try io(.blockRead, offset: 100) == 2)                      // unaligned offset
        #expect(try io(.blockRead, offset: 0, len: 100) == 2)              // partial block
        #expect(try io(.blockRead, offset: 0, len: 0) == 2)                // empty
        #expect(try io(.blockRead, handle: 0, offset: 0) == 2)             // reserved entry
        #expect(try io(.blockRead, handle: 2, offset: 0) == 2)             // no such device
        #expect(try io(.blockRead, handle: UInt64.max, offset: 0) == 2)
        #expect(try io(.blockWrite, offset: UInt64.max - 511, len: 1024) == 2)  // overflow
        // Guest buffers: inside memory, not in the low pages the guest cannot
        // use, and not in its read-only low memory for a read: EINVAL.
        #expect(try io(.blockRead, offset: 0, data: memory.size - 100) == 2)
        #expect(try io(.blockWrite, offset: 0, data: UInt64.max - 100) == 2)
        #expect(try io(.blockWrite, offset: 0, data: 0) == 2)
        #expect(try io(.blockWrite, offset: 0, data: 0xfe00) == 2)
        #expect(try io(.blockWrite, offset: 0, data: 0x10000) == 0)     // boot info: readable
        #expect(try io(.blockRead, offset: 0, data: 0x10000) == 2)      // ... but not writable
        #expect(try io(.blockRead, offset: 0, data: 0xffe00, len: 1024) == 2)
        #expect(try io(.blockRead, offset: 0, data: 0x100000) == 0)
        // The argument struct itself: a guest fault.
        #expect(throws: MonitorError.self) { _ = try call(table, .blockRead, memory.size - 20) }
        #expect(throws: MonitorError.self) { _ = try call(table, .blockRead, 0x10000) }

        var st = stat()
        stat(file.path, &st)
        #expect(st.st_size == 8 * 512)
    }
}
