// Usage.swift: the text of --help and --version.

extension OptionParser {
    /// The text of --help: the modules' flags and the exit statuses.
    static func usage(modules: [MonitorModule]) -> String {
        var lines = [
            "usage: ukvm [OPTIONS] [--] KERNEL [ARGS...]",
            "       ukvm KERNEL DISK TAP [ARGS...]   (the original form: no device flags)",
            "Runs the Solo5 hvt (ABI version \(ABINote.expectedVersion)) unikernel KERNEL under KVM.",
            "ARGS, joined by spaces, are the guest's command line.",
            "Options:",
            "  --mem=MB                   guest memory in MiB (default \(defaultMemoryMiB), "
                + "\(minMemoryMiB) to \(maxMemoryMiB); rounded down to a multiple of 2)",
        ]
        for m in modules { lines += m.usage.map { "  " + $0 } }
        lines += [
            "  --help                     print this help and exit",
            "  --version                  print the version and exit",
            "Exit status:",
        ]
        lines += ExitStatus.table.map { "  " + $0.codes.padding(to: 9) + $0.meaning }
        return lines.joined(separator: "\n")
    }

    static let version = "ukvm 0.1.0 (Solo5 hvt ABI version \(ABINote.expectedVersion), "
        + "UKVM CPL3 extension version \(CPL3Note.version))"
}

extension String {
    /// The string followed by spaces up to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
