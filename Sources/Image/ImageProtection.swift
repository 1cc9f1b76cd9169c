// ImageProtection.swift: how the guest may use the pages of its image, as
// its PT_LOAD segments declare: an executable segment's pages read-only and
// executable, a read-only segment's read-only. Every other page of guest
// memory (data, bss, heap, stack) is writable and never executable.
//
// CPL3 images get page tables that say so (PageTables.swift); every image's
// read-only pages are also read-only in the monitor's mapping of guest
// memory (GuestMemory.protect), so that a guest at CPL 0, whose page tables
// are its own business, cannot write its code either, as with upstream's
// tender.

import Support

/// The image's pages that are not plain writable data, page-aligned,
/// sorted and disjoint.
package struct ImageProtection: Equatable {
    package enum Access: Equatable {
        case readExecute
        case readOnly
        case readWrite
    }

    package struct Range: Equatable {
        package let start: UInt64
        package let end: UInt64
        package let access: Access
    }

    /// Only readExecute and readOnly ranges; everything else is readWrite.
    package let ranges: [Range]

    package static let none = ImageProtection(ranges: [])

    /// The protection `segments` (validated: sorted, not overlapping, none
    /// both writable and executable) ask for. A page that a writable and an
    /// executable segment share cannot be both: `strict` (CPL3 images, whose
    /// page tables keep W^X) refuses it; otherwise (images in upstream's
    /// entry state, which upstream runs) it stays writable.
    package static func of(_ segments: [ELFSegment], strict: Bool) throws(ImageProblem) -> ImageProtection {
        var pages: [(start: UInt64, end: UInt64, write: Bool, exec: Bool)] = []
        for s in segments {
            var start = s.vaddr & ~(X86.pageSize - 1)
            let end = (s.end + X86.pageSize - 1) & ~(X86.pageSize - 1)   // s.end < 2^64 - 4 GiB: no overflow
            if let last = pages.last, start < last.end {
                // The previous segment's last page is this one's first.
                let write = last.write || s.isWritable, exec = last.exec || s.isExecutable
                guard !(write && exec && strict) else {
                    throw .invalid("segment at \(hex(s.vaddr)) shares the page at \(hex(start)) with the "
                        + "segment before it, and one is writable, the other executable")
                }
                pages[pages.count - 1] = (last.start, start, last.write, last.exec)
                if pages[pages.count - 1].start == start { pages.removeLast() }
                pages.append((start, start + X86.pageSize, write, exec))
                start += X86.pageSize
            }
            if start < end { pages.append((start, end, s.isWritable, s.isExecutable)) }
        }
        var ranges: [Range] = []
        for p in pages where !p.write {
            let access: Access = p.exec ? .readExecute : .readOnly
            if let last = ranges.last, last.end == p.start, last.access == access {
                ranges[ranges.count - 1] = Range(start: last.start, end: p.end, access: access)
            } else {
                ranges.append(Range(start: p.start, end: p.end, access: access))
            }
        }
        return ImageProtection(ranges: ranges)
    }

    /// How the guest may use the page at `address`.
    package func access(_ address: UInt64) -> Access {
        for r in ranges where address >= r.start && address < r.end { return r.access }
        return .readWrite
    }

    /// Whether every page in [start, end) has the same access.
    package func isUniform(_ start: UInt64, _ end: UInt64) -> Bool {
        let first = access(start)
        for r in ranges where r.start < end && r.end > start {
            if r.start > start || r.end < end || r.access != first { return false }
        }
        return true
    }
}
