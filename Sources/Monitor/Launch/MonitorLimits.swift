// MonitorLimits.swift: the monitor's limits that a runtime choosing its
// arguments (ukvm-oci) needs; its memory rule is GuestMemorySize.


/// The monitor's limits that a runtime choosing its arguments needs.
public enum MonitorLimits {
    /// Exit status of a run that could not start (Launch/ExitStatus.swift).
    public static let startFailureStatus = ExitStatus.startFailure
    /// The longest guest command line, in bytes.
    public static let commandLineMax = BootInfo.commandLineMax
}
