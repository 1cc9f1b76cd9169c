// Queries.swift: `state`, `ps`, `list` and `features`: what the runtime
// reports, as JSON on stdout.

import Glibc
import JSON
import Monitor

extension Runtime {
    /// The OCI state of container `id`.
    func state(_ id: String) throws(OCIError) -> String {
        let state = try store.load(id)
        return state.ociState(status: store.status(state)).serialized
    }

    /// The processes in the container's cgroup (the monitor): their PIDs
    /// as JSON, or, as runc prints them, the lines of `ps` (with
    /// `psArguments`, default -ef) that are theirs.
    func ps(_ id: String, format: String, psArguments: [String] = []) throws(OCIError) -> String {
        let state = try store.load(id)
        let pids = containerPIDs(state)
        switch format {
        case "json": return JSON.array(pids.map { .int($0) }).serialized
        case "table": return try PSTable.lines(of: pids, arguments: psArguments.isEmpty ? ["-ef"] : psArguments)
        default: throw OCIError("invalid format option \"\(format)\": use table or json")
        }
    }

    /// Every container of ours under --root.
    func list(format: String, quiet: Bool) throws(OCIError) -> String {
        var states: [(ContainerState, ContainerState.Status)] = []
        for id in store.ids() {
            if let s = try? store.load(id) { states.append((s, store.status(s))) }
        }
        if quiet { return states.map { $0.0.id }.joined(separator: "\n") }
        switch format {
        case "json":
            return JSON.array(states.map { $0.0.ociState(status: $0.1) }).serialized
        case "table":
            let rows = states.map { s, status in
                [s.id, String(status == .stopped ? 0 : s.pid), status.rawValue, s.bundle, s.created, "root"]
            }
            return table(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], rows)
        default:
            throw OCIError("invalid format option \"\(format)\": use table or json")
        }
    }

    private func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 3)
            }.joined()
        }.joined(separator: "\n")
    }

    /// What this runtime supports, in the OCI runtime "features" format.
    static func features() -> String {
        JSON.object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string(OCIVersion.spec)),
            ("hooks", .array(Hooks.Point.allCases.map { .string($0.rawValue) })),
            ("mountOptions", .array([])),
            ("linux", .object([
                ("namespaces", .array(NamespaceSpec.Kind.allCases.map { .string($0.rawValue) })),
                ("capabilities", .array([])),
                ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(false)),
                                    ("systemdUser", .bool(false))])),
                ("seccomp", .object([("enabled", .bool(false))])),
                ("apparmor", .object([("enabled", .bool(false))])),
                ("selinux", .object([("enabled", .bool(false))])),
            ])),
            ("annotations", .object([
                ("org.solo5.ukvm-oci.version", .string(OCIVersion.runtime)),
                ("org.solo5.ukvm-oci.conventions",
                 .string("block: \(Conventions.blockDirectory)NAME or \(Conventions.blockAnnotation)NAME; "
                    + "net: eth<i> or \(Conventions.netAnnotation)NAME; memory: "
                    + "linux.resources.memory.limit or \(Conventions.memoryAnnotation)")),
            ])),
        ]).serialized
    }
}
