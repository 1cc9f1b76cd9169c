// NetInterface.swift: questions about the host's network interfaces, by
// name, in the calling thread's network namespace: the monitor's net
// module asks them of a tap, ukvm-oci of a container's interface.

import CNetIf
import Glibc

package enum NetInterface {
    /// Kernel interface names are 1 to 15 bytes and never contain '/'.
    package static func isValidName(_ name: String) -> Bool {
        let n = name.utf8.count
        return n >= 1 && n < Int(IFNAMSIZ) && !name.contains("/") && name != "." && name != ".."
    }

    /// Whether the interface exists. Checked before TUNSETIFF, which would
    /// create a missing one. (/sys/class/net shows the namespace sysfs was
    /// mounted in: right for the monitor, not after a setns.)
    package static func exists(_ name: String) -> Bool {
        isValidName(name) && access("/sys/class/net/" + name, F_OK) == 0
    }

    /// The interface's flags (SIOCGIFFLAGS: IFF_UP, ...); nil, errno set,
    /// on failure.
    package static func flags(_ name: String) -> Int32? {
        withSocket { sock in
            var flags: Int16 = 0
            return netif_get_flags(sock, name, &flags) == 0 ? Int32(flags) & 0xffff : nil
        }
    }

    /// The interface's MTU (SIOCGIFMTU); nil, errno set, on failure.
    package static func mtu(_ name: String) -> Int32? {
        withSocket { sock in
            var mtu: Int32 = 0
            return netif_get_mtu(sock, name, &mtu) == 0 ? mtu : nil
        }
    }

    /// The interface's MAC address (SIOCGIFHWADDR); nil, errno set, on failure.
    package static func mac(_ name: String) -> [UInt8]? {
        withSocket { sock in
            var mac = [UInt8](repeating: 0, count: 6)
            return netif_get_mac(sock, name, &mac) == 0 ? mac : nil
        }
    }

    /// The interface's primary IPv4 address (host byte order) and prefix
    /// length; nil when it has none.
    package static func ipv4(_ name: String) -> (address: UInt32, prefix: Int)? {
        withSocket { sock in
            var address: UInt32 = 0, mask: UInt32 = 0
            guard netif_get_ipv4(sock, name, &address, &mask) == 0 else { return nil }
            return (UInt32(bigEndian: address), UInt32(bigEndian: mask).nonzeroBitCount)
        }
    }

    /// `body` with a throwaway socket for interface ioctls; nil, errno set,
    /// if there is none.
    package static func withSocket<T>(_ body: (Int32) -> T?) -> T? {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return nil }
        defer {
            let e = errno
            close(sock)
            errno = e
        }
        return body(sock)
    }
}
