// MemoryBudget.swift: how a container's memory limit is shared between the
// guest and the monitor, so that a guest touching all of its memory never
// gets its container OOM-killed.
//
// The cgroup's limit covers the whole process: the guest's memory (every
// page it touches is charged), and the monitor's own: its code and heap,
// KVM's page tables and vCPU state in the kernel (charged to the cgroup as
// kernel memory, and growing with the guest), the network ring. Measured
// on cgroup v1 with the memtouch test guest (every page written), peak
// usage above the guest's size: under 1 MiB at 64 and 256 MiB, 5.7 MiB at
// 1024 MiB (KVM's share grows by about 0.7% of the guest). So the monitor
// is given 8 MiB plus 1/64 of the guest's size, and the guest the rest,
// rounded down to 2 MiB:
//
//     guest + 8 MiB + guest / 64 <= limit
//
// A guest size set by annotation (org.solo5.memory) that does not fit
// under the limit that way is refused, naming both figures.

import JSON
import Monitor

enum MemoryBudget {
    static let monitorBaseMiB: UInt64 = 8
    /// The monitor's share grows by guest / 64.
    static let monitorShareDivisor: UInt64 = 64

    /// What the monitor needs beside a guest of `guestMiB`.
    static func monitorMiB(guestMiB: UInt64) -> UInt64 {
        monitorBaseMiB + (guestMiB + monitorShareDivisor - 1) / monitorShareDivisor
    }

    /// The largest guest (MiB, even) that fits under `limit` bytes with
    /// its monitor; nil if none does.
    static func guestMiB(limit: UInt64) -> UInt64? {
        let limitMiB = limit >> 20
        guard limitMiB > monitorBaseMiB else { return nil }
        var guest = ((limitMiB - monitorBaseMiB) * monitorShareDivisor / (monitorShareDivisor + 1)) & ~1
        while guest > 0 && guest + monitorMiB(guestMiB: guest) > limitMiB { guest -= 2 }
        return guest > 0 ? guest : nil
    }

    /// Whether a guest of `guestMiB` and its monitor fit under `limit` bytes.
    static func fits(guestMiB: UInt64, limit: UInt64) -> Bool {
        guestMiB + monitorMiB(guestMiB: guestMiB) <= limit >> 20
    }

    /// The refusal of a limit too small for `guestMiB`.
    static func tooSmall(limit: UInt64, guestMiB: UInt64, what: String) -> OCIError {
        OCIError("\(what): the memory limit, \(limit >> 20) MiB (\(limit) bytes), is below what a "
            + "\(guestMiB) MiB guest and its monitor (\(monitorMiB(guestMiB: guestMiB)) MiB) need: "
            + "\(guestMiB + monitorMiB(guestMiB: guestMiB)) MiB (docs/oci.md, Memory)")
    }
}
