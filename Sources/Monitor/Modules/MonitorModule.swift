// MonitorModule.swift: what every monitor module (core, block, net, debug)
// provides, and the types the steps share. What only some modules do is a
// capability of its own (ModuleCapabilities.swift): devices, waits, disks
// that must be synced, a part in the run.
//
// Every step is optional (the extension below supplies no-ops). The
// launcher drives all modules through the steps in order:
//   handleFlag          take the command-line flags the module owns, into
//                       its configuration (LaunchConfiguration)
//   attach              (DeviceModule) open the host side of one device
//   describe            its part of the boot info (host_features, net_ring)
//   registerHypercalls  install its handlers (once per number)
//   prepareRun          (RunParticipant) the guest is set up, its first
//                       instruction next
//   sandboxNeeds        the system calls its handlers, its run-time work
//                       and its shutdown make once the sandbox is on
//                       (Sandbox/SandboxPolicy.swift): a module that opens a
//                       descriptor or drives the vCPU declares the calls it
//                       makes on it here, and only those are allowed
//   runEnded            (RunParticipant) the guest stopped
//   shutdown            on every exit path (e.g. fdatasync block devices)
// The modules are listed in one explicit array, `Launch.modules`.

import CKVM
import Image
import KVM
import Support

/// A device the command line asked a module to attach.
struct DeviceRequest: Equatable {
    let name: String
    let type: Manifest.DeviceType
}

/// A per-device option (e.g. --block-sector-size:NAME=N): it must name a
/// device the same module attaches.
struct DeviceOption: Equatable {
    let name: String
    let flag: String
}

/// What a module may need to know to declare its sandbox rules.
struct SandboxContext {
    /// The vCPU's descriptor (for a module that drives the vCPU itself).
    let vcpu: Int32
}

/// A descriptor the device wait watches for readability, and the handle of
/// the device it belongs to.
struct PollDescriptor: Equatable {
    let fd: Int32
    let handle: Int
}

/// What modules see of the guest once it is set up.
struct GuestContext {
    let vcpu: VCPU
    let memory: GuestMemory
    /// KERNEL as the command line gave it.
    let imagePath: String
}

protocol MonitorModule: AnyObject {
    /// Lines for --help, describing the module's flags.
    var usage: [String] { get }
    /// Consumes `arg` if it is one of the module's flags (returns true), or
    /// returns false to let other modules try. Throws on a malformed value.
    /// `arg` keeps its bytes (Argument.swift): paths need not be UTF-8.
    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool
    /// Fills in the module's part of the boot info (host_features, net_ring).
    func describe(_ info: inout ukvm_boot_info)
    /// Installs the module's hypercall handlers; `wait` is how handlers wait
    /// for the attached devices.
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError)
    /// The system calls the module's hypercalls and shutdown make once the
    /// sandbox is on, with the arguments they pass (its descriptors).
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds
    /// Called once before the monitor exits, whatever the reason. Returns
    /// false if it failed in a way that loses data (a failed sync); the
    /// module has said what failed.
    func shutdown() -> Bool
    /// The module as each capability it has, nil where it has none
    /// (ModuleCapabilities.swift). The compiler picks each answer when the
    /// module is declared; a cast (`as?`) would search every protocol
    /// conformance in the executable at run time, the first time for each
    /// module and capability: 44 % of a boot's instructions (docs/density.md).
    var asDevice: DeviceModule? { get }
    var asPolled: PolledModule? { get }
    var asDurable: DurableModule? { get }
    var asRunParticipant: RunParticipant? { get }
}

extension MonitorModule {
    var usage: [String] { [] }
    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool { false }
    func describe(_ info: inout ukvm_boot_info) {}
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {}
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds { .none }
    func shutdown() -> Bool { true }
    var asDevice: DeviceModule? { nil }
    var asPolled: PolledModule? { nil }
    var asDurable: DurableModule? { nil }
    var asRunParticipant: RunParticipant? { nil }
}
