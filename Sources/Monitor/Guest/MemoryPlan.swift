// MemoryPlan.swift: how much memory the guest is told it has, and where
// what modules reserve above it (the network ring) lies, as upstream's
// tender lays it out: above the guest's memory, or taken from its top when
// that would pass the 4 GiB the page tables map.

import Support

package struct MemoryPlan: Equatable {
    /// The guest's own memory: boot info mem_size, the top of its stack.
    package let guest: UInt64
    /// All that is mapped: the guest's memory and the reservations.
    package let total: UInt64
    /// Where each reservation starts, in the order asked; nil if not granted.
    package let reserved: [UInt64?]

    /// The plan for `requested` bytes of guest memory and `reservations`
    /// (each a multiple of 2 MiB, 0 for none), at most `limit` in all. A
    /// reservation is refused rather than leave the guest less than 2 MiB.
    package init(requested: UInt64, reservations: [UInt64], limit: UInt64 = GuestMemorySize.max) {
        var guest = requested
        var total = requested
        var reserved: [UInt64?] = []
        for size in reservations {
            if size == 0 {
                reserved.append(nil)
            } else if total + size <= limit {
                reserved.append(total)
                total += size
            } else if guest >= size + X86.largePageSize && guest == total {
                guest -= size           // from the top, below the limit
                reserved.append(guest)
            } else {
                reserved.append(nil)
            }
        }
        self.guest = guest
        self.total = total
        self.reserved = reserved
    }
}
