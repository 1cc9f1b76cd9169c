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
            let file = Int(s.fileSize)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress, file > 0 {
                    d.copyMemory(from: base + Int(s.offset), byteCount: file)
                }
            }
            if !zeroFilled { memset(d + file, 0, dst.count - file) }
        }
    }
}
