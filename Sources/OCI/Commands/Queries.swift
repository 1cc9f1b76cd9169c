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

    /// The container's processes: the one process (the monitor), if alive.
    func ps(_ id: String, format: String) throws(OCIError) -> String {
        let state = try store.load(id)
        let pids: [Int32] = store.status(state) == .stopped ? [] : [state.pid]
        switch format {
        case "json": return JSON.array(pids.map { .int($0) }).serialized
        case "table": return (["PID"] + pids.map { String($0) }).joined(separator: "\n")
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
            ("hooks", .array([])),
            ("mountOptions", .array([])),
            ("linux", .object([
                ("namespaces", .array([.string("network")])),
                ("capabilities", .array([])),
                ("cgroup", .object([("v1", .bool(false)), ("v2", .bool(false)), ("systemd", .bool(false)),
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
