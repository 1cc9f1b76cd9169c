// RuntimeSpec.swift: the parts of an OCI runtime spec (config.json) that
// ukvm-oci uses, read strictly from JSON: a wrong type for a field we use
// is an error naming the field; fields we do not use are ignored, except
// those that ask for something we cannot do (docs/oci.md lists them).

import JSON
import Monitor

struct RuntimeSpec: Equatable {
    enum NetworkNamespace: Equatable {
        /// No network namespace in the spec: the host's own.
        case host
        /// A new, empty namespace (no path).
        case new
        /// An existing namespace to join.
        case path(String)
    }

    struct Mount: Equatable {
        let destination: String
        let source: String
        let type: String
        let options: [String]

        var isBind: Bool { type == "bind" || options.contains("bind") || options.contains("rbind") }
    }

    var ociVersion = ""
    var rootPath = ""
    var args: [String] = []
    var terminal = false
    var mounts: [Mount] = []
    var annotations: [(String, String)] = []
    var network = NetworkNamespace.host
    /// linux.resources.memory.limit in bytes, when positive.
    var memoryLimit: UInt64?
    /// linux.resources as the cgroup applies it (Cgroups/).
    var resources = CgroupResources()
    var cgroupsPath: String?
    /// linux.namespaces, every type (network also in `network`).
    var namespaces: [NamespaceSpec] = []
    var hostname: String?
    /// The hooks to run (Hooks/).
    var hooks = Hooks()

    static func == (a: RuntimeSpec, b: RuntimeSpec) -> Bool {
        a.ociVersion == b.ociVersion && a.rootPath == b.rootPath && a.args == b.args
            && a.terminal == b.terminal && a.mounts == b.mounts && a.network == b.network
            && a.memoryLimit == b.memoryLimit && a.hooks == b.hooks
            && a.annotations.map { $0.0 + "=" + $0.1 } == b.annotations.map { $0.0 + "=" + $0.1 }
    }

    func annotation(_ key: String) -> String? {
        annotations.first { $0.0 == key }?.1
    }

    /// The largest config.json read.
    static let maxSize = 4 << 20

    /// Parses config.json's bytes.
    static func parse(_ bytes: [UInt8]) throws(OCIError) -> RuntimeSpec {
        let json: JSON
        do throws(JSONError) {
            json = try JSON.parse(bytes)
        } catch {
            throw OCIError("config.json: \(error)")
        }
        let r = FieldReader(json: json, path: "")
        var spec = RuntimeSpec()
        spec.ociVersion = try r.string("ociVersion")
        guard spec.ociVersion.hasPrefix("1.") else {
            throw OCIError("config.json: ociVersion \"\(spec.ociVersion)\" is not supported (1.x is)")
        }
        let root = try r.object("root", required: true)
        spec.rootPath = try root.string("path")
        let process = try r.object("process", required: true)
        spec.args = try process.strings("args")
        guard !spec.args.isEmpty, !spec.args[0].isEmpty else {
            throw OCIError("config.json: process.args is empty; its first element must name the unikernel image")
        }
        spec.terminal = try process.bool("terminal") ?? false
        for m in try r.objects("mounts") {
            spec.mounts.append(Mount(destination: try m.string("destination"),
                                     source: try m.optionalString("source") ?? "",
                                     type: try m.optionalString("type") ?? "",
                                     options: try m.strings("options", required: false)))
        }
        spec.annotations = try r.stringMap("annotations")
        spec.hooks = try Hooks.parse(try r.object("hooks", required: false))
        let linux = try r.object("linux", required: false)
        spec.network = try networkNamespace(linux)
        let memory = try linux.object("resources", required: false).object("memory", required: false)
        if let limit = try memory.int64("limit"), limit > 0 { spec.memoryLimit = UInt64(limit) }
        spec.resources = try CgroupResources.parse(try linux.object("resources", required: false))
        spec.cgroupsPath = try linux.optionalString("cgroupsPath").flatMap { $0.isEmpty ? nil : $0 }
        spec.namespaces = try NamespaceSpec.parse(linux)
        spec.hostname = try r.optionalString("hostname").flatMap { $0.isEmpty ? nil : $0 }
        return spec
    }

    private static func networkNamespace(_ linux: FieldReader) throws(OCIError) -> NetworkNamespace {
        var network = NetworkNamespace.host
        for ns in try linux.objects("namespaces") where try ns.string("type") == "network" {
            if let path = try ns.optionalString("path"), !path.isEmpty {
                network = .path(path)
            } else {
                network = .new
            }
        }
        return network
    }
}

/// Typed access to the members of one JSON object, with the field's path in
/// every error ("config.json: process.args: expected an array of strings").
struct FieldReader {
    let json: JSON
    let path: String

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func wrong(_ key: String, _ expected: String) -> OCIError {
        OCIError("config.json: \(name(key)): expected \(expected)")
    }

    func string(_ key: String) throws(OCIError) -> String {
        guard let value = try optionalString(key) else {
            throw OCIError("config.json: \(name(key)) is missing")
        }
        return value
    }

    func optionalString(_ key: String) throws(OCIError) -> String? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let s = v.string else { throw wrong(key, "a string") }
        return s
    }

    func bool(_ key: String) throws(OCIError) -> Bool? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let b = v.bool else { throw wrong(key, "true or false") }
        return b
    }

    func int64(_ key: String) throws(OCIError) -> Int64? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let n = v.int64 else { throw wrong(key, "an integer") }
        return n
    }

    func strings(_ key: String, required: Bool = true) throws(OCIError) -> [String] {
        guard let v = json[key], !v.isNull else {
            if required { throw OCIError("config.json: \(name(key)) is missing") }
            return []
        }
        guard let items = v.array else { throw wrong(key, "an array of strings") }
        var out: [String] = []
        for item in items {
            guard let s = item.string else { throw wrong(key, "an array of strings") }
            out.append(s)
        }
        return out
    }

    /// The member object `key`; an empty one when absent and not required.
    func object(_ key: String, required: Bool) throws(OCIError) -> FieldReader {
        guard let v = json[key], !v.isNull else {
            if required { throw OCIError("config.json: \(name(key)) is missing") }
            return FieldReader(json: .object([]), path: name(key))
        }
        guard v.object != nil else { throw wrong(key, "an object") }
        return FieldReader(json: v, path: name(key))
    }

    func objects(_ key: String) throws(OCIError) -> [FieldReader] {
        guard let v = json[key], !v.isNull else { return [] }
        guard let items = v.array else { throw wrong(key, "an array of objects") }
        var out: [FieldReader] = []
        for (i, item) in items.enumerated() {
            guard item.object != nil else { throw wrong(key, "an array of objects") }
            out.append(FieldReader(json: item, path: "\(name(key))[\(i)]"))
        }
        return out
    }

    func stringMap(_ key: String) throws(OCIError) -> [(String, String)] {
        guard let v = json[key], !v.isNull else { return [] }
        guard let members = v.object else { throw wrong(key, "an object of strings") }
        var out: [(String, String)] = []
        for (k, value) in members {
            guard let s = value.string else { throw wrong(key, "an object of strings") }
            out.append((k, s))
        }
        return out
    }
}
