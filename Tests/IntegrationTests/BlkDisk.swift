// BlkDisk.swift: what the blk test unikernel (kernel/tests/blk/blk.c)
// leaves on its disk, so that tests can check every byte of it.

import Foundation

enum BlkDisk {
    /// A disk for blk: room for its largest request (1 MiB, SOLO5_BLOCK_IO_MAX)
    /// and three blocks more, so that a request one block too large still
    /// fits the device and is refused for its size alone.
    static func size(blockSize: Int) -> Int { (1 << 20) + 3 * blockSize }

    /// The first block of `disk` that does not hold blk's pattern (word w
    /// of block b written in generation g, 1 to 15, is b << 20 | w << 4 | g,
    /// little-endian), or nil when they all do.
    static func firstBadBlock(_ disk: Data, blockSize: Int) -> Int? {
        guard disk.count % blockSize == 0 else { return disk.count / blockSize }
        return disk.withUnsafeBytes { raw -> Int? in
            let words = blockSize / 8
            for b in 0..<(disk.count / blockSize) {
                let base = b * blockSize
                let gen = raw.loadUnaligned(fromByteOffset: base, as: UInt64.self) & 0xf
                guard gen >= 1 else { return b }
                for w in 0..<words {
                    let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * w, as: UInt64.self))
                    if v != UInt64(b) << 20 | UInt64(w) << 4 | gen { return b }
                }
            }
            return nil
        }
    }
}
