// Hooks.swift: the spec's `hooks` (runtime spec, "POSIX-platform Hooks"):
// programs the engine asks the runtime to run at fixed points of a
// container's life. Docker's network set-up is one (a `prestart` hook,
// libnetwork-setkey, that moves the container's veth into its namespace).
//
// | hook            | run by ukvm-oci                  | where (namespaces)           | on failure            |
// |-----------------|----------------------------------|------------------------------|-----------------------|
// | prestart        | create, once the container       | the runtime's                | create fails          |
// | createRuntime   |   process is in its namespaces   | the runtime's                | create fails          |
// | createContainer | create, by the container process | the container's network      | create fails          |
// | startContainer  | start, by the container process  | the container's network      | the container exits   |
// |                 |   before the monitor             |                              |   125, error logged   |
// | poststart       | start, after the release         | the runtime's                | warning logged        |
// | poststop        | delete, after the state is gone  | the runtime's                | warning logged        |
//
// That is runc's order and the spec's semantics (docs/oci.md says the same).

import JSON
import Monitor

/// One hook: a program, its argv and environment, and an optional timeout.
struct Hook: Equatable {
    /// Absolute path of the program (resolved in the runtime's mount namespace).
    var path: String
    /// The argv; args[0] is what the program sees as its name. Empty: [path].
    var args: [String] = []
    /// The whole environment ("NAME=VALUE"); runc passes exactly this.
    var env: [String] = []
    /// Seconds after which the hook is killed and counts as failed.
    var timeout: Int?

    var argv: [String] { args.isEmpty ? [path] : args }

    var json: JSON {
        var members: [(String, JSON)] = [("path", .string(path))]
        if !args.isEmpty { members.append(("args", .array(args.map { .string($0) }))) }
        if !env.isEmpty { members.append(("env", .array(env.map { .string($0) }))) }
        if let timeout { members.append(("timeout", .int(timeout))) }
        return .object(members)
    }
}

/// Every hook of a spec, by the point of the life it belongs to.
struct Hooks: Equatable {
    enum Point: String, CaseIterable {
        case prestart
        case createRuntime
        case createContainer
        case startContainer
        case poststart
        case poststop

        /// Whether a failure stops the container (runc: the create-time
        /// ones and startContainer) or is only logged (poststart, poststop).
        var isFatal: Bool { self != .poststart && self != .poststop }
    }

    private var byPoint: [Point: [Hook]] = [:]

    subscript(_ point: Point) -> [Hook] {
        get { byPoint[point] ?? [] }
        set { byPoint[point] = newValue.isEmpty ? nil : newValue }
    }

    var isEmpty: Bool { byPoint.isEmpty }

    /// The hooks that `create` runs (so it waits for the container process).
    var runAtCreate: Bool { !self[.prestart].isEmpty || !self[.createRuntime].isEmpty || !self[.createContainer].isEmpty }

    /// The hooks a later command needs (poststart at start, poststop at
    /// delete), which are kept in the container's state directory.
    var later: Hooks {
        var h = Hooks()
        h[.poststart] = self[.poststart]
        h[.poststop] = self[.poststop]
        return h
    }

    var json: JSON {
        .object(Point.allCases.compactMap { p in
            self[p].isEmpty ? nil : (p.rawValue, .array(self[p].map(\.json)))
        })
    }

    /// `hooks` of config.json (or of the saved file), checked strictly:
    /// an unknown point is refused rather than silently not run.
    static func parse(_ r: FieldReader) throws(OCIError) -> Hooks {
        var hooks = Hooks()
        for (name, _) in r.json.object ?? [] {
            guard let point = Point(rawValue: name) else {
                throw OCIError("config.json: \(r.path).\(name): unknown hook point (the runtime spec has "
                    + Point.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            var list: [Hook] = []
            for h in try r.objects(name) {
                list.append(try hook(h))
            }
            hooks[point] = list
        }
        return hooks
    }

    private static func hook(_ h: FieldReader) throws(OCIError) -> Hook {
        let path = try h.string("path")
        guard path.hasPrefix("/") else {
            throw OCIError("config.json: \(h.path).path \"\(path)\": must be an absolute path")
        }
        var hook = Hook(path: path, args: try h.strings("args", required: false),
                        env: try h.strings("env", required: false))
        if let t = try h.int64("timeout") {
            guard t > 0, t <= 86_400 else {
                throw OCIError("config.json: \(h.path).timeout \(t): must be a positive number of seconds")
            }
            hook.timeout = Int(t)
        }
        return hook
    }
}
