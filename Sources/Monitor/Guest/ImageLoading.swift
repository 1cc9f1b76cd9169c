// ImageLoading.swift: a validated image copied into guest memory.

import Glibc
import Image

extension ELFImage {
    /// Copies every segment into guest memory and zeroes its .bss.
    func load(into memory: GuestMemory) throws(MonitorError) {
        for s in segments {
            let dst = try memory.buffer(gpa: s.vaddr, count: s.memSize)
            guard let d = dst.baseAddress else { continue }
            let file = Int(s.fileSize)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress, file > 0 {
                    d.copyMemory(from: base + Int(s.offset), byteCount: file)
                }
            }
            memset(d + file, 0, dst.count - file)
        }
    }
}
