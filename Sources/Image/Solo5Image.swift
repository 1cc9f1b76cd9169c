// Solo5Image.swift: what a runtime built on the monitor (ukvm-oci) may learn
// about an image before running it: the same parser and checks as a run,
// exposed as a small public summary.

import Support

/// A validated hvt image's target, and the devices its manifest declares.
public struct Solo5Image: Sendable {
    public enum DeviceKind: String, Sendable {
        case block
        case net
    }

    public struct Device: Equatable, Sendable {
        public let name: String
        public let kind: DeviceKind
    }

    /// Declared devices in manifest order (the reserved entry left out).
    public let devices: [Device]
    /// Whether the image starts at CPL 3 (our CPL3 note).
    public let cpl3: Bool

    /// Reads and validates the image at `path` as a run with `memoryBytes`
    /// of guest memory would. Throws the run's own one-line message
    /// (unreadable, malformed, ABI mismatch, does not fit).
    public static func inspect(path: String, memoryBytes: UInt64) throws(Solo5ImageError) -> Solo5Image {
        do throws(ImageError) {
            let image = try ELF.read(path: Argument(path), memorySize: memoryBytes)
            let devices = image.manifest.entries.dropFirst().map { (e: Manifest.Entry) -> Device in
                Device(name: e.name, kind: e.type == Manifest.DeviceType.blockBasic ? .block : .net)
            }
            return Solo5Image(devices: devices, cpl3: image.cpl3 != nil)
        } catch {
            throw Solo5ImageError(message: error.description)
        }
    }
}

/// Why an image cannot run: the monitor's own message for it.
public struct Solo5ImageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
