// LaunchHooks.swift: where a program built on the monitor library (ukvm-oci)
// acts inside a run: once the monitor has opened everything it will use and
// before it enters its sandbox.

/// Set by ukvm-oci's container process; `ukvm` sets none.
public enum LaunchHooks {
    /// Called once every file, device and socket of the run is open, just
    /// before the sandbox: ukvm-oci takes the host's file system out of the
    /// monitor's view there (a new mount namespace, pivoted to an empty
    /// root). A thrown error's description ends the run as a start-up
    /// failure.
    nonisolated(unsafe) public static var beforeSandbox: (() throws -> Void)?
}
