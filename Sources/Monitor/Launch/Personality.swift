// Personality.swift: who the monitor is for its caller. Invoked as `ukvm`
// it is itself: its own exit statuses (ExitStatus.swift), --version on
// stdout. Invoked under a name that starts with `solo5-hvt` (the link that
// `make` puts beside it, or albatross's `solo5-hvt.2`) it behaves as
// upstream Solo5's tender does for everything a driver can observe: the
// same flags, --version and --help on stderr in the same form, exit status
// 1 for every error of its own and for SIGTERM/SIGINT, the guest's status
// passed through (docs/compatibility.md).

enum Personality: Equatable {
    case ukvm
    /// Upstream's tender, under this program name.
    case solo5hvt(name: String)

    /// The personality for a program invoked as `argv0`.
    init(argv0: String) {
        let name = String(argv0.split(separator: "/").last ?? "")
        self = name.hasPrefix("solo5-hvt") ? .solo5hvt(name: name) : .ukvm
    }

    /// The prefix of every line the monitor prints on stderr.
    var programName: String {
        switch self {
        case .ukvm: return "ukvm"
        case .solo5hvt(let name): return name
        }
    }
}
