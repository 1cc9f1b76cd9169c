// MonitorLimits.swift: the monitor's limits that a runtime choosing its
// arguments (ukvm-oci) needs.

import Support

/// The monitor's limits that a runtime choosing its arguments needs.
public enum MonitorLimits {
    public static let defaultMemoryMiB = OptionParser.defaultMemoryMiB
    public static let minMemoryMiB = X86.largePageSize >> 20
    public static let maxMemoryMiB = OptionParser.maxMemory >> 20
    /// Exit status of a run that could not start (Launch/ExitStatus.swift).
    public static let startFailureStatus = ExitStatus.startFailure
    /// The longest guest command line, in bytes.
    public static let commandLineMax = BootInfo.commandLineMax
}
