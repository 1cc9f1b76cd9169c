// Text.swift: how errors spell errno values and addresses.

import Glibc

/// The text of an errno value, as strerror(3) gives it.
package func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// "0x1f": lower-case hex with the prefix, no padding.
package func hex<T: BinaryInteger>(_ value: T) -> String {
    "0x" + String(value, radix: 16)
}
