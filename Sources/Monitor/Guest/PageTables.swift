// PageTables.swift: the identity map of the entry state (docs/abi.md,
// "Guest entry state"): 4 KiB pages in the first 2 MiB, 2 MiB pages above.

import CKVM

enum PageTables {
    static let pml4 = UInt64(UKVM_PML4_BASE)
    static let pdpt = UInt64(UKVM_PDPT_BASE)
    static let pd = UInt64(UKVM_PDE_BASE)
    static let pt = UInt64(UKVM_PTE_BASE)
    /// Four page directories: at most 4 GiB of memory.
    static let maxMemory: UInt64 = 4 * X86.gigabyte
    /// Pages below this are not present (NULL guard) ...
    static let guardEnd = UInt64(UKVM_GUARD_END)
    /// ... and from there to the kernel they are read-only.
    static let readOnlyEnd = UInt64(UKVM_KERNEL_BASE)

    /// Identity-maps all of `memory` (size: a multiple of 2 MiB, 2 MiB to
    /// 4 GiB): 4 KiB pages in the first 2 MiB, 2 MiB pages above.
    /// With `user` (CPL3 images) every present page and every table entry
    /// has the U bit, except the GDT/TSS page at 0x1000, which is then present,
    /// writable and supervisor-only.
    static func build(in memory: GuestMemory, user: Bool) throws(MonitorError) {
        let size = memory.size
        guard size >= X86.largePageSize, size <= maxMemory, size % X86.largePageSize == 0 else {
            throw .setup("guest memory of \(size) bytes cannot be mapped")
        }
        let u = user ? X86.pteUser : 0
        let table = X86.ptePresent | X86.pteWritable | u
        try memory.zero(gpa: pml4, count: pt + X86.pageSize - pml4)

        try memory.store(pdpt | table, gpa: pml4)
        let gigabytes = (size + X86.gigabyte - 1) / X86.gigabyte
        for g in 0..<gigabytes {
            try memory.store((pd + g * X86.pageSize) | table, gpa: pdpt + g * 8)
        }
        // Page directory entries, one per 2 MiB; the first points at the page table.
        let largePages = size / X86.largePageSize
        try memory.store(pt | table, gpa: pd)
        for i in 1..<largePages {
            let entry = (i * X86.largePageSize) | X86.ptePresent | X86.pteWritable | X86.ptePageSize | u
            try memory.store(entry, gpa: pd + i * 8)
        }
        // The first 2 MiB in 4 KiB pages.
        for i in 0..<(X86.largePageSize / X86.pageSize) {
            let address = i * X86.pageSize
            let entry: UInt64
            if address < guardEnd {
                let isGDTPage = address == UInt64(UKVM_GDT_BASE)
                entry = user && isGDTPage ? address | X86.ptePresent | X86.pteWritable : 0
            } else if address < readOnlyEnd {
                entry = address | X86.ptePresent | u
            } else {
                entry = address | X86.ptePresent | X86.pteWritable | u
            }
            try memory.store(entry, gpa: pt + i * 8)
        }
    }
}
