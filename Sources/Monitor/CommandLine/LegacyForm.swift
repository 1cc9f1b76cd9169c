// LegacyForm.swift: the original ukvm's command line, `ukvm KERNEL DISK TAP
// [ARGS...]`, from before devices had names.
//
// It applies when no device flag is given and the two arguments after KERNEL
// are an existing file (or device) and an existing network interface. DISK
// and TAP then stand for `--block:NAME=DISK` and `--net:NAME=TAP`, NAME being
// the image's first block and first network device; that rewrite, the only
// thing the form changes, happens here once the manifest is known. As the
// original monitor did, the disk is announced ("Providing disk: ...") even
// when the image has no block device to attach it to.

import Glibc
import Image
import Support

struct LegacyForm: Equatable {
    /// DISK, byte for byte.
    let disk: Argument
    let tap: String

    /// The ordinary flags this form stands for with `manifest`, and a warning
    /// for DISK or TAP when the image has no such device.
    func flags(for manifest: Manifest) -> (flags: [Argument], warnings: [String]) {
        var flags: [Argument] = []
        var warnings: [String] = []
        if let block = manifest.first(.blockBasic) {
            flags.append(Argument(bytes: Array("--block:\(block.name)=".utf8) + disk.bytes))
        } else {
            warnings.append("warning: the image declares no block device; DISK '\(disk)' is not attached")
        }
        if let net = manifest.first(.netBasic) {
            flags.append(Argument("--net:\(net.name)=\(tap)"))
        } else {
            warnings.append("warning: the image declares no network device; ignoring TAP '\(tap)'")
        }
        return (flags, warnings)
    }

    /// The original monitor's line about the disk, once the devices are
    /// attached (`manifest` filled in). With no block device in the image,
    /// DISK is only opened to be measured, and may be empty (/dev/null).
    func announcement(_ manifest: Manifest) throws(MonitorError) -> String {
        var capacity: UInt64, sectorSize: UInt64
        if let block = manifest.first(.blockBasic) {
            (capacity, sectorSize) = (block.capacity, UInt64(block.blockSize))
        } else {
            sectorSize = BlockModule.defaultSectorSize
            let fd: Int32
            (fd, capacity) = try BlockModule.open(name: "DISK", path: disk, sectorSize: sectorSize,
                                                  allowEmpty: true)
            close(fd)
        }
        return "Providing disk: \(capacity / sectorSize) sectors @ \(sectorSize) = \(capacity) bytes"
    }
}
