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
import Support

struct Options: Equatable {
    enum Action: Equatable {
        case run
        case help
        case version
    }

    var action = Action.run
    /// The image's path, byte for byte.
    var kernel: Argument = ""
    /// The guest's command line: ARGS joined by single spaces, byte for byte.
    var commandLine: [UInt8] = []
    /// Guest memory in bytes: --mem rounded down to a multiple of 2 MiB.
    var memorySize = OptionParser.defaultMemoryMiB << 20
    /// Whether the run goes into the sandbox (--x-no-sandbox: not).
    var sandbox = true
    /// Whether the guest's console buffer is drained (--x-no-console-buffer:
    /// not; every console write is then an exit).
    var consoleBuffer = true
    /// --x-cpuid-cache: where the supported-CPUID answer is cached.
    var cpuidCache = CPUIDCacheChoice.standard
    /// The original `KERNEL DISK TAP` form, when the command line is one.
    var legacy: LegacyForm?
    /// Lines to print before the run (e.g. --mem adjusted).
    var warnings: [String] = []
}

struct OptionParser {
    static let defaultMemoryMiB = GuestMemorySize.defaultMiB
    static let maxMemory = GuestMemorySize.max

    /// Whether `path` names an existing file or device (not a directory).
    var fileExists: (Argument) -> Bool = OptionParser.hostFileExists
    /// Whether a network interface of that name exists.
    var interfaceExists: (String) -> Bool = NetInterface.exists
    /// Whether `KERNEL DISK TAP` may be read as the original form.
    var legacyFormAllowed = true

    /// Parses `args` (without the program name), handing module flags to
    /// `modules`.
    func parse(_ args: [Argument], modules: [MonitorModule]) throws(MonitorError) -> Options {
        var options = Options()
        let flags = args.prefix { $0 != "--" && $0.hasPrefix("-") && $0 != "-" }
        // --help and --version win wherever they stand among the flags, as
        // with upstream's tender: a bad flag before them is not an error.
        for arg in flags {
            switch arg {
            case "--help", "-h": options.action = .help
            case "--version": options.action = .version
            default: continue
            }
            return options
        }
        for arg in flags { try apply(arg, to: &options, modules: modules) }
        var i = flags.count
        if i < args.count && args[i] == "--" { i += 1 }
        guard i < args.count else { throw .missingKernel }
        options.kernel = args[i]
        var rest = Array(args[(i + 1)...])
        if legacyFormAllowed, modules.allSatisfy({ $0.asDevice?.requests.isEmpty ?? true }), rest.count >= 2,
           fileExists(rest[0]), let tap = rest[1].text, interfaceExists(tap) {
            options.legacy = LegacyForm(disk: rest[0], tap: tap)
            rest.removeFirst(2)
        }
        let commandLine = Argument.joined(rest, separator: UInt8(ascii: " "))
        guard commandLine.count <= BootInfo.commandLineMax else {
            throw .commandLineTooLong(commandLine.count)
        }
        options.commandLine = commandLine
        return options
    }

    /// Takes one flag: the monitor's own, or the first module's that wants it.
    func apply(_ arg: Argument, to options: inout Options, modules: [MonitorModule]) throws(MonitorError) {
        if arg == "--x-no-sandbox" {
            options.sandbox = false
            return
        }
        if arg == "--x-no-console-buffer" {
            options.consoleBuffer = false
            return
        }
        if let choice = try CPUIDCacheChoice.parse(arg) {
            options.cpuidCache = choice
            return
        }
        if let text = arg.text, let (size, warning) = try OptionParser.memory(text) {
            options.memorySize = size
            options.warnings += warning.map { [$0] } ?? []
            return
        }
        for m in modules where try m.handleFlag(arg) { return }
        throw .unknownOption(arg.description)
    }

    /// --mem=MB: guest memory in bytes, a multiple of 2 MiB (rounded down,
    /// at least 2 MiB: what upstream's tender accepts), and a warning when
    /// that is not what was asked for; nil if `arg` is another flag.
    static func memory(_ arg: String) throws(MonitorError) -> (UInt64, String?)? {
        if arg == "--mem" { throw .malformedFlag(arg: arg, form: "--mem=MB") }
        guard arg.hasPrefix("--mem=") else { return nil }
        let text = String(arg.dropFirst("--mem=".count))
        guard let mib = DeviceFlag.decimal(text), mib > 0 else {
            throw .badValue(flag: "--mem", value: text, expected: "number of MiB (1 or more)")
        }
        let (asked, overflow) = mib.multipliedReportingOverflow(by: 1 << 20)
        let size = max(GuestMemorySize.roundedDown(asked), GuestMemorySize.granule)
        guard !overflow, size <= maxMemory else {
            throw .memorySize("--mem=\(text): guest memory can be at most \(maxMemory >> 20) MiB")
        }
        let warning = size == asked ? nil
            : "warning: --mem=\(text): guest memory is \(size >> 20) MiB, a multiple of 2 MiB"
        return (size, warning)
    }

    static func hostFileExists(_ path: Argument) -> Bool {
        var st = stat()
        return path.withPath { stat($0, &st) } == 0 && st.st_mode & S_IFMT != S_IFDIR
    }
}
