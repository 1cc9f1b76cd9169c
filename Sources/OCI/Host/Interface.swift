// Interface.swift: what the guest learns from the container's interface
// serving one of its network devices: MAC, MTU, IPv4 address and prefix,
// and the default gateway through it. Read in the calling thread's network
// namespace (after setns), with ioctls and /proc/self/net/route: never
// /sys/class/net, which shows the namespace sysfs was mounted in.

import CNetIf
import COCI
import Glibc
import Monitor
import Support

struct InterfaceFacts: Equatable {
    var name: String
    var mac: [UInt8]
    var mtu: Int
    var up: Bool
    /// IPv4 address and prefix length, when the interface has one.
    var ipv4: (address: UInt32, prefix: Int)?
    /// The default route's gateway through this interface, if any.
    var gateway: UInt32?

    static func == (a: InterfaceFacts, b: InterfaceFacts) -> Bool {
        a.name == b.name && a.mac == b.mac && a.mtu == b.mtu && a.up == b.up
            && a.ipv4?.address == b.ipv4?.address && a.ipv4?.prefix == b.ipv4?.prefix
            && a.gateway == b.gateway
    }

    /// The facts of interface `name` in the current network namespace.
    static func read(_ name: String) throws(OCIError) -> InterfaceFacts {
        guard let flags = NetInterface.flags(name) else {
            throw OCIError("interface \(name): \(errnoText(errno)) in the container's network namespace")
        }
        guard let mtu = NetInterface.mtu(name), let mac = NetInterface.mac(name) else {
            throw .system("interface \(name)", errno: errno)
        }
        var facts = InterfaceFacts(name: name, mac: mac, mtu: Int(mtu), up: flags & Int32(IFF_UP) != 0)
        facts.ipv4 = NetInterface.ipv4(name)
        if let table = try? Files.read("/proc/self/net/route", limit: 1 << 20) {
            facts.gateway = defaultGateway(String(decoding: table, as: UTF8.self), interface: name)
        }
        return facts
    }

    /// The gateway of the default route via `interface` in the text of
    /// /proc/net/route (hex fields in the host's byte order, little-endian
    /// on x86).
    static func defaultGateway(_ table: String, interface: String) -> UInt32? {
        for line in table.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 8, f[0] == interface, f[1] == "00000000", f[7] == "00000000",
                  let flags = UInt32(f[3], radix: 16), flags & 0x3 == 0x3,
                  let raw = UInt32(f[2], radix: 16) else { continue }
            return UInt32(littleEndian: raw).byteSwapped
        }
        return nil
    }

    static func dotted(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }
}
