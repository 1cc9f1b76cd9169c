// UkvmOCI.swift: ukvm-oci's entry point: global flags, then one command.
// A failed command logs one error line (to --log, as JSON when asked, and
// to stderr) and exits 1, as runc does; containerd's shim reads the line
// back into the error ctr and the kubelet show.

import Glibc
import Monitor

/// The ukvm-oci executable's entry point.
public enum UkvmOCI {
    /// Runs one invocation (argv, program name first); returns the exit status.
    public static func main(_ argv: [String]) -> Int32 {
        var log = RuntimeLog()
        do throws(OCIError) {
            let globals = try Invocation.parse(argv.dropFirst(), Commands.global)
            log.path = globals.values["log"].map(Files.absolute)
            log.debug = globals.switches.contains("debug")
            if let format = globals.values["log-format"] {
                guard let f = RuntimeLog.Format(rawValue: format) else {
                    throw OCIError("--log-format \"\(format)\": use text or json")
                }
                log.format = f
            }
            if globals.switches.contains("version") {
                write(stdout: "ukvm-oci version \(OCIVersion.runtime)\nspec: \(OCIVersion.spec)\n")
                return 0
            }
            guard let name = globals.arguments.first, !globals.switches.contains("help") else {
                write(stdout: Commands.usage + "\n")
                return globals.switches.contains("help") ? 0 : 1
            }
            var runtime = Runtime(root: Files.absolute(globals.values["root"] ?? Runtime.defaultRoot), log: log,
                                  argv: argv)
            runtime.systemdCgroup = globals.switches.contains("systemd-cgroup")
            return try runtime.dispatch(name, globals.arguments.dropFirst())
        } catch {
            log.error(error.message)
            return 1
        }
    }

    static func write(stdout text: String) {
        var t = text
        t.withUTF8 { _ = Glibc.write(1, $0.baseAddress, $0.count) }
    }
}

/// One invocation's runtime: where state lives and where messages go.
struct Runtime {
    static let defaultRoot = "/run/ukvm-oci"

    let root: String
    let log: RuntimeLog
    /// The invocation as given, for handing a Linux container to runc.
    let argv: [String]
    /// --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name".
    var systemdCgroup = false
    var store: StateStore { StateStore(root: root) }

    init(root: String, log: RuntimeLog, argv: [String] = []) {
        self.root = root
        self.log = log
        self.argv = argv
    }

    /// Runs command `name` with its flags and arguments.
    func dispatch(_ name: String, _ rest: ArraySlice<String>) throws(OCIError) -> Int32 {
        guard let command = Commands.named(name) else {
            throw OCIError("unknown command \"\(name)\"; see ukvm-oci --help")
        }
        if Commands.asksForHelp(rest) {
            UkvmOCI.write(stdout: Commands.help(command) + "\n")
            return 0
        }
        if case .refused(let why) = command.support {
            throw OCIError("\(name) is not supported by ukvm-oci: \(why)")
        }
        let p = try Invocation.parse(rest, command.flags)
        log.debug("\(name) \(rest.joined(separator: " "))")
        if name != "features" && name != "image" { try RootDirectory.check(root) }
        func id() throws(OCIError) -> String {
            guard let id = p.arguments.first else { throw OCIError("\(name): missing <container-id>") }
            guard p.arguments.count <= command.arguments.count || name == "ps" else {
                throw OCIError("\(name): unexpected arguments after \(id)")
            }
            try StateStore.validate(id)
            if !argv.isEmpty && Delegate.isRuncs(id, store: store) { try Delegate.exec(argv) }
            return id
        }
        switch name {
        case "create": try create(try id(), try createOptions(p))
        case "start": try start(try id())
        case "run": return try run(try id(), try createOptions(p), detach: p.switches.contains("detach"),
                                   keep: p.switches.contains("keep"))
        case "state": UkvmOCI.write(stdout: try state(try id()) + "\n")
        case "kill":
            let container = try id()
            try kill(container, signal: p.arguments.count > 1 ? p.arguments[1] : "SIGTERM",
                     all: p.switches.contains("all"))
        case "delete": try delete(try id(), force: p.switches.contains("force"))
        case "ps":
            let container = try id()
            UkvmOCI.write(stdout: try ps(container, format: p.values["format"] ?? "table",
                                         psArguments: Array(p.arguments.dropFirst())) + "\n")
        case "pause": try pause(try id())
        case "resume": try resume(try id())
        case "update": try update(try id(), p)
        case "events": try events(try id(), stats: p.switches.contains("stats"), interval: p.values["interval"] ?? "5s")
        case "list":
            let text = try list(format: p.values["format"] ?? "table", quiet: p.switches.contains("quiet"))
            UkvmOCI.write(stdout: text.isEmpty ? "" : text + "\n")
        case "features": UkvmOCI.write(stdout: Runtime.features() + "\n")
        case "image": try ImageCommand.run(p)
        default: throw OCIError("\(name): not implemented")
        }
        return 0
    }

    private func createOptions(_ p: ParsedFlags) throws(OCIError) -> CreateOptions {
        var o = CreateOptions()
        o.bundle = p.values["bundle"] ?? "."
        o.pidFile = p.values["pid-file"]
        o.consoleSocket = p.values["console-socket"]
        if let n = p.values["preserve-fds"] {
            guard let v = Int32(n), v >= 0, v < 1024 else { throw OCIError("--preserve-fds \"\(n)\": expected a count") }
            o.preserveFDs = v
        }
        return o
    }

    /// `run`: create and start; unless detached, wait for the guest and
    /// return its status, deleting the container unless --keep.
    private func run(_ id: String, _ options: CreateOptions, detach: Bool, keep: Bool) throws(OCIError) -> Int32 {
        let pid = try create(id, options)
        do throws(OCIError) {
            try start(id)
        } catch {
            try? delete(id, force: true)
            throw error
        }
        if detach { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if !keep { try delete(id, force: true) }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
