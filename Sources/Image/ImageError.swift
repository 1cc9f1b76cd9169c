// ImageError.swift: why an image file cannot run, with its path: the one
// line the monitor, solo5-elftool and ukvm-oci print for it.

import Support

/// Why the image at `path` was refused. Every case is a start-up failure
/// for the monitor (Launch/ExitStatus.swift).
package enum ImageError: Error, Equatable, CustomStringConvertible {
    /// "PATH: cannot read: REASON"
    case unreadable(path: String, reason: String)
    /// "PATH: not a valid ukvm image: REASON"
    case invalid(path: String, reason: String)
    /// "PATH: ABI mismatch: image is for target T version V, this monitor
    /// runs hvt version 2"
    case abiMismatch(path: String, target: UInt32, version: UInt32)
    /// "PATH: the image ends at 0xE, beyond guest memory of N MiB (use
    /// --mem=M or more; ...)": the memory plan cannot hold it.
    case doesNotFit(path: String, end: UInt64, memorySize: UInt64)

    /// `problem`, found in the bytes of the image at `path`.
    package init(_ problem: ImageProblem, path: String, memorySize: UInt64) {
        switch problem {
        case .invalid(let reason): self = .invalid(path: path, reason: reason)
        case .abiMismatch(let target, let version): self = .abiMismatch(path: path, target: target, version: version)
        case .doesNotFit(let end): self = .doesNotFit(path: path, end: end, memorySize: memorySize)
        }
    }

    package var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .invalid(let path, let reason):
            return "\(path): not a valid ukvm image: \(reason)"
        case .abiMismatch(let path, let target, let version):
            return "\(path): ABI mismatch: image is for target \(ABINote.targetName(target)) "
                + "version \(version), this monitor runs hvt version \(ABINote.expectedVersion)"
        case .doesNotFit(let path, let end, let memorySize):
            // The smallest --mem that holds the image: whole 2 MiB pages.
            let mib = (end &+ X86.largePageSize &- 1) / X86.largePageSize * 2
            return "\(path): the image ends at \(hex(end)), beyond guest memory of "
                + "\(memorySize >> 20) MiB (use --mem=\(mib) or more; the guest needs room for "
                + "its heap and stack too)"
        }
    }
}
