// X86.swift: the x86_64 architecture's bits that the entry state uses
// (control registers, page-table entries, RFLAGS); facts of the CPU, not
// of our ABI, which is in include/ukvm_abi.h.

enum X86 {
    // Control registers and EFER.
    static let cr0PE: UInt64 = 1 << 0
    static let cr0NE: UInt64 = 1 << 5
    static let cr0WP: UInt64 = 1 << 16
    static let cr0PG: UInt64 = 1 << 31
    static let cr4PAE: UInt64 = 1 << 5
    static let cr4OSFXSR: UInt64 = 1 << 9
    static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    static let cr4FSGSBASE: UInt64 = 1 << 16
    static let eferLME: UInt64 = 1 << 8
    static let eferLMA: UInt64 = 1 << 10
    static let eferNXE: UInt64 = 1 << 11

    // Page-table entry bits.
    static let ptePresent: UInt64 = 1 << 0
    static let pteWritable: UInt64 = 1 << 1
    static let pteUser: UInt64 = 1 << 2
    static let ptePageSize: UInt64 = 1 << 7
    static let pteNX: UInt64 = 1 << 63

    // RFLAGS: bit 1 is always set; IOPL 3 lets ring 3 use `out`.
    static let rflagsDefault: UInt64 = 0x2
    static let rflagsIOPL3: UInt64 = 0x3000

    static let pageSize: UInt64 = 0x1000
    static let largePageSize: UInt64 = 0x20_0000
    static let gigabyte: UInt64 = 0x4000_0000
}
