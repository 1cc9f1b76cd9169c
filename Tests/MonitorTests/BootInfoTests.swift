// BootInfoTests.swift: boot info layout, command line and manifest copy.

import CKVM
@testable import Image
@testable import Monitor
import Testing

@Suite struct BootInfoTests {
    func manifest() -> Manifest {
        var m = Manifest(entries: [Manifest.Entry(name: "", type: .reservedFirst),
                                   Manifest.Entry(name: "disk", type: .blockBasic),
                                   Manifest.Entry(name: "net0", type: .netBasic)])
        m.entries[1].attached = true
        m.entries[1].capacity = 1 << 20
        m.entries[1].blockSize = 4096
        m.entries[1].hostpriv = 9
        m.entries[2].attached = true
        m.entries[2].mac = [2, 1, 2, 3, 4, 5]
        m.entries[2].mtu = 1500
        return m
    }

    @Test func layout() {
        let l = BootInfo.layout(for: manifest())
        #expect(l.bootInfo == 0x10000)
        // The manifest right after the boot info's 64 bytes (upstream's 56
        // and our entropy).
        #expect(l.manifest == 0x10040)
        #expect(l.commandLine == 0x10040 + 8 + 3 * 104)
        #expect(l.commandLine % 8 == 0)
        #expect(l.end == l.commandLine + 8192)
        let biggest = Manifest(entries: [Manifest.Entry](repeating: Manifest.Entry(name: "x", type: .blockBasic),
                                                         count: 64))
        #expect(BootInfo.layout(for: biggest).end <= 0x100000)
    }

    @Test func contents() throws {
        let m = try testMemory()
        var given = ukvm_boot_info()
        given.mem_size = 8 << 20
        given.kernel_end = 0x123456
        given.cpu_cycle_freq = 2_000_000_000
        let l = try BootInfo.write(given, to: m, manifest: manifest(), commandLine: Array("hello --solo5:quiet".utf8))
        let info = try m.load(ukvm_boot_info.self, gpa: 0x10000)
        #expect(info.mem_size == 8 << 20)
        #expect(info.kernel_end == 0x123456)
        #expect(info.cpu_cycle_freq == 2_000_000_000)
        #expect(info.cmdline == l.commandLine)
        #expect(info.mft == l.manifest)
        #expect(info.host_features == 0 && info.guest_features == 0 && info.net_ring == 0)

        let text = "hello --solo5:quiet"
        let bytes = try m.buffer(gpa: info.cmdline, count: UInt64(text.utf8.count + 1))
        #expect(Array(bytes) == Array(text.utf8) + [0])

        #expect(try m.load(UInt32.self, gpa: info.mft) == 1)       // version
        #expect(try m.load(UInt32.self, gpa: info.mft + 4) == 3)   // entries
        let e0 = info.mft + 8
        #expect(try m.load(UInt32.self, gpa: e0 + 68) == 1 << 30)
        #expect(try m.load(UInt8.self, gpa: e0 + 96) == 0)
        let e1 = e0 + 104
        #expect(Array(try m.buffer(gpa: e1, count: 5)) == Array("disk".utf8) + [0])
        #expect(try m.load(UInt32.self, gpa: e1 + 68) == 1)
        #expect(try m.load(UInt64.self, gpa: e1 + 72) == 1 << 20)
        #expect(try m.load(UInt16.self, gpa: e1 + 80) == 4096)
        #expect(try m.load(UInt64.self, gpa: e1 + 88) == 9)
        #expect(try m.load(UInt8.self, gpa: e1 + 96) == 1)
        let e2 = e1 + 104
        #expect(try m.load(UInt32.self, gpa: e2 + 68) == 2)
        #expect(Array(try m.buffer(gpa: e2 + 72, count: 6)) == [2, 1, 2, 3, 4, 5])
        #expect(try m.load(UInt16.self, gpa: e2 + 78) == 1500)
        #expect(try m.load(UInt8.self, gpa: e2 + 96) == 1)
    }

    @Test func longestCommandLine() throws {
        let m = try testMemory()
        let text = [UInt8](repeating: 0x61, count: 8191)
        let l = try BootInfo.write(ukvm_boot_info(), to: m, manifest: Manifest.empty, commandLine: text)
        #expect(try m.load(UInt8.self, gpa: l.commandLine + 8190) == 0x61)
        #expect(try m.load(UInt8.self, gpa: l.commandLine + 8191) == 0)
    }
}

/// Where the guest's memory ends and the network ring lies, as upstream's
/// tender lays them out.
@Suite struct MemoryPlanTests {
    let mib: UInt64 = 1 << 20

    @Test func ringAboveTheGuest() {
        let p = MemoryPlan(requested: 512 * mib, reservations: [0, 0, 2 * mib])
        #expect(p.guest == 512 * mib && p.total == 514 * mib)
        #expect(p.reserved == [nil, nil, 512 * mib])
        let small = MemoryPlan(requested: 2 * mib, reservations: [2 * mib])
        #expect(small.guest == 2 * mib && small.total == 4 * mib && small.reserved == [2 * mib])
    }

    /// At 4 GiB the ring comes off the top: the guest sees 4094 MiB.
    @Test func ringFromTheTop() {
        let p = MemoryPlan(requested: 4096 * mib, reservations: [2 * mib])
        #expect(p.guest == 4094 * mib && p.total == 4096 * mib && p.reserved == [4094 * mib])
        let q = MemoryPlan(requested: 4095 * mib & ~(2 * mib - 1), reservations: [2 * mib])
        #expect(q.guest == 4094 * mib && q.total == 4096 * mib && q.reserved == [4094 * mib])
    }

    @Test func noReservations() {
        let p = MemoryPlan(requested: 64 * mib, reservations: [0, 0, 0])
        #expect(p.guest == 64 * mib && p.total == 64 * mib && p.reserved == [nil, nil, nil])
    }

    /// Never less than 2 MiB for the guest: the reservation is refused.
    @Test func refusedRatherThanStarveTheGuest() {
        let p = MemoryPlan(requested: 2 * mib, reservations: [2 * mib], limit: 2 * mib)
        #expect(p.guest == 2 * mib && p.total == 2 * mib && p.reserved == [nil])
    }
}
