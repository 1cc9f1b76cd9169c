// Manifest+Guest.swift: the monitor's filled-in copy of the manifest, as
// the guest reads it through the boot info (struct mft and its entries).

import CKVM
import Image

extension Manifest {
    /// Bytes of `struct mft` with all its entries.
    var byteSize: Int { mft_size(UInt32(entries.count)) }

    /// Writes the monitor's copy (`struct mft`) at gpa.
    func write(to memory: GuestMemory, at gpa: UInt64) throws(MonitorError) {
        try memory.zero(gpa: gpa, count: UInt64(byteSize))
        var header = mft()
        header.version = Manifest.version
        header.entries = UInt32(entries.count)
        try memory.write(header, gpa: gpa)
        for (i, e) in entries.enumerated() {
            try memory.write(e.cEntry, gpa: gpa + Manifest.headerSize + UInt64(i) * Manifest.entrySize)
        }
    }
}

extension Manifest.Entry {
    /// The entry as `struct mft_entry`.
    var cEntry: mft_entry {
        var c = mft_entry()
        withUnsafeMutableBytes(of: &c.name) { field in
            for (j, byte) in name.utf8.prefix(Manifest.nameMax).enumerated() { field[j] = byte }
        }
        c.type = type.raw
        switch type {
        case .blockBasic:
            c.u.block_basic.capacity = capacity
            c.u.block_basic.block_size = blockSize
        case .netBasic:
            withUnsafeMutableBytes(of: &c.u.net_basic.mac) { field in
                for (j, byte) in mac.prefix(field.count).enumerated() { field[j] = byte }
            }
            c.u.net_basic.mtu = mtu
        case .reservedFirst:
            break
        }
        c.hostpriv = hostpriv
        c.attached = attached ? 1 : 0
        return c
    }
}
