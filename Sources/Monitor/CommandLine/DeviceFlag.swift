// DeviceFlag.swift: the `--KIND:NAME=VALUE` flags of device modules, and
// decimal values without sign, spaces or overflow.

import Image
import Support

/// Helpers for the `--KIND:NAME=VALUE` flags of device modules.
enum DeviceFlag {
    /// If `arg` starts with `prefix` ("--block:"), its NAME and VALUE.
    /// `form` (e.g. "--block:NAME=PATH") is shown when it is malformed.
    /// NAME is text (manifest names are UTF-8); VALUE keeps its bytes (a
    /// path need not be UTF-8).
    static func parse(_ arg: Argument, prefix: String, form: String) throws(MonitorError)
        -> (name: String, value: Argument)? {
        guard arg.hasPrefix(prefix) else { return nil }
        guard let (rawName, value) = arg.dropFirst(prefix.utf8.count).split(at: UInt8(ascii: "=")) else {
            throw .malformedFlag(arg: arg.description, form: form)
        }
        let flag = String(prefix.dropLast())
        guard let name = rawName.text, !name.isEmpty, name.utf8.count <= Manifest.nameMax else {
            throw .badDeviceName(flag: flag)
        }
        guard !value.isEmpty else { throw .malformedFlag(arg: arg.description, form: form) }
        return (name, value)
    }

    /// VALUE of `flag` as text, or a bad-value error naming `expected`.
    static func text(_ value: Argument, flag: String, expected: String) throws(MonitorError) -> String {
        guard let text = value.text else {
            throw .badValue(flag: flag, value: value.description, expected: expected)
        }
        return text
    }

    /// A decimal number without sign, spaces or overflow.
    static func decimal(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}
