// X86.swift: the x86_64 architecture's bits that the entry state uses
// (control registers, page-table entries, RFLAGS); facts of the CPU, not
// of our ABI, which is in include/ukvm_abi.h.
//
// Inlinable constants, not stored ones: a stored static of another module
// is reached through an accessor and a once-check at every use, and the
// page tables alone use these some thousand times a boot.

package enum X86 {
    // Control registers and EFER.
    @inlinable package static var cr0PE: UInt64 { 1 << 0 }
    @inlinable package static var cr0NE: UInt64 { 1 << 5 }
    @inlinable package static var cr0WP: UInt64 { 1 << 16 }
    @inlinable package static var cr0PG: UInt64 { 1 << 31 }
    @inlinable package static var cr4PAE: UInt64 { 1 << 5 }
    @inlinable package static var cr4OSFXSR: UInt64 { 1 << 9 }
    @inlinable package static var cr4OSXMMEXCPT: UInt64 { 1 << 10 }
    @inlinable package static var cr4FSGSBASE: UInt64 { 1 << 16 }
    @inlinable package static var eferLME: UInt64 { 1 << 8 }
    @inlinable package static var eferLMA: UInt64 { 1 << 10 }
    @inlinable package static var eferNXE: UInt64 { 1 << 11 }

    // Page-table entry bits.
    @inlinable package static var ptePresent: UInt64 { 1 << 0 }
    @inlinable package static var pteWritable: UInt64 { 1 << 1 }
    @inlinable package static var pteUser: UInt64 { 1 << 2 }
    @inlinable package static var pteAccessed: UInt64 { 1 << 5 }
    @inlinable package static var pteDirty: UInt64 { 1 << 6 }
    @inlinable package static var ptePageSize: UInt64 { 1 << 7 }
    @inlinable package static var pteNX: UInt64 { 1 << 63 }

    // RFLAGS: bit 1 is always set; IOPL 3 lets ring 3 use `out`.
    @inlinable package static var rflagsDefault: UInt64 { 0x2 }
    @inlinable package static var rflagsIOPL3: UInt64 { 0x3000 }

    @inlinable package static var pageSize: UInt64 { 0x1000 }
    @inlinable package static var largePageSize: UInt64 { 0x20_0000 }
    @inlinable package static var gigabyte: UInt64 { 0x4000_0000 }
}
