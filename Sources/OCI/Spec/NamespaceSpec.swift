// NamespaceSpec.swift: linux.namespaces of config.json: which namespaces
// the container process creates (no path) or joins (a path, such as a
// pod's shared IPC, UTS or network namespace).

struct NamespaceSpec: Equatable {
    enum Kind: String, CaseIterable {
        case pid, ipc, uts, mount, cgroup, network
    }

    let kind: Kind
    /// The namespace to join; nil: a new one.
    let path: String?

    /// Every entry of linux.namespaces; types ukvm-oci cannot honour are
    /// refused by name rather than silently shared with the host.
    static func parse(_ linux: FieldReader) throws(OCIError) -> [NamespaceSpec] {
        var out: [NamespaceSpec] = []
        for ns in try linux.objects("namespaces") {
            let type = try ns.string("type")
            guard let kind = Kind(rawValue: type) else {
                switch type {
                case "user":
                    throw OCIError("config.json: linux.namespaces: a user namespace is not supported "
                        + "(the monitor needs /dev/kvm and its network set-up as the host's root)")
                case "time":
                    throw OCIError("config.json: linux.namespaces: a time namespace is not supported")
                default:
                    throw OCIError("config.json: linux.namespaces: unknown type \"\(type)\"")
                }
            }
            guard !out.contains(where: { $0.kind == kind }) else {
                throw OCIError("config.json: linux.namespaces: \(type) is listed twice")
            }
            let path = try ns.optionalString("path")
            out.append(NamespaceSpec(kind: kind, path: (path?.isEmpty ?? true) ? nil : path))
        }
        return out
    }
}
