// Usage.swift: the text of --help and --version.

import Image
import KVM
import Support

extension OptionParser {
    /// The monitor's own version (Support/Version.swift).
    static let ukvmVersion = Version.ukvm
    /// The upstream Solo5 release whose tender `solo5-hvt` stands in for.
    static let upstreamVersion = Version.upstream

    /// The text of --help: the modules' flags and the exit statuses.
    static func usage(modules: [MonitorModule], as personality: Personality = .ukvm) -> String {
        let name = personality.programName
        var lines = ["usage: \(name) [OPTIONS] [--] KERNEL [ARGS...]"]
        if personality == .ukvm {
            lines.append("       ukvm KERNEL DISK TAP [ARGS...]   (the original form: no device flags)")
        }
        lines += [
            "Runs the Solo5 hvt (ABI version \(ABINote.expectedVersion)) unikernel KERNEL under KVM.",
            "ARGS, joined by spaces, are the guest's command line.",
            "Options:",
            "  --mem=MB                   guest memory in MiB (default \(defaultMemoryMiB), "
                + "at most \(maxMemory >> 20); rounded down to a multiple of 2, at least 2)",
        ]
        for m in modules { lines += m.usage.map { "  " + $0 } }
        lines += [
            "  --x-no-sandbox             run without the sandbox (no seccomp filter, capabilities",
            "                             kept): for debugging only",
            "  --x-no-console-buffer      write each guest console write at once, even when the",
            "                             console is not a terminal (one exit per write)",
            "  --x-cpuid-cache=DIR|off    where KVM's supported CPUID is cached (default /run/ukvm",
            "                             as root, else $XDG_RUNTIME_DIR/ukvm), or no cache",
            "  --help                     print this help and exit",
            "  --version                  print the version and exit",
            "Exit status:",
        ]
        lines += ExitStatus.table(personality).map { "  " + $0.codes.padding(to: 9) + $0.meaning }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text of --version. As solo5-hvt, upstream's two lines, which
    /// drivers read (albatross checks "ABI version N"); the release is the
    /// upstream one whose tender we stand in for, with ours after it.
    static func version(as personality: Personality) -> String {
        switch personality {
        case .ukvm:
            return "ukvm \(ukvmVersion) (Solo5 hvt ABI version \(ABINote.expectedVersion), "
                + "UKVM CPL3 extension version \(CPL3Note.version))\n"
        case .solo5hvt(let name):
            return "\(name) tender, version \(upstreamVersion) (ukvm \(ukvmVersion))\n"
                + "ABI version \(ABINote.expectedVersion)\n"
        }
    }
}

extension String {
    /// The string followed by spaces up to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
