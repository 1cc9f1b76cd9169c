// MAC.swift: MAC addresses for --net-mac and the default random one.

import Glibc

/// MAC addresses: "aa:bb:cc:dd:ee:ff", the one spelling of the monitor's
/// flags and of ukvm-oci's placeholders.
package enum MAC {
    /// Six colon-separated hex pairs of a unicast address, else nil.
    static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for p in parts {
            guard p.utf8.count == 2, p.utf8.allSatisfy({ isHexDigit($0) }),
                  let b = UInt8(p, radix: 16) else { return nil }
            bytes.append(b)
        }
        guard bytes[0] & 1 == 0 else { return nil }  // multicast bit
        return bytes
    }

    /// A random locally administered unicast address, from /dev/urandom.
    static func random() -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 6)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 6) }
        guard n == 6 else { return nil }
        bytes[0] = (bytes[0] & 0xfe) | 0x02
        return bytes
    }

    package static func format(_ mac: [UInt8]) -> String {
        mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }
}
