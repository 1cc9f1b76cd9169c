// BootInfo.swift: what the guest finds at 0x10000 (RDI at entry): struct
// ukvm_boot_info, then the monitor's copy of the manifest (8-aligned), then
// the command line (NUL-terminated, in a buffer of 8192 bytes).

import CKVM
import Image
import Support

enum BootInfo {
    static let base = UInt64(UKVM_BOOT_INFO_BASE)
    static let kernelBase = UInt64(UKVM_KERNEL_BASE)
    static let commandLineSize = Int(UKVM_CMDLINE_SIZE)
    /// Longest command line: the buffer holds the NUL too.
    static let commandLineMax = commandLineSize - 1

    /// Where each part goes.
    struct Layout: Equatable {
        let bootInfo: UInt64
        let manifest: UInt64
        let commandLine: UInt64
        /// First byte past the command-line buffer.
        let end: UInt64
    }

    static func layout(for manifest: Manifest) -> Layout {
        let mft = align8(base + UInt64(MemoryLayout<ukvm_boot_info>.size))
        let cmdline = align8(mft + UInt64(manifest.byteSize))
        return Layout(bootInfo: base, manifest: mft, commandLine: cmdline,
                      end: cmdline + UInt64(commandLineSize))
    }

    /// Writes `info` (with the addresses of the manifest copy and the
    /// command line filled in here), the manifest copy and the command line
    /// into guest memory.
    static func write(_ info: ukvm_boot_info, to memory: GuestMemory, manifest: Manifest,
                      commandLine: [UInt8]) throws(MonitorError) -> Layout {
        let l = layout(for: manifest)
        guard l.end <= kernelBase else {
            throw .setup("boot info does not fit below \(hex(kernelBase))")
        }
        var info = info
        info.cmdline = l.commandLine
        info.mft = l.manifest
        try memory.store(info, gpa: l.bootInfo)
        try manifest.write(to: memory, at: l.manifest)

        let bytes = Array(commandLine.prefix(commandLineMax))
        try memory.zero(gpa: l.commandLine, count: UInt64(commandLineSize))
        let dst = try memory.buffer(gpa: l.commandLine, count: UInt64(bytes.count))
        dst.copyBytes(from: bytes)
        return l
    }

    private static func align8(_ value: UInt64) -> UInt64 { (value + 7) & ~7 }
}
