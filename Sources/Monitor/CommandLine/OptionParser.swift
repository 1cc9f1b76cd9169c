// OptionParser.swift: the monitor's command line.
//
//   ukvm [--mem=MB] [MODULE FLAGS...] [--] KERNEL [ARGS...]
//   ukvm KERNEL DISK TAP [ARGS...]        (the original form: LegacyForm.swift)
//   ukvm --help | --version
//
// Flags come before KERNEL: --mem is the monitor's own, every other flag
// belongs to the module that takes it. Everything after KERNEL is the
// guest's: ARGS joined by single spaces form its command line.

import Glibc

struct Options: Equatable {
    enum Action: Equatable {
        case run
        case help
        case version
    }

    var action = Action.run
    var kernel = ""
    /// The guest's command line: ARGS joined by single spaces.
    var commandLine = ""
    /// Guest memory in bytes: --mem rounded down to a multiple of 2 MiB.
    var memorySize = OptionParser.defaultMemoryMiB << 20
    /// The original `KERNEL DISK TAP` form, when the command line is one.
    var legacy: LegacyForm?
}

struct OptionParser {
    static let defaultMemoryMiB: UInt64 = 512
    static let minMemoryMiB: UInt64 = 2
    /// The page tables map at most 4 GiB (include/ukvm_abi.h).
    static let maxMemoryMiB: UInt64 = 4096

    /// Whether `path` names an existing file or device (not a directory).
    var fileExists: (String) -> Bool = OptionParser.hostFileExists
    /// Whether a network interface of that name exists.
    var interfaceExists: (String) -> Bool = NetInterface.exists

    /// Parses `args` (without the program name), handing module flags to
    /// `modules`.
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
                try apply(arg, to: &options, modules: modules)
            }
            i += 1
        }
        guard i < args.count else { throw .missingKernel }
        options.kernel = args[i]
        var rest = Array(args[(i + 1)...])
        if modules.allSatisfy({ $0.requests.isEmpty }), rest.count >= 2,
           fileExists(rest[0]), interfaceExists(rest[1]) {
            options.legacy = LegacyForm(disk: rest[0], tap: rest[1])
            rest.removeFirst(2)
        }
        let commandLine = rest.joined(separator: " ")
        guard commandLine.utf8.count <= BootInfo.commandLineMax else {
            throw .commandLineTooLong(commandLine.utf8.count)
        }
        options.commandLine = commandLine
        return options
    }

    /// Takes one flag: the monitor's own, or the first module's that wants it.
    func apply(_ arg: String, to options: inout Options, modules: [MonitorModule]) throws(MonitorError) {
        if let size = try OptionParser.memory(arg) {
            options.memorySize = size
            return
        }
        for m in modules where try m.handleFlag(arg) { return }
        throw .unknownOption(arg)
    }

    /// --mem=MB: guest memory in bytes, rounded down to a multiple of 2 MiB;
    /// nil if `arg` is another flag.
    static func memory(_ arg: String) throws(MonitorError) -> UInt64? {
        if arg == "--mem" { throw .malformedFlag(arg: arg, form: "--mem=MB") }
        guard arg.hasPrefix("--mem=") else { return nil }
        let text = String(arg.dropFirst("--mem=".count))
        guard let mib = DeviceFlag.decimal(text) else {
            throw .badValue(flag: "--mem", value: text, expected: "number of MiB")
        }
        guard mib >= minMemoryMiB, mib <= maxMemoryMiB else {
            throw .memorySize("--mem=\(text): guest memory must be \(minMemoryMiB) to \(maxMemoryMiB) MiB")
        }
        return (mib << 20) & ~(X86.largePageSize - 1)
    }

    static func hostFileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT != S_IFDIR
    }
}
