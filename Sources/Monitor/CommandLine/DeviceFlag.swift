// DeviceFlag.swift: the `--KIND:NAME=VALUE` flags of device modules, and
// decimal values without sign, spaces or overflow.

/// Helpers for the `--KIND:NAME=VALUE` flags of device modules.
enum DeviceFlag {
    /// If `arg` starts with `prefix` ("--block:"), its NAME and VALUE.
    /// `form` (e.g. "--block:NAME=PATH") is shown when it is malformed.
    static func parse(_ arg: String, prefix: String, form: String) throws(MonitorError)
        -> (name: String, value: String)? {
        guard arg.hasPrefix(prefix) else { return nil }
        let body = arg.dropFirst(prefix.count)
        guard let eq = body.firstIndex(of: "=") else { throw .malformedFlag(arg: arg, form: form) }
        let name = String(body[body.startIndex..<eq])
        let value = String(body[body.index(after: eq)...])
        let flag = String(prefix.dropLast())
        guard !name.isEmpty, name.utf8.count <= Manifest.nameMax else {
            throw .badDeviceName(flag: flag)
        }
        guard !value.isEmpty else { throw .malformedFlag(arg: arg, form: form) }
        return (name, value)
    }

    /// A decimal number without sign, spaces or overflow.
    static func decimal(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}
