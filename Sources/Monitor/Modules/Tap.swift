// Tap.swift: tap devices on the host: finding an interface, attaching to a
// tap interface through /dev/net/tun, and adopting an inherited tap fd.

import CKVM
import Glibc

/// Network interface queries.
enum NetInterface {
    /// Kernel interface names are 1 to 15 bytes and never contain '/'.
    static func isValidName(_ name: String) -> Bool {
        let n = name.utf8.count
        return n >= 1 && n < Int(IFNAMSIZ) && !name.contains("/") && name != "." && name != ".."
    }

    /// Whether the interface exists. Checked before TUNSETIFF, which would
    /// create a missing one.
    static func exists(_ name: String) -> Bool {
        isValidName(name) && access("/sys/class/net/" + name, F_OK) == 0
    }

    /// An ifreq naming `name`.
    static func request(_ name: String) -> ifreq {
        var ifr = ifreq()
        withUnsafeMutableBytes(of: &ifr.ifr_ifrn.ifrn_name) { dst in
            for (i, byte) in name.utf8.prefix(dst.count - 1).enumerated() { dst[i] = byte }
        }
        return ifr
    }

    /// The name in an ifreq.
    static func name(of ifr: ifreq) -> String {
        var ifr = ifr
        return withUnsafeBytes(of: &ifr.ifr_ifrn.ifrn_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// SIOCGIFFLAGS or SIOCGIFMTU on `name` through a throwaway socket.
    /// Returns nil (errno set) on failure.
    static func query(_ name: String, _ request: UInt) -> ifreq? {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return nil }
        defer { close(sock) }
        var ifr = NetInterface.request(name)
        guard ckvm_ioctl(sock, request, &ifr) == 0 else { return nil }
        return ifr
    }
}

/// A tap the net module reads and writes frames through.
enum Tap {
    /// What a device uses when its fd does not tell its interface's MTU.
    static let defaultMTU: UInt64 = 1500
    /// The smallest MTU an IPv4 interface may have.
    static let minMTU: UInt64 = 68

    /// Attaches to the existing tap interface `iface`, which must be up:
    /// returns its fd (non-blocking) and MTU. `fail` builds the error.
    static func open(_ iface: String, exists: (String) -> Bool,
                     fail: (String) -> MonitorError) throws(MonitorError) -> (fd: Int32, mtu: UInt64) {
        guard exists(iface) else { throw fail("no such network interface") }
        guard let flags = NetInterface.query(iface, ckvm_SIOCGIFFLAGS) else {
            throw fail("SIOCGIFFLAGS: \(errnoText(errno))")
        }
        guard Int32(flags.ifr_ifru.ifru_flags) & Int32(IFF_UP) != 0 else {
            throw fail("interface is down")
        }
        let fd = Glibc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw fail("/dev/net/tun: \(errnoText(errno))") }
        var ifr = NetInterface.request(iface)
        ifr.ifr_ifru.ifru_flags = Int16(IFF_TAP | IFF_NO_PI)
        guard ckvm_ioctl(fd, ckvm_TUNSETIFF, &ifr) == 0 else {
            let e = errno
            close(fd)
            switch e {
            case EINVAL: throw fail("not a tap interface")
            case EBUSY: throw fail("tap is busy (in use by another process?)")
            default: throw fail("TUNSETIFF: \(errnoText(e))")
            }
        }
        guard let m = NetInterface.query(iface, ckvm_SIOCGIFMTU) else {
            let e = errno
            close(fd)
            throw fail("SIOCGIFMTU: \(errnoText(e))")
        }
        do {
            return (fd, try checkedMTU(UInt64(clamping: m.ifr_ifru.ifru_mtu), fail))
        } catch {
            close(fd)
            throw error
        }
    }

    /// Adopts the inherited tap fd `fd` (from "@FD"): makes it non-blocking
    /// and returns it with its interface's MTU.
    static func adopt(_ fd: Int32, fail: (String) -> MonitorError) throws(MonitorError) -> (fd: Int32, mtu: UInt64) {
        guard fcntl(fd, F_GETFD) >= 0 else { throw fail("not an open file descriptor") }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw fail("cannot make it non-blocking: \(errnoText(errno))")
        }
        var ifr = ifreq()
        var mtu = defaultMTU
        if ckvm_ioctl(fd, ckvm_TUNGETIFF, &ifr) == 0,
           let m = NetInterface.query(NetInterface.name(of: ifr), ckvm_SIOCGIFMTU) {
            mtu = UInt64(clamping: m.ifr_ifru.ifru_mtu)
        }
        return (fd, try checkedMTU(mtu, fail))
    }

    /// An MTU whose largest frame (ukvm_net_tx_max) still fits a u16.
    private static func checkedMTU(_ mtu: UInt64, _ fail: (String) -> MonitorError) throws(MonitorError) -> UInt64 {
        guard mtu >= minMTU, ukvm_net_tx_max(mtu) <= UInt64(UInt16.max) else {
            throw fail("unsupported MTU \(mtu)")
        }
        return mtu
    }
}
