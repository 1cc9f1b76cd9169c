// Harness.swift: the monitor's modules set up as the launcher sets them up
// (flags, manifest binding, hypercall table) over test memory, without KVM,
// so the handlers can be called directly.

import CKVM
import Glibc
@testable import Image
@testable import Monitor
@testable import Support

final class Harness {
    let launch = Launch()
    let memory: GuestMemory
    private(set) var table = HypercallTable()
    /// The manifest as the guest would see it, filled in.
    private(set) var manifest: Manifest

    /// Modules given `flags`, attached to `manifest`, over `memoryMiB` of memory.
    /// Inherited fds (@N) may be sockets standing in for taps: a datagram
    /// socketpair behaves like one (a frame per read and write).
    init(flags: [String] = [], manifest: Manifest = .empty, memoryMiB: UInt64 = 8) throws {
        var options = Options()
        launch.net.inheritTap = { fd, fail throws(MonitorError) in
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else { return try Tap.inherit(fd, fail: fail) }
            return Tap.Inherited(name: "socket", mtu: 1500)
        }
        for f in flags { try launch.parser.apply(Argument(f), to: &options, modules: launch.modules) }
        self.manifest = manifest
        try DeviceBinding.attach(launch.modules, to: &self.manifest)
        memory = try GuestMemory(size: memoryMiB << 20)
        let wait = try DeviceWait(launch.pollDescriptors)
        for m in launch.modules { try m.registerHypercalls(&table, memory: memory, wait: wait) }
    }

    deinit {
        for m in launch.modules { _ = m.shutdown() }
    }

    /// Calls hypercall `nr` with its argument struct at `gpa`.
    @discardableResult
    func call(_ nr: ukvm_hypercall, _ gpa: UInt64) throws(MonitorError) -> HypercallOutcome {
        guard let h = table.handler(port: HypercallTable.portBase + UInt16(nr.rawValue)) else {
            throw .guestFault("no handler for \(nr.rawValue)")
        }
        return try h(gpa)
    }
}

extension Manifest {
    /// A manifest declaring `devices` (name, type) after the reserved entry.
    static func declaring(_ devices: [(String, DeviceType)]) -> Manifest {
        Manifest(entries: [Entry(name: "", type: .reservedFirst)]
            + devices.map { Entry(name: $0.0, type: $0.1) })
    }
}

/// A deterministic random sequence, so that a failing fuzz round repeats.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
