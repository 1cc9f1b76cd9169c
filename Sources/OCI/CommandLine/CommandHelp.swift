// CommandHelp.swift: `ukvm-oci COMMAND --help` (or -h): every command
// answers with its usage on stdout and exit status 0, refused ones
// included (their usage says why they are refused).

extension Commands {
    /// Whether the flags before the first argument ask for help.
    static func asksForHelp(_ rest: ArraySlice<String>) -> Bool {
        for arg in rest {
            if arg == "--" || !arg.hasPrefix("-") || arg == "-" { return false }
            if ["-h", "--help", "-help", "--help=true", "-h=true"].contains(arg) { return true }
        }
        return false
    }

    /// The usage of one command, from its table entry.
    static func help(_ c: CommandSpec) -> String {
        if c.name == "image" { return ImageCommand.usage }
        var lines = ["usage: ukvm-oci [GLOBAL FLAGS] \(c.name) [FLAGS] \(c.arguments.joined(separator: " "))"
            .replacingSpaces()]
        switch c.support {
        case .supported: lines.append(c.summary)
        case .refused(let why): lines.append("\(c.summary): refused by ukvm-oci: \(why)")
        }
        let short = Dictionary(c.flags.aliases.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        let flags = c.flags.values.map { ($0, " VALUE") } + c.flags.switches.map { ($0, "") }
        lines.append("Flags:")
        for (name, value) in flags {
            let alias = short[name].map { ", -\($0)" } ?? ""
            lines.append("  --\(name)\(value)\(alias)")
        }
        lines.append("  --help, -h")
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Collapses runs of spaces (a command without arguments).
    fileprivate func replacingSpaces() -> String {
        split(separator: " ").joined(separator: " ")
    }
}
