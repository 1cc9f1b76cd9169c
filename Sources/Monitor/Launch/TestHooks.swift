// TestHooks.swift: points where a test program built on this library (never
// `ukvm` itself: its main sets none, and no flag or environment variable
// does) can act inside a real run.

/// Set only by Tests/SandboxProbe (the `ukvm-sandbox-probe` test program).
public enum TestHooks {
    /// Called once the sandbox is on, before the first KVM_RUN, with the
    /// vCPU's descriptor: the probe makes a call the filter must stop.
    nonisolated(unsafe) public static var afterSandbox: ((_ vcpu: Int32) -> Void)?
}
