// NetNamespace.swift: a network namespace of the test's own. Everything
// network-related (taps, addresses, the guest, ping) happens inside it, so
// no test traffic can leave the machine, and it is deleted when the object
// goes, however the test ends.

import Foundation

public final class NetNamespace {
    public let name: String

    public init() throws {
        name = "ukvmtest\(getpid())x\(UInt32.random(in: 0...UInt32.max))"
        let r = sh("ip netns add \(name) && ip -n \(name) link set lo up")
        guard r.status == 0 else { throw SetupError("ip netns add \(name): \(r.errorOutput)") }
    }

    /// Creates tap `tap` with `address` (CIDR) inside the namespace, up.
    public func addTap(_ tap: String, address: String) throws {
        let r = sh("ip -n \(name) tuntap add dev \(tap) mode tap && " +
                   "ip -n \(name) addr add \(address) dev \(tap) && " +
                   "ip -n \(name) link set \(tap) up")
        guard r.status == 0 else { throw SetupError("tap \(tap): \(r.errorOutput)") }
    }

    /// A veth pair made inside the namespaces (never in the main one):
    /// `name` here with `address`, its peer `peerName` in `peer` with
    /// `peerAddress`, both up.
    public func addVeth(_ name: String, address: String, peer: NetNamespace, peerName: String,
                        peerAddress: String) throws {
        let r = sh("ip -n \(self.name) link add \(name) type veth peer name \(peerName) netns \(peer.name) && " +
                   "ip -n \(self.name) addr add \(address) dev \(name) && " +
                   "ip -n \(self.name) link set \(name) up && " +
                   "ip -n \(peer.name) addr add \(peerAddress) dev \(peerName) && " +
                   "ip -n \(peer.name) link set \(peerName) up")
        guard r.status == 0 else { throw SetupError("veth \(name): \(r.errorOutput)") }
    }

    /// The namespace's file, for `ctr run --with-ns network:PATH`.
    public var path: String { "/var/run/netns/\(name)" }

    /// argv run inside the namespace.
    public func exec(_ argv: [String]) -> [String] {
        ["/usr/bin/env", "ip", "netns", "exec", name] + argv
    }

    deinit {
        sh("ip netns pids \(name) | xargs -r kill -9; ip netns del \(name)")
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
