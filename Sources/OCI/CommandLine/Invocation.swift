// Invocation.swift: runc's command line, as containerd's shim (go-runc)
// and people type it:
//
//   ukvm-oci [GLOBAL FLAGS] COMMAND [COMMAND FLAGS] [ARGS...]
//
// Flags are `--name value`, `--name=value`, or a short alias (-b VALUE);
// boolean flags take no value (or `=true`/`=false`). Flags stop at the first
// argument that is not one, or at `--` (as urfave/cli, runc's parser).

/// One command's flags: which take a value, which are switches, aliases.
struct FlagSet {
    var values: [String] = []
    var switches: [String] = []
    var aliases: [String: String] = [:]
}

/// A parsed command line: flags by canonical name, then arguments.
struct ParsedFlags: Equatable {
    var values: [String: String] = [:]
    /// Every value of each value flag, in order (for flags given repeatedly).
    var repeated: [String: [String]] = [:]
    var switches: Set<String> = []
    var arguments: [String] = []
}

enum Invocation {
    /// Parses flags of `set` from the front of `args`.
    static func parse(_ args: ArraySlice<String>, _ set: FlagSet) throws(OCIError) -> ParsedFlags {
        var parsed = ParsedFlags()
        var i = args.startIndex
        while i < args.endIndex {
            let arg = args[i]
            if arg == "--" {
                i += 1
                break
            }
            guard arg.hasPrefix("-"), arg != "-" else { break }
            var name = String(arg.drop(while: { $0 == "-" }))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            name = set.aliases[name] ?? name
            if set.switches.contains(name) {
                switch inline {
                case nil, "true": parsed.switches.insert(name)
                case "false": parsed.switches.remove(name)
                default: throw OCIError("flag --\(name) takes no value (got \"\(inline!)\")")
                }
            } else if set.values.contains(name) {
                var value = inline ?? ""
                if inline == nil {
                    i += 1
                    guard i < args.endIndex else { throw OCIError("flag --\(name) needs a value") }
                    value = args[i]
                }
                parsed.values[name] = value
                parsed.repeated[name, default: []].append(value)
            } else {
                throw OCIError("flag provided but not defined: -\(name)")
            }
            i += 1
        }
        parsed.arguments = Array(args[i...])
        return parsed
    }
}
