// ModuleCapabilities.swift: what only some modules do, one small protocol
// each, so that MonitorModule holds only what every module has. The
// launcher finds the modules with a capability among `Launch.modules`.

import Image

/// A module that attaches devices the image's manifest declares (block,
/// net): the devices its configuration names, and opening each one.
protocol DeviceModule: MonitorModule {
    /// The devices the module's configuration asks for.
    var requests: [DeviceRequest] { get }
    /// The per-device options the module's flags gave.
    var deviceOptions: [DeviceOption] { get }
    /// Opens the host side of the requested device `entry.name`, whose
    /// handle is `handle`, and fills in `entry` (attached, device info,
    /// hostpriv).
    func attach(_ entry: inout Manifest.Entry, handle: Int) throws(MonitorError)
}

/// A module whose devices the device wait watches (POLL, NETIO): net.
protocol PolledModule: MonitorModule {
    /// What the device wait watches, once devices are attached.
    var pollDescriptors: [PollDescriptor] { get }
}

/// A module whose data must reach the disk however the monitor ends
/// (block): the sandbox's SIGSYS report syncs them too.
protocol DurableModule: MonitorModule {
    var durableDescriptors: [Int32] { get }
}

/// A module with a part in the run itself (debug): before the guest's
/// first instruction, in the run loop's exits, after its last.
protocol RunParticipant: MonitorModule {
    /// Whether the module writes into the guest's code (a debugger's
    /// breakpoints): the image's code and read-only data then stay writable
    /// on the host side (the guest's own page tables still protect them).
    var writesGuestCode: Bool { get }
    /// Called once the guest is set up, before its first instruction and
    /// before the sandbox goes on: opens what the run needs. Returns the
    /// module's exit hook, if the run loop is to ask it (ExitHook.swift).
    func prepareRun(_ guest: GuestContext) throws(MonitorError) -> ExitHook?
    /// Called once the guest has stopped running, before shutdown, with how
    /// it ended. Returns a note for the monitor's exit message, if any.
    func runEnded(_ outcome: RunOutcome, guest: GuestContext) -> String?
}

// Each capability answers MonitorModule's `as...` for the modules that have
// it (the defaults, nil, are in MonitorModule.swift).
extension DeviceModule {
    var asDevice: DeviceModule? { self }
}

extension PolledModule {
    var asPolled: PolledModule? { self }
}

extension DurableModule {
    var asDurable: DurableModule? { self }
}

extension RunParticipant {
    var asRunParticipant: RunParticipant? { self }
}

extension Launch {
    /// The modules that attach devices.
    var deviceModules: [DeviceModule] { modules.compactMap { $0.asDevice } }
    /// What the device wait watches: every polled module's descriptors.
    var pollDescriptors: [PollDescriptor] {
        modules.compactMap { $0.asPolled }.flatMap { $0.pollDescriptors }
    }
    /// The descriptors to sync however the run ends.
    var durableDescriptors: [Int32] {
        modules.compactMap { $0.asDurable }.flatMap { $0.durableDescriptors }
    }
    /// The modules with a part in the run.
    var runParticipants: [RunParticipant] { modules.compactMap { $0.asRunParticipant } }
}
