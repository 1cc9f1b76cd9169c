// CommandLine.swift: parsing the monitor's command line.
//
//   ukvm [--mem=MB] [--block:NAME=PATH] [--block-sector-size:NAME=N]
//        [--net:NAME=IFACE|@FD] [--net-mac:NAME=MAC] [--] KERNEL [ARGS...]
//   ukvm KERNEL DISK TAP [ARGS...]        (legacy form, see below)
//   ukvm --help | --version
//
// Flags come before KERNEL; each module takes its own. Everything after
// KERNEL is the guest's: ARGS joined by single spaces form its command line.
//
// Legacy form: when no device flag is given, and the two arguments after
// KERNEL are an existing file (or device) and an existing network interface,
// they are the disk and tap of the image's first block and net devices.

import Glibc

enum Action: Equatable {
    case run
    case help
    case version
}

/// The DISK and TAP of the legacy `KERNEL DISK TAP` form.
struct LegacyDevices: Equatable {
    let disk: String
    let tap: String
}

struct Options: Equatable {
    var action: Action = .run
    var kernel = ""
    /// The guest's command line: ARGS joined by single spaces.
    var commandLine = ""
    var legacy: LegacyDevices?
}

struct OptionParser {
    /// Whether `path` names an existing file or device (not a directory).
    var fileExists: (String) -> Bool = OptionParser.hostFileExists
    /// Whether a network interface of that name exists.
    var interfaceExists: (String) -> Bool = NetInterface.exists

    /// Parses `args` (without the program name), handing flags to `modules`.
    func parse(_ args: [String], modules: [MonitorModule]) throws(MonitorError) -> Options {
        var options = Options()
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" {
                i += 1
                break
            }
            guard arg.hasPrefix("-"), arg != "-" else { break }
            switch arg {
            case "--help", "-h":
                options.action = .help
                return options
            case "--version":
                options.action = .version
                return options
            default:
                var taken = false
                for m in modules where !taken {
                    taken = try m.handleFlag(arg)
                }
                guard taken else { throw .unknownOption(arg) }
            }
            i += 1
        }
        guard i < args.count else { throw .missingKernel }
        options.kernel = args[i]
        var rest = Array(args[(i + 1)...])

        if !modules.contains(where: { $0.attachesDevices }), rest.count >= 2,
           fileExists(rest[0]), interfaceExists(rest[1]) {
            options.legacy = LegacyDevices(disk: rest[0], tap: rest[1])
            rest.removeFirst(2)
        }
        let commandLine = rest.joined(separator: " ")
        guard commandLine.utf8.count <= BootInfo.commandLineMax else {
            throw .commandLineTooLong(commandLine.utf8.count)
        }
        options.commandLine = commandLine
        return options
    }

    static func hostFileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT != S_IFDIR
    }

    /// The text of --help.
    static func usage(modules: [MonitorModule]) -> String {
        var lines = [
            "usage: ukvm [OPTIONS] [--] KERNEL [ARGS...]",
            "       ukvm KERNEL DISK TAP [ARGS...]   (legacy form: no device flags)",
            "Runs the Solo5 hvt (ABI version 2) unikernel KERNEL under KVM.",
            "ARGS, joined by spaces, are the guest's command line.",
            "Options:",
        ]
        for m in modules { lines += m.usage.map { "  " + $0 } }
        lines += [
            "  --help                     print this help and exit",
            "  --version                  print the version and exit",
            "Exit status: the guest's exit status (0..255); 125 the monitor could",
            "not start; 126 guest fault; 127 host error at run time; 128+N stopped",
            "by signal N (SIGTERM, SIGINT, SIGHUP).",
        ]
        return lines.joined(separator: "\n")
    }

    static let version = "ukvm 0.1.0 (Solo5 hvt ABI version \(ABINote.expectedVersion), "
        + "UKVM CPL3 extension version \(CPL3Note.version))"
}

/// Helpers for the `--KIND:NAME=VALUE` flags of device modules.
enum DeviceFlag {
    /// If `arg` starts with `prefix` ("--block:"), its NAME and VALUE.
    /// `form` (e.g. "--block:NAME=PATH") is shown when it is malformed.
    static func parse(_ arg: String, prefix: String, form: String) throws(MonitorError)
        -> (name: String, value: String)? {
        guard arg.hasPrefix(prefix) else { return nil }
        let body = arg.dropFirst(prefix.count)
        guard let eq = body.firstIndex(of: "=") else { throw .malformedFlag(arg: arg, form: form) }
        let name = String(body[body.startIndex..<eq])
        let value = String(body[body.index(after: eq)...])
        let flag = String(prefix.dropLast())
        guard !name.isEmpty, name.utf8.count <= Manifest.nameMax else {
            throw .badDeviceName(flag: flag)
        }
        guard !value.isEmpty else { throw .malformedFlag(arg: arg, form: form) }
        return (name, value)
    }

    /// A decimal number without sign, spaces or overflow.
    static func decimal(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}
