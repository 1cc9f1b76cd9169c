// CPUIDCacheChoice.swift: where the monitor keeps its supported-CPUID
// cache (KVM/SupportedCPUIDCache.swift), from --x-cpuid-cache and who runs
// it:
//
//   root                       /run/ukvm/ (a tmpfs: gone at reboot, as the
//                              answer's validity is)
//   another user               $XDG_RUNTIME_DIR/ukvm/ (the same, per user),
//                              if set; otherwise no cache
//   --x-cpuid-cache=DIR        DIR
//   --x-cpuid-cache=off        no cache
//
// The directory is made 0700 where it is missing. ukvm-oci runs with no
// cache: its monitor may be in a mount namespace that is the container's.

import Glibc
import KVM
import Support

package enum CPUIDCacheChoice: Equatable {
    /// /run/ukvm for root, $XDG_RUNTIME_DIR/ukvm for others.
    case standard
    case off
    case directory(Argument)

    /// The flag's form, for messages.
    static let flag = "--x-cpuid-cache"

    /// The choice `arg` makes, or nil if `arg` is another flag.
    static func parse(_ arg: Argument) throws(MonitorError) -> CPUIDCacheChoice? {
        if arg == Argument(flag) { throw .malformedFlag(arg: flag, form: "\(flag)=DIR or \(flag)=off") }
        guard arg.hasPrefix(flag + "=") else { return nil }
        let value = arg.dropFirst(flag.utf8.count + 1)
        if value == "off" { return .off }
        guard !value.isEmpty, !value.bytes.contains(0) else {
            throw .badValue(flag: flag, value: value.description, expected: "directory (or off)")
        }
        return .directory(value)
    }

    /// The cache this choice names for this process, or nil for none.
    var cache: SupportedCPUIDCache? {
        switch self {
        case .off:
            return nil
        case .directory(let path):
            return SupportedCPUIDCache(directory: path.bytes)
        case .standard:
            if geteuid() == 0 { return SupportedCPUIDCache(directory: Array("/run/ukvm".utf8)) }
            // Only an absolute path: a relative one would follow the
            // working directory.
            guard let runtime = getenv("XDG_RUNTIME_DIR"), runtime.pointee == UInt8(ascii: "/") else { return nil }
            return SupportedCPUIDCache(directory: Array(String(cString: runtime).utf8) + Array("/ukvm".utf8))
        }
    }
}
