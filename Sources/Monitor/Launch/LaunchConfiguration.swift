// LaunchConfiguration.swift: one run of the monitor, typed and checked.
// Every front end builds one: the command line (`ukvm`, `solo5-hvt`,
// CommandLineLaunch.swift) and ukvm-oci (from a container's spec); the
// launcher runs it. Nothing in it is text for the monitor to parse again:
// the image is read and checked once, devices are names with paths or
// descriptors, MACs are bytes.


package struct LaunchConfiguration {
    /// The image and the guest's memory, planned and checked.
    package let image: PlannedImage
    package var block = BlockConfiguration()
    package var net = NetConfiguration()
    package var debug = DebugConfiguration()
    /// The guest's command line, at most BootInfo.commandLineMax bytes.
    package var commandLine: [UInt8] = []
    /// Whether the run goes into the sandbox (docs/hardening.md).
    package var sandbox = true
    /// Whether the guest's console buffer is drained, when its console is
    /// not a terminal (ConsoleBuffer.swift).
    package var consoleBuffer = true
    /// Where the supported-CPUID answer is cached (CPUIDCacheChoice.swift).
    package var cpuidCache = CPUIDCacheChoice.standard
    /// The original `KERNEL DISK TAP` form, whose announcement is printed
    /// once its devices are attached (the command line only).
    var legacy: LegacyForm?

    package init(image: PlannedImage) {
        self.image = image
    }
}
