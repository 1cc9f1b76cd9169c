// MonitorError.swift: every way the monitor can fail that is not a bare
// KVM ioctl error, one case each, with its one-line message and the class
// of failure that decides the exit status (Launch/ExitStatus.swift).

import Image
import KVM
import Support

/// How a failure ends the run (Launch/ExitStatus.swift gives each its code).
package enum FailureClass {
    /// The monitor could not start: usage, image, devices, KVM set-up.
    case startup
    /// The guest did something fatal that the monitor detected.
    case guestFault
    /// A host error at run time.
    case host
}

/// Every failure that is not a bare KVM ioctl error, one case each. The
/// message (without the "ukvm: " prefix) is documented by `description`.
package enum MonitorError: Error, CustomStringConvertible, Equatable {
    // MARK: Command line: .startup
    /// "unknown option 'ARG'; see --help"
    case unknownOption(String)
    /// "FLAG: 'VALUE' is not a valid VALUE-KIND"
    case badValue(flag: String, value: String, expected: String)
    /// "'ARG': expected FORM" (e.g. FORM = "--block:NAME=PATH")
    case malformedFlag(arg: String, form: String)
    /// "FLAG: device name must be 1 to 67 characters (no '=')"
    case badDeviceName(flag: String)
    /// "device 'NAME' is given twice (FLAG)"
    case duplicateDevice(name: String, flag: String)
    /// "missing KERNEL; usage: ukvm [OPTIONS] [--] KERNEL [ARGS...] (see --help)"
    case missingKernel
    /// "guest command line is N bytes, at most 8191 are allowed"
    case commandLineTooLong(Int)
    /// "--mem=N: ..." (too small, too large, cannot hold the image)
    case memorySize(String)
    /// "FLAG: sector size of a device that is not attached: NAME" etc.
    case optionForUnattachedDevice(flag: String, name: String)

    // MARK: Image: .startup
    /// The image layer's own message (Image/ImageError.swift): unreadable,
    /// invalid, ABI mismatch, does not fit.
    case image(ImageError)

    // MARK: Devices: .startup
    /// "device 'NAME' declared in the manifest is not attached; use FLAG"
    case deviceNotAttached(name: String, flag: String)
    /// "device 'NAME' is not declared in the image's manifest"
    case deviceNotDeclared(name: String)
    /// "device 'NAME' is a KIND device in the manifest, not a KIND device"
    case deviceWrongType(name: String, declared: String, given: String)
    /// "block NAME: PATH: REASON"
    case blockDevice(name: String, path: String, reason: String)
    /// "net NAME: IFACE: REASON"
    case netDevice(name: String, iface: String, reason: String)

    // MARK: KVM and host setup: .startup
    /// "cannot set up the VM: REASON"
    case setup(String)
    /// "--gdb: ..." or "--dumpcore=DIR: ...": the debugging flags' set-up
    /// (listening socket, core file directory).
    case debugger(String)

    // MARK: Guest faults: .guestFault
    /// "hypercall argument outside the guest's memory: gpa 0xG, N bytes"
    /// (outside guest memory, or in the low pages the guest cannot use)
    case guestAccess(gpa: UInt64, size: UInt64)
    /// Any other fatal guest condition, e.g. "triple fault" (the run loop
    /// adds " at rip=0x...").
    case guestFault(String)

    // MARK: Host errors at run time: .host
    /// "REASON" (e.g. "console: write: Broken pipe")
    case hostIO(String)

    package var failureClass: FailureClass {
        switch self {
        case .guestAccess, .guestFault: return .guestFault
        case .hostIO: return .host
        default: return .startup
        }
    }

    package var description: String {
        switch self {
        case .unknownOption(let arg):
            return "unknown option '\(arg)'; see --help"
        case .badValue(let flag, let value, let expected):
            return "\(flag): '\(value)' is not a valid \(expected)"
        case .malformedFlag(let arg, let form):
            return "'\(arg)': expected \(form)"
        case .badDeviceName(let flag):
            return "\(flag): device name must be 1 to \(Manifest.nameMax) characters (no '=')"
        case .duplicateDevice(let name, let flag):
            return "device '\(name)' is given twice (\(flag))"
        case .missingKernel:
            return "missing KERNEL; usage: ukvm [OPTIONS] [--] KERNEL [ARGS...] (see --help)"
        case .commandLineTooLong(let n):
            return "guest command line is \(n) bytes, at most \(BootInfo.commandLineMax) are allowed"
        case .memorySize(let reason):
            return reason
        case .optionForUnattachedDevice(let flag, let name):
            return "\(flag): device '\(name)' is not attached"
        case .image(let error):
            return error.description
        case .deviceNotAttached(let name, let flag):
            return "device '\(name)' declared in the manifest is not attached; use \(flag)"
        case .deviceNotDeclared(let name):
            return "device '\(name)' is not declared in the image's manifest"
        case .deviceWrongType(let name, let declared, let given):
            return "device '\(name)' is a \(declared) device in the manifest, not a \(given) device"
        case .blockDevice(let name, let path, let reason):
            return "block \(name): \(path): \(reason)"
        case .netDevice(let name, let iface, let reason):
            return "net \(name): \(iface): \(reason)"
        case .setup(let reason):
            return "cannot set up the VM: \(reason)"
        case .debugger(let reason):
            return reason
        case .guestAccess(let gpa, let size):
            return "hypercall argument outside the guest's memory: gpa \(hex(gpa)), \(size) bytes"
        case .guestFault(let cause):
            return cause
        case .hostIO(let reason):
            return reason
        }
    }
}
