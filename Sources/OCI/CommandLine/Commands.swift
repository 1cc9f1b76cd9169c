// Commands.swift: every runc command and global flag, with what ukvm-oci
// does with it: the one table that parsing, --help and docs/oci.md follow.

/// A runc command as ukvm-oci knows it.
struct CommandSpec {
    enum Support {
        case supported
        /// Refused with this reason.
        case refused(String)
    }

    let name: String
    let summary: String
    let flags: FlagSet
    /// The positional arguments it takes, for messages ("<container-id>").
    let arguments: [String]
    let support: Support
}

enum Commands {
    static let global = FlagSet(
        values: ["root", "log", "log-format", "criu", "rootless"],
        switches: ["debug", "systemd-cgroup", "help", "version"],
        aliases: ["h": "help", "v": "version"])

    /// Global flags and what becomes of them (for --help and the docs).
    static let globalFlags: [(flag: String, meaning: String)] = [
        ("--root DIR", "where container state lives (default \(Runtime.defaultRoot))"),
        ("--log FILE", "append runtime messages to FILE"),
        ("--log-format text|json", "format of --log lines (json: what containerd's shim reads)"),
        ("--debug", "also log debug messages"),
        ("--systemd-cgroup", "linux.cgroupsPath is slice:prefix:name, placed as runc's systemd driver names it "
            + "(through cgroupfs; refused where systemd runs)"),
        ("--rootless true|false|auto", "accepted; ukvm-oci needs root (KVM, network namespaces)"),
        ("--criu PATH", "accepted and ignored: checkpoint/restore is refused"),
        ("--help, -h", "print this help"),
        ("--version, -v", "print the version"),
    ]

    static let all: [CommandSpec] = [
        CommandSpec(name: "create", summary: "create a container: prepare, wait for start without booting",
                    flags: FlagSet(values: ["bundle", "pid-file", "console-socket", "preserve-fds"],
                                   switches: ["no-pivot", "no-new-keyring"], aliases: ["b": "bundle"]),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "start", summary: "boot the guest of a created container",
                    flags: FlagSet(), arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "run", summary: "create and start a container, and wait for it unless --detach",
                    flags: FlagSet(values: ["bundle", "pid-file", "console-socket", "preserve-fds"],
                                   switches: ["detach", "keep", "no-pivot", "no-new-keyring", "no-subreaper"],
                                   aliases: ["b": "bundle", "d": "detach"]),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "state", summary: "print the OCI state of a container (JSON)",
                    flags: FlagSet(), arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "kill", summary: "send a signal to the container's monitor (default SIGTERM)",
                    flags: FlagSet(switches: ["all"], aliases: ["a": "all"]),
                    arguments: ["<container-id>", "[signal]"], support: .supported),
        CommandSpec(name: "delete", summary: "delete a container's state, taps and redirects",
                    flags: FlagSet(switches: ["force"], aliases: ["f": "force"]),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "ps", summary: "list the processes in the container's cgroup (the monitor)",
                    flags: FlagSet(values: ["format"], aliases: ["f": "format"]),
                    arguments: ["<container-id>", "[ps options...]"], support: .supported),
        CommandSpec(name: "list", summary: "list containers",
                    flags: FlagSet(values: ["format"], switches: ["quiet"], aliases: ["f": "format", "q": "quiet"]),
                    arguments: [], support: .supported),
        CommandSpec(name: "features", summary: "print what this runtime supports (JSON)",
                    flags: FlagSet(), arguments: [], support: .supported),
        CommandSpec(name: "exec", summary: "run a process in a container",
                    flags: FlagSet(), arguments: [],
                    support: .refused("a unikernel has no processes to add: it is one address space "
                        + "with no exec")),
        CommandSpec(name: "pause", summary: "freeze the container's cgroup (the monitor and its guest)",
                    flags: FlagSet(), arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "resume", summary: "thaw a paused container", flags: FlagSet(),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "update", summary: "update the container's cgroup limits (memory only above the guest's)",
                    flags: FlagSet(values: UpdateFlags.values, aliases: ["r": "resources"]),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "checkpoint", summary: "checkpoint a container", flags: FlagSet(), arguments: [],
                    support: .refused("the monitor cannot save a running guest")),
        CommandSpec(name: "restore", summary: "restore a checkpoint", flags: FlagSet(), arguments: [],
                    support: .refused("there are no checkpoints (checkpoint is refused)")),
        CommandSpec(name: "events", summary: "the container's cgroup figures (--stats: once), and OOM events",
                    flags: FlagSet(values: ["interval"], switches: ["stats"]),
                    arguments: ["<container-id>"], support: .supported),
        CommandSpec(name: "spec", summary: "write a default config.json", flags: FlagSet(), arguments: [],
                    support: .refused("bundles come from an image (ukvm-oci image, docs/oci.md)")),
        CommandSpec(name: "init", summary: "runc's internal container init", flags: FlagSet(), arguments: [],
                    support: .refused("internal to runc; ukvm-oci's container process is forked by create")),
        CommandSpec(name: "image", summary: "build an OCI image archive from a unikernel (ukvm-oci's own)",
                    flags: FlagSet(values: ["output", "name", "disk"], aliases: ["o": "output"]),
                    arguments: ["IMAGE.ukvm", "[ARGS...]"], support: .supported),
    ]

    static func named(_ name: String) -> CommandSpec? {
        all.first { $0.name == name }
    }

    static var usage: String {
        var lines = ["usage: ukvm-oci [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS...]",
                     "An OCI runtime with runc's command line that runs Solo5 (hvt) unikernels on the ukvm monitor.",
                     "Global flags:"]
        lines += globalFlags.map { "  " + $0.flag.padded(28) + $0.meaning }
        lines.append("Commands:")
        for c in all {
            switch c.support {
            case .supported: lines.append("  " + c.name.padded(12) + c.summary)
            case .refused(let why): lines.append("  " + c.name.padded(12) + "refused: " + why)
            }
        }
        lines.append("See docs/oci.md for the conventions (disks, interfaces, memory, placeholders).")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
