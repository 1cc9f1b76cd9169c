// Argument.swift: one command-line argument as the kernel handed it over:
// bytes, not necessarily UTF-8.
//
// Paths (the kernel, disks) and the guest's command line are passed on
// byte for byte, so that a file whose name is not UTF-8 still opens and the
// guest sees exactly the bytes it was given. Flags, device names, numbers
// and interface names are compared as text; messages show bytes that are
// not UTF-8 as U+FFFD.

package struct Argument: Equatable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    package let bytes: [UInt8]

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    package init(_ text: String) {
        bytes = Array(text.utf8)
    }

    package init(stringLiteral text: String) {
        self.init(text)
    }

    /// The argument for messages: bytes that are not UTF-8 show as U+FFFD.
    package var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The argument as text, if it is valid UTF-8.
    package var text: String? { String(validating: bytes, as: UTF8.self) }

    package var isEmpty: Bool { bytes.isEmpty }

    package func hasPrefix(_ prefix: String) -> Bool {
        bytes.starts(with: prefix.utf8)
    }

    /// The argument without its first `count` bytes.
    package func dropFirst(_ count: Int) -> Argument {
        Argument(bytes: Array(bytes.dropFirst(count)))
    }

    /// The bytes before and after the first `separator`, or nil without one.
    package func split(at separator: UInt8) -> (before: Argument, after: Argument)? {
        guard let i = bytes.firstIndex(of: separator) else { return nil }
        return (Argument(bytes: Array(bytes[..<i])), Argument(bytes: Array(bytes[(i + 1)...])))
    }

    /// `parts` joined by `separator`, byte for byte (the guest's command line).
    package static func joined(_ parts: [Argument], separator: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for (i, p) in parts.enumerated() {
            if i > 0 { out.append(separator) }
            out += p.bytes
        }
        return out
    }

    /// Calls `body` with the argument as a NUL-terminated path. Returns nil
    /// without calling it if the argument holds a NUL byte, which no path
    /// can (only a front end that builds its arguments itself can pass one).
    package func withPath<R>(_ body: (UnsafePointer<CChar>) -> R) -> R? {
        guard !bytes.contains(0) else { return nil }
        return (bytes + [0]).withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
