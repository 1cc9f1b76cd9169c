// HookContext.swift: what a hook is told (the container's state, as the
// runtime spec's "State" with the status of the moment) and where the hooks
// of later commands are kept: poststart runs at `start` and poststop at
// `delete`, processes that do not read config.json, so `create` saves them
// in ROOT/ID/hooks.json (only when there are any).

import Glibc
import JSON
import Monitor

struct HookContext {
    static let fileName = "hooks.json"

    let hooks: Hooks
    let id: String
    let bundle: String
    let annotations: [(String, String)]
    let log: RuntimeLog

    /// The state JSON on a hook's stdin.
    func state(_ status: String, pid: Int32) -> JSON {
        .object([
            ("ociVersion", .string(OCIVersion.spec)), ("id", .string(id)), ("status", .string(status)),
            ("pid", .int(pid)), ("bundle", .string(bundle)),
            ("annotations", .object(annotations.map { ($0.0, .string($0.1)) })),
        ])
    }

    /// Runs the hooks of `point` with the state (`status`, `pid`).
    func run(_ point: Hooks.Point, status: String, pid: Int32) throws(OCIError) {
        guard !hooks[point].isEmpty else { return }
        try HookRunner.run(hooks, point, state: state(status, pid: pid), log: log)
    }

    /// Keeps the hooks that later commands run in the container's directory.
    func save(in store: StateStore) throws(OCIError) {
        let later = hooks.later
        guard !later.isEmpty else { return }
        try Files.writeAtomically(store.directory(id) + "/" + HookContext.fileName, later.json.serialized + "\n")
    }

    /// The saved hooks of container `state` (none if there is no file).
    static func load(_ state: ContainerState, store: StateStore, log: RuntimeLog) throws(OCIError) -> HookContext {
        var hooks = Hooks()
        let path = store.directory(state.id) + "/" + fileName
        if Files.exists(path) {
            let bytes = try Files.read(path, limit: 1 << 20)
            let json: JSON
            do throws(JSONError) {
                json = try JSON.parse(bytes)
            } catch {
                throw OCIError("\(path): \(error)")
            }
            hooks = try Hooks.parse(FieldReader(json: json, path: "hooks"))
        }
        return HookContext(hooks: hooks, id: state.id, bundle: state.bundle, annotations: state.annotations, log: log)
    }
}

extension HookContext {
    /// Runs hooks whose failures are only logged (poststart, poststop).
    func runLogged(_ point: Hooks.Point, status: String, pid: Int32) {
        do throws(OCIError) {
            try run(point, status: status, pid: pid)
        } catch {
            log.warning(error.message)
        }
    }
}

extension Runtime {
    /// The hooks `create` kept for `start` and `delete`; a file that cannot
    /// be read is logged, not fatal (these hooks never stop a container).
    func laterHooks(_ state: ContainerState) -> HookContext? {
        do throws(OCIError) {
            return try HookContext.load(state, store: store, log: log)
        } catch {
            log.warning(error.message)
            return nil
        }
    }
}
