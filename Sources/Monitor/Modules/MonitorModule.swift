// MonitorModule.swift: what a monitor module (core, block, net) provides.
//
// Every step is optional (the extension below supplies no-ops). The monitor
// drives all modules through the steps in order:
//   handleFlag  - take the command-line flags the module owns
//   bind        - match its devices to the image's manifest (no I/O yet)
//   setup       - open host resources, fill in the manifest copy
//   registerHypercalls - install its handlers (once per number)
//   shutdown    - on every exit path (e.g. fdatasync block devices)
// Modules are listed in one explicit array, `Monitor.makeModules()`.

/// What the modules share during setup.
final class ModuleContext {
    /// The monitor's copy of the manifest; setup fills in attached devices.
    var manifest: Manifest
    /// Devices POLL waits on, as (host fd, handle).
    var pollDevices: [(fd: Int32, handle: Int)] = []
    /// Waiting on them; made once, after setup, for POLL and NETIO.
    lazy var deviceWait = DeviceWait(pollDevices)

    init(manifest: Manifest) {
        self.manifest = manifest
    }
}

protocol MonitorModule: AnyObject {
    /// For messages.
    var name: String { get }
    /// Lines for --help, describing the module's flags.
    var usage: [String] { get }
    /// Whether the command line attached any device through this module
    /// (then the legacy `KERNEL DISK TAP` form does not apply).
    var attachesDevices: Bool { get }
    /// Bits the module sets in the boot info's host_features.
    var hostFeatures: UInt32 { get }

    /// Consumes `arg` if it is one of the module's flags (returns true), or
    /// returns false to let other modules try. Throws on a malformed value.
    func handleFlag(_ arg: String) throws(MonitorError) -> Bool
    /// Checks the module's devices against `manifest` and returns the handles
    /// (entry indexes) it will attach.
    func bind(_ manifest: Manifest) throws(MonitorError) -> [Int]
    /// Opens host resources and records them in `context`.
    func setup(_ context: ModuleContext) throws(MonitorError)
    /// Installs the module's hypercall handlers.
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            context: ModuleContext) throws(MonitorError)
    /// Called once before the monitor exits, whatever the reason. Returns
    /// false if it failed in a way that loses data (a failed sync); the
    /// module has said what failed.
    func shutdown() -> Bool
}

extension MonitorModule {
    var usage: [String] { [] }
    var attachesDevices: Bool { false }
    var hostFeatures: UInt32 { 0 }
    func handleFlag(_ arg: String) throws(MonitorError) -> Bool { false }
    func bind(_ manifest: Manifest) throws(MonitorError) -> [Int] { [] }
    func setup(_ context: ModuleContext) throws(MonitorError) {}
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            context: ModuleContext) throws(MonitorError) {}
    func shutdown() -> Bool { true }
}
