// TapRedirect.swift: serving a guest's network device from a container
// interface. Inside the container's network namespace (never the host's),
// a tap is created for the device, given the interface's MTU and brought
// up, and tc redirects every frame in both directions:
//
//   IFACE ingress --mirred egress redirect--> tap  (to the guest)
//   tap ingress   --mirred egress redirect--> IFACE (from the guest)
//
// The guest uses the interface's MAC, so the peer sees the same station
// CNI set up. The tap carries virtio-net headers (IFF_VNET_HDR, the 10-byte
// header): the monitor finds that on the descriptor and offers the guest
// large send, so a container sends TCP in 64 KiB frames as on a tap the
// monitor attaches by name (docs/extensions.md). The tap is not persistent: it goes when the monitor's fd
// closes, however the monitor ends; `remove` takes the ingress qdisc off the
// interface (run by the monitor when it ends, and again by `delete`).

import CNetIf
import COCI
import Glibc
import Support

struct TapRedirect {
    let interface: String
    let tap: String
    let fd: Int32

    /// The tap's name: short (IFNAMSIZ), per container and device, so two
    /// containers sharing a namespace (one pod) cannot collide.
    static func tapName(containerID: String, index: Int) -> String {
        var hash: UInt32 = 2166136261
        for b in containerID.utf8 { hash = (hash ^ UInt32(b)) &* 16777619 }
        let hex = String(hash & 0xffffff, radix: 16)
        return "ukvm\(index)-" + String(repeating: "0", count: 6 - hex.count) + hex
    }

    /// Creates the tap and the redirects for `facts`' interface.
    static func setUp(_ facts: InterfaceFacts, tap: String) throws(OCIError) -> TapRedirect {
        guard facts.up else {
            throw OCIError("interface \(facts.name) is down in the container's network namespace")
        }
        let fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .system("/dev/net/tun", errno: errno) }
        do throws(OCIError) {
            guard netif_tap_attach_vnet(fd, tap) == 0 else { throw .system("tap \(tap): TUNSETIFF", errno: errno) }
            guard netif_tap_set_vnet_size(fd, Int32(MemoryLayout<virtio_net_hdr>.size)) == 0 else {
                throw .system("tap \(tap): TUNSETVNETHDRSZ", errno: errno)
            }
            try configure(tap, mtu: facts.mtu)
            try redirect(from: facts.name, to: tap)
            try redirect(from: tap, to: facts.name)
        } catch {
            close(fd)
            remove(interface: facts.name)
            throw error
        }
        return TapRedirect(interface: facts.name, tap: tap, fd: fd)
    }

    private static func configure(_ tap: String, mtu: Int) throws(OCIError) {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw .system("socket", errno: errno) }
        defer { close(sock) }
        guard netif_set_mtu(sock, tap, Int32(mtu)) == 0 else { throw .system("tap \(tap): MTU \(mtu)", errno: errno) }
        var flags: Int16 = 0
        guard netif_get_flags(sock, tap, &flags) == 0,
              netif_set_flags(sock, tap, flags | Int16(IFF_UP)) == 0 else {
            throw .system("tap \(tap): up", errno: errno)
        }
    }

    private static func redirect(from source: String, to target: String) throws(OCIError) {
        try tc(["qdisc", "add", "dev", source, "ingress"])
        // u32 matching everything: built into more kernels than matchall.
        try tc(["filter", "add", "dev", source, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
                "action", "mirred", "egress", "redirect", "dev", target])
    }

    /// Takes the redirect off `interface` (its ingress qdisc and filter);
    /// quietly does nothing when there is none.
    static func remove(interface: String) {
        _ = try? tc(["qdisc", "del", "dev", interface, "ingress"])
    }

    private static func tc(_ args: [String]) throws(OCIError) {
        guard let tc = Program.find("tc") else {
            throw OCIError("tc (iproute2) is not installed; it redirects the container's interfaces to the guest")
        }
        let (status, output) = try Program.run([tc] + args)
        guard status == 0 else {
            let text = output.split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
            throw OCIError("tc \(args.joined(separator: " ")): \(text)")
        }
    }
}
