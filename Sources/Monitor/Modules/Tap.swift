// Tap.swift: tap devices on the host: attaching to a tap interface through
// /dev/net/tun, and checking an inherited tap fd.

import CKVM
import CNetIf
import CSys
import Glibc
import Support

/// A tap the net module reads and writes frames through.
enum Tap {
    /// The smallest MTU an IPv4 interface may have.
    static let minMTU: UInt64 = 68

    /// Attaches to the existing tap interface `iface`, which must be up:
    /// returns its fd (non-blocking) and MTU. With `vnetHeader` every frame
    /// read or written starts with a struct virtio_net_hdr (for large send,
    /// LargeSend.swift). `fail` builds the error.
    static func open(_ iface: String, vnetHeader: Bool, exists: (String) -> Bool,
                     fail: (String) -> MonitorError) throws(MonitorError) -> (fd: Int32, mtu: UInt64) {
        guard exists(iface) else { throw fail("no such network interface") }
        guard let flags = NetInterface.flags(iface) else {
            throw fail("SIOCGIFFLAGS: \(errnoText(errno))")
        }
        guard flags & Int32(IFF_UP) != 0 else {
            throw fail("interface is down")
        }
        let fd = Glibc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw fail("/dev/net/tun: \(errnoText(errno))") }
        guard (vnetHeader ? netif_tap_attach_vnet(fd, iface) : netif_tap_attach(fd, iface)) == 0 else {
            let e = errno
            close(fd)
            switch e {
            case EINVAL: throw fail("not a tap interface")
            case EBUSY: throw fail("tap is busy (in use by another process?)")
            default: throw fail("TUNSETIFF: \(errnoText(e))")
            }
        }
        guard let mtu = NetInterface.mtu(iface) else {
            let e = errno
            close(fd)
            throw fail("SIOCGIFMTU: \(errnoText(e))")
        }
        do {
            return (fd, try checkedMTU(UInt64(clamping: mtu), fail))
        } catch {
            close(fd)
            throw error
        }
    }

    /// Checks the inherited fd `fd` (from "@FD"): it must be a tap attached
    /// to an interface in this network namespace, frames without packet
    /// information or virtio headers, readable without blocking per call.
    /// Its file description is shared with whoever passed it, so it is
    /// left as it is (blocking or not): reads and writes use RWF_NOWAIT.
    /// Returns the interface's name and MTU. Runs before the monitor opens
    /// anything, so that `fd` cannot be one of the monitor's own files.
    static func inherit(_ fd: Int32, fail: (String) -> MonitorError) throws(MonitorError) -> (name: String, mtu: UInt64) {
        guard fcntl(fd, F_GETFD) >= 0 else { throw fail("not an open file descriptor") }
        var nameBytes = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        var tapFlags: Int16 = 0
        guard netif_tap_query(fd, &nameBytes, &tapFlags) == 0 else {
            let e = errno
            throw fail(e == EBADFD ? "a tun/tap file not attached to an interface"
                                   : "not a tap device (TUNGETIFF: \(errnoText(e)))")
        }
        let flags = Int32(tapFlags) & 0xffff
        guard flags & Int32(IFF_TUN | IFF_TAP) == Int32(IFF_TAP) else { throw fail("a tun device, not a tap") }
        guard flags & Int32(IFF_NO_PI) != 0 else { throw fail("the tap adds packet information (IFF_NO_PI is off)") }
        guard flags & Int32(IFF_VNET_HDR) == 0 else { throw fail("the tap adds virtio-net headers (IFF_VNET_HDR)") }
        let name = String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let mtu = NetInterface.mtu(name) else {
            throw fail("cannot read the MTU of its interface \(name) (\(errnoText(errno))); "
                + "is the interface in another network namespace?")
        }
        // A read of nothing tells whether the kernel takes RWF_NOWAIT here.
        var none: UInt8 = 0
        if csys_read_nowait(fd, &none, 0) < 0 && errno == EOPNOTSUPP {
            throw fail("this kernel cannot read the tap without blocking unless the shared file "
                + "description is made non-blocking (no RWF_NOWAIT); attach the tap by name")
        }
        return (name, try checkedMTU(UInt64(clamping: mtu), fail))
    }

    /// An MTU whose largest frame (ukvm_net_tx_max) still fits a u16.
    private static func checkedMTU(_ mtu: UInt64, _ fail: (String) -> MonitorError) throws(MonitorError) -> UInt64 {
        guard mtu >= minMTU, ukvm_net_tx_max(mtu) <= UInt64(UInt16.max) else {
            throw fail("unsupported MTU \(mtu)")
        }
        return mtu
    }
}
