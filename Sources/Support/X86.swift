// X86.swift: the x86_64 architecture's bits that the entry state uses
// (control registers, page-table entries, RFLAGS); facts of the CPU, not
// of our ABI, which is in include/ukvm_abi.h.

package enum X86 {
    // Control registers and EFER.
    package static let cr0PE: UInt64 = 1 << 0
    package static let cr0NE: UInt64 = 1 << 5
    package static let cr0WP: UInt64 = 1 << 16
    package static let cr0PG: UInt64 = 1 << 31
    package static let cr4PAE: UInt64 = 1 << 5
    package static let cr4OSFXSR: UInt64 = 1 << 9
    package static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    package static let cr4FSGSBASE: UInt64 = 1 << 16
    package static let eferLME: UInt64 = 1 << 8
    package static let eferLMA: UInt64 = 1 << 10
    package static let eferNXE: UInt64 = 1 << 11

    // Page-table entry bits.
    package static let ptePresent: UInt64 = 1 << 0
    package static let pteWritable: UInt64 = 1 << 1
    package static let pteUser: UInt64 = 1 << 2
    package static let ptePageSize: UInt64 = 1 << 7
    package static let pteNX: UInt64 = 1 << 63

    // RFLAGS: bit 1 is always set; IOPL 3 lets ring 3 use `out`.
    package static let rflagsDefault: UInt64 = 0x2
    package static let rflagsIOPL3: UInt64 = 0x3000

    package static let pageSize: UInt64 = 0x1000
    package static let largePageSize: UInt64 = 0x20_0000
    package static let gigabyte: UInt64 = 0x4000_0000
}
