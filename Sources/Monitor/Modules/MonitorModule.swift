// MonitorModule.swift: what a monitor module (core, block, net) provides.
//
// Every step but the flags is optional (the extension below supplies
// no-ops). The launcher drives all modules through the steps in order:
//   handleFlag          take the command-line flags the module owns
//   requests            the devices those flags ask for, by manifest name
//   attach              open the host side of one device, once the launcher
//                       has found its manifest entry, and fill the entry in
//   describe            its part of the boot info (host_features, net_ring)
//   registerHypercalls  install its handlers (once per number)
//   prepareRun          the guest is set up, its first instruction next:
//                       open what the run needs (before the sandbox, if any),
//                       e.g. wait for a debugger, which the run loop then asks
//   sandboxNeeds        the system calls its handlers, its run-time work
//                       and its shutdown make once the sandbox is on
//                       (Sandbox/SandboxPolicy.swift): a module that opens a
//                       descriptor or drives the vCPU declares the calls it
//                       makes on it here, and only those are allowed
//   runEnded            the guest stopped: e.g. write a core file
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
    /// The devices the module's flags asked for.
    var requests: [DeviceRequest] { get }
    /// The per-device options the module's flags gave.
    var deviceOptions: [DeviceOption] { get }
    /// What the device wait (POLL, NETIO) watches, once devices are attached.
    var pollDescriptors: [PollDescriptor] { get }

    /// Consumes `arg` if it is one of the module's flags (returns true), or
    /// returns false to let other modules try. Throws on a malformed value.
    /// `arg` keeps its bytes (Argument.swift): paths need not be UTF-8.
    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool
    /// Opens the host side of the requested device `entry.name`, whose
    /// handle is `handle`, and fills in `entry` (attached, device info,
    /// hostpriv).
    func attach(_ entry: inout Manifest.Entry, handle: Int) throws(MonitorError)
    /// Fills in the module's part of the boot info (host_features, net_ring).
    func describe(_ info: inout ukvm_boot_info)
    /// Installs the module's hypercall handlers; `wait` is how handlers wait
    /// for the attached devices.
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError)
    /// The system calls the module's hypercalls and shutdown make once the
    /// sandbox is on, with the arguments they pass (its descriptors).
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds
    /// The descriptors whose data must reach the disk however the monitor
    /// ends (block devices): the sandbox's SIGSYS report syncs them too.
    var durableDescriptors: [Int32] { get }
    /// Whether the module writes into the guest's code (a debugger's
    /// breakpoints): the image's code and read-only data then stay writable
    /// on the host side (the guest's own page tables still protect them).
    var writesGuestCode: Bool { get }
    /// Called once the guest is set up, before its first instruction and
    /// before the sandbox goes on. Returns the module's debugger, if it is
    /// one: the run loop asks it about debug events (RunDebugger).
    func prepareRun(_ guest: GuestContext) throws(MonitorError) -> RunDebugger?
    /// Called once the guest has stopped running, before shutdown, with how
    /// it ended. Returns a note for the monitor's exit message, if any.
    func runEnded(_ outcome: RunOutcome, guest: GuestContext) -> String?
    /// Called once before the monitor exits, whatever the reason. Returns
    /// false if it failed in a way that loses data (a failed sync); the
    /// module has said what failed.
    func shutdown() -> Bool
}

extension MonitorModule {
    var usage: [String] { [] }
    var requests: [DeviceRequest] { [] }
    var deviceOptions: [DeviceOption] { [] }
    var pollDescriptors: [PollDescriptor] { [] }
    func handleFlag(_ arg: Argument) throws(MonitorError) -> Bool { false }
    func attach(_ entry: inout Manifest.Entry, handle: Int) throws(MonitorError) {}
    func describe(_ info: inout ukvm_boot_info) {}
    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {}
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds { .none }
    var durableDescriptors: [Int32] { [] }
    var writesGuestCode: Bool { false }
    func prepareRun(_ guest: GuestContext) throws(MonitorError) -> RunDebugger? { nil }
    func runEnded(_ outcome: RunOutcome, guest: GuestContext) -> String? { nil }
    func shutdown() -> Bool { true }
}
