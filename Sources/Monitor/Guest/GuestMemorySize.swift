// GuestMemorySize.swift: how much memory a guest may be given, the one rule
// for the command line's --mem and for ukvm-oci's memory limit.

import Image
import Support

package enum GuestMemorySize {
    /// Without --mem or a container memory limit.
    package static let defaultMiB: UInt64 = 512
    /// The page tables map at most 4 GiB (UKVM_MEMORY_MAX, include/ukvm_abi.h).
    package static let max = ELF.maxMemory
    /// Guest memory is made of whole 2 MiB pages; this is also the least.
    package static let granule = X86.largePageSize

    /// `bytes` rounded down to whole 2 MiB pages (possibly 0).
    package static func roundedDown(_ bytes: UInt64) -> UInt64 {
        bytes & ~(granule - 1)
    }
}
