// Placeholders.swift: how the guest learns its network configuration. The
// container's interfaces belong to the container (CNI or the user set them
// up), and the guest answers for them, so its command line carries their
// settings: process.args may hold placeholders that ukvm-oci fills in at
// create from the interface serving the named device (docs/oci.md):
//
//   {{NAME.ip}} {{NAME.prefix}} {{NAME.cidr}} {{NAME.netmask}}
//   {{NAME.gateway}} {{NAME.mac}} {{NAME.mtu}}
//
// NAME is the manifest's device name or the interface's name (eth0).

import Monitor

enum Placeholders {
    static let keys = ["ip", "prefix", "cidr", "netmask", "gateway", "mac", "mtu"]

    /// Whether any argument holds a placeholder.
    static func present(_ args: [String]) -> Bool {
        args.contains { $0.contains("{{") }
    }

    /// `args` with every placeholder replaced; `interfaces` maps device and
    /// interface names to their facts.
    static func fill(_ args: [String], interfaces: [String: InterfaceFacts]) throws(OCIError) -> [String] {
        var out: [String] = []
        for arg in args {
            out.append(try fill(arg, interfaces: interfaces))
        }
        return out
    }

    static func fill(_ arg: String, interfaces: [String: InterfaceFacts]) throws(OCIError) -> String {
        var result = ""
        var rest = Substring(arg)
        while let open = rest.firstRange(of: "{{") {
            result += rest[rest.startIndex..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw OCIError("process.args: \"\(arg)\": unterminated {{ placeholder")
            }
            let body = String(rest[open.upperBound..<close.lowerBound])
            result += try value(body, interfaces: interfaces)
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    private static func value(_ body: String, interfaces: [String: InterfaceFacts]) throws(OCIError) -> String {
        guard let dot = body.lastIndex(of: ".") else {
            throw OCIError("placeholder {{\(body)}}: expected {{DEVICE.KEY}}, KEY one of \(keys.joined(separator: ", "))")
        }
        let name = String(body[..<dot]), key = String(body[body.index(after: dot)...])
        guard let f = interfaces[name] else {
            throw OCIError("placeholder {{\(body)}}: '\(name)' is neither a network device of the image "
                + "nor the interface serving one")
        }
        func ipv4() throws(OCIError) -> (address: UInt32, prefix: Int) {
            guard let a = f.ipv4 else {
                throw OCIError("placeholder {{\(body)}}: interface \(f.name) has no IPv4 address")
            }
            return a
        }
        switch key {
        case "ip": return InterfaceFacts.dotted(try ipv4().address)
        case "prefix": return String(try ipv4().prefix)
        case "cidr":
            let a = try ipv4()
            return InterfaceFacts.dotted(a.address) + "/" + String(a.prefix)
        case "netmask":
            let p = try ipv4().prefix
            return InterfaceFacts.dotted(p == 0 ? 0 : ~UInt32(0) << (32 - p))
        case "gateway":
            guard let g = f.gateway else {
                throw OCIError("placeholder {{\(body)}}: no default route through \(f.name)")
            }
            return InterfaceFacts.dotted(g)
        case "mac": return MAC.format(f.mac)
        case "mtu": return String(f.mtu)
        default:
            throw OCIError("placeholder {{\(body)}}: unknown key '\(key)', expected one of \(keys.joined(separator: ", "))")
        }
    }
}

