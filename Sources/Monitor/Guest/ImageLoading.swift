// ImageLoading.swift: a validated image copied into guest memory.

import Glibc
import Image

extension ELFImage {
    /// Copies every segment into guest memory and zeroes its .bss, unless
    /// `zeroFilled`: memory as mmap handed it out, nothing written yet. Then
    /// the .bss is already zero (segments do not overlap, so no file bytes
    /// land on it), and leaving it alone leaves its untouched pages unmapped:
    /// they cost the host nothing until the guest uses them (a .bss of net
    /// buffers is hundreds of KiB per idle guest; docs/density.md).
    func load(into memory: GuestMemory, zeroFilled: Bool = false) throws(MonitorError) {
        for s in segments {
            let dst = try memory.buffer(gpa: s.vaddr, count: s.memSize)
            guard let d = dst.baseAddress else { continue }
            do {
                try copyFileBytes(of: s, to: d)
            } catch {
                throw .image(error)
            }
            let file = Int(s.fileSize)
            if !zeroFilled { memset(d + file, 0, dst.count - file) }
        }
    }
}
