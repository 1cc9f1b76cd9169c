// PageTables.swift: the identity map of the entry state (docs/abi.md,
// "Guest entry state"): 4 KiB pages in the first 2 MiB, 2 MiB pages above.
//
// For CPL3 images (include/ukvm_ext.h) the map also keeps W^X: the image's
// pages as its segments declare (ImageProtection), every other page never
// executable; a 2 MiB region whose pages differ gets 4 KiB page tables of
// its own, from the spare pages after the first.
//
// Every present entry is marked accessed, and every writable one dirty
// (`marked`). Under shadow paging (kvm-pvm) KVM maps, at a guest's page
// fault, up to seven neighbouring pages with it, but only those whose
// entries say they were used: with the bits set, a boot's first touch of
// its code maps its other code, read-only data and data pages too, one
// exit instead of four. Nothing in a guest reads the bits.

import CKVM
import Image
import Support

enum PageTables {
    static let pml4 = UInt64(UKVM_PML4_BASE)
    static let pdpt = UInt64(UKVM_PDPT_BASE)
    static let pd = UInt64(UKVM_PDE_BASE)
    static let pt = UInt64(UKVM_PTE_BASE)
    /// The page tables a CPL3 image's map may use besides the first.
    static let extraPT = UInt64(UKVM_CPL3_EXTRA_PT_BASE)
    static let extraPTs = UInt64(UKVM_CPL3_EXTRA_PTS)
    /// Four page directories: at most 4 GiB of memory (UKVM_MEMORY_MAX;
    /// ckvm.c checks the two agree).
    static let maxMemory = UInt64(UKVM_MEMORY_MAX)
    /// Pages below this are not present (NULL guard) ...
    static let guardEnd = UInt64(UKVM_GUARD_END)
    /// ... and from there to the kernel they are read-only.
    static let readOnlyEnd = UInt64(UKVM_KERNEL_BASE)

    /// How a CPL3 image's pages are mapped: its protection, and whether the
    /// vCPU has NX (without it, nothing can be made non-executable).
    struct WX {
        let protection: ImageProtection
        let nx: Bool
    }

    /// Identity-maps all of `memory` (size: a multiple of 2 MiB, 2 MiB to
    /// 4 GiB): 4 KiB pages in the first 2 MiB, 2 MiB pages above.
    /// With `user` (CPL3 images) every present page and every table entry
    /// has the U bit, except the GDT/TSS page at 0x1000, which is then present,
    /// writable and supervisor-only; and with `wx`, each page as the image's
    /// protection says. `zeroFilled`: the tables' pages are still as mmap
    /// handed them out (all zero), so only the entries are written and the
    /// spare tables' pages stay untouched.
    static func build(in memory: GuestMemory, user: Bool, wx: WX? = nil,
                      zeroFilled: Bool = false) throws(MonitorError) {
        let size = memory.size
        guard size >= X86.largePageSize, size <= maxMemory, size % X86.largePageSize == 0 else {
            throw .setup("guest memory of \(size) bytes cannot be mapped")
        }
        let u = user ? X86.pteUser : 0
        let table = marked(X86.ptePresent | X86.pteWritable | u)
        if !zeroFilled { try memory.zero(gpa: pml4, count: guardEnd - pml4) }

        try memory.store(pdpt | table, gpa: pml4)
        let gigabytes = (size + X86.gigabyte - 1) / X86.gigabyte
        for g in 0..<gigabytes {
            try memory.store((pd + g * X86.pageSize) | table, gpa: pdpt + g * 8)
        }
        // Page directory entries, one per 2 MiB; the first points at the
        // page table, and with W^X so does any region whose pages differ.
        // Written straight into the directories' pages, checked once: a
        // boot writes some thousand entries.
        let directories = try memory.buffer(gpa: pd, count: gigabytes * X86.pageSize)
        var spare = (0..<extraPTs).map { extraPT + $0 * X86.pageSize }
        directories.storeBytes(of: pt | table, toByteOffset: 0, as: UInt64.self)
        try fill(pt, region: 0, memory, user: user, wx: wx)
        // Above the image's last protected page every page is plain data.
        let plain = plainBits(user: user, wx: wx)
        let plainFrom = wx?.protection.ranges.last?.end ?? 0
        for i in 1..<(size / X86.largePageSize) {
            let start = i * X86.largePageSize
            let entry: UInt64
            if start >= plainFrom {
                entry = start | X86.ptePageSize | plain
            } else if let wx, !wx.protection.isUniform(start, start + X86.largePageSize) {
                guard !spare.isEmpty else {
                    throw .setup("the image's segments change permissions in more 2 MiB regions than "
                        + "there are page tables for (\(extraPTs + 1))")
                }
                let t = spare.removeFirst()
                try fill(t, region: start, memory, user: user, wx: wx)
                entry = t | table
            } else {
                entry = start | X86.ptePageSize | bits(start, user: user, wx: wx)
            }
            directories.storeBytes(of: entry, toByteOffset: Int(i) * 8, as: UInt64.self)
        }
    }

    /// The 4 KiB entries of the 2 MiB region at `region`, in the table at `at`.
    private static func fill(_ at: UInt64, region: UInt64, _ memory: GuestMemory,
                             user: Bool, wx: WX?) throws(MonitorError) {
        let entries = try memory.buffer(gpa: at, count: X86.pageSize)
        let plain = plainBits(user: user, wx: wx)
        let plainFrom = max(wx?.protection.ranges.last?.end ?? 0, readOnlyEnd)
        for i in 0..<(X86.largePageSize / X86.pageSize) {
            let address = region + i * X86.pageSize
            let value = address >= plainFrom ? address | plain : entry(address, user: user, wx: wx)
            entries.storeBytes(of: value, toByteOffset: Int(i) * 8, as: UInt64.self)
        }
    }

    /// The bits of a plain data page: present, writable, user for CPL3
    /// images, never executable with W^X.
    private static func plainBits(user: Bool, wx: WX?) -> UInt64 {
        marked(X86.ptePresent | X86.pteWritable | (user ? X86.pteUser : 0) | nx(wx))
    }

    /// The entry for the 4 KiB page at `address` (0 if not present).
    private static func entry(_ address: UInt64, user: Bool, wx: WX?) -> UInt64 {
        guard address >= guardEnd else {
            let isGDTPage = address == UInt64(UKVM_GDT_BASE)
            return user && isGDTPage ? address | marked(X86.ptePresent | X86.pteWritable | nx(wx)) : 0
        }
        return address | bits(address, user: user, wx: wx)
    }

    /// Present, user, writable and NX bits of a page (or 2 MiB region, all
    /// alike) at `address` at or above the guard.
    private static func bits(_ address: UInt64, user: Bool, wx: WX?) -> UInt64 {
        let u = user ? X86.pteUser : 0
        if address < readOnlyEnd { return marked(X86.ptePresent | u | nx(wx)) }
        switch wx?.protection.access(address) ?? .readWrite {
        case .readExecute: return marked(X86.ptePresent | u)
        case .readOnly: return marked(X86.ptePresent | u | nx(wx))
        case .readWrite: return marked(X86.ptePresent | X86.pteWritable | u | nx(wx))
        }
    }

    /// `entry` marked accessed, and dirty if writable (see the top).
    private static func marked(_ entry: UInt64) -> UInt64 {
        entry | X86.pteAccessed | (entry & X86.pteWritable != 0 ? X86.pteDirty : 0)
    }

    /// The NX bit, when W^X is asked for and the vCPU has it.
    private static func nx(_ wx: WX?) -> UInt64 {
        wx?.nx == true ? X86.pteNX : 0
    }
}
