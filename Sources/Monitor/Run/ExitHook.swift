// ExitHook.swift: how a module takes part in the run loop (the debugger,
// --gdb). The loop asks its hooks only where a guest run without one never
// goes or where the run is over: before the first instruction, on
// KVM_EXIT_DEBUG, on an interrupted KVM_RUN, on an emulation failure, on
// HALT, and at the end. The hypercall path does not look at them, so a run
// without hooks pays nothing for them.

/// How the run goes on after a hook handled an event.
enum ExitVerdict: Equatable {
    /// Run the guest again (the hook has set the vCPU up).
    case resume
    /// End the run with this outcome.
    case end(RunOutcome)
}

/// An exit the run loop lets its hooks handle before its own default.
enum ExitEvent: Equatable {
    /// The guest called HALT with `status` and `cookie` (a fault report,
    /// perhaps a debug trap that resumes). Default: the run ends.
    case halted(status: Int32, cookie: UInt64)
    /// KVM_RUN returned early (a signal, immediate_exit); stop signals are
    /// the loop's. Default: the guest runs on.
    case interrupted
    /// KVM_EXIT_DEBUG: KVM's guest debugging stopped the vCPU. Default: a
    /// guest fault (nobody asked for it).
    case debugExit(exception: UInt32, pc: UInt64)
    /// KVM could not emulate an instruction. Default: a guest fault.
    case emulationFailed
}

protocol ExitHook: AnyObject {
    /// Before the guest's first instruction; nil: the guest starts.
    func runStarts() -> ExitVerdict?
    /// `event` happened; nil leaves it to the next hook, then the loop.
    func handle(_ event: ExitEvent) -> ExitVerdict?
    /// The run ends with `outcome`: the hook may report it or stop there
    /// first, and returns how the run really ended (e.g. killed).
    func runEnds(_ outcome: RunOutcome) -> RunOutcome
}

extension ExitHook {
    func runStarts() -> ExitVerdict? { nil }
    func runEnds(_ outcome: RunOutcome) -> RunOutcome { outcome }
}

extension [ExitHook] {
    /// The first hook's verdict on `event`, if any has one.
    func verdict(on event: ExitEvent) -> ExitVerdict? {
        for hook in self {
            if let verdict = hook.handle(event) { return verdict }
        }
        return nil
    }
}
