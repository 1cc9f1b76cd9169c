// RunDebugger.swift: what the run loop asks a debugger (--gdb), and what it
// answers. The loop consults it only where a guest run without a debugger
// never goes or where the run is over: before the first instruction, on
// KVM_EXIT_DEBUG, on an interrupted KVM_RUN, on an emulation failure, on
// HALT, and at the end. The hypercall path does not look at it, so a run
// without --gdb pays nothing for it.

/// How the run goes on after the debugger handled an event.
enum DebugVerdict: Equatable {
    /// Run the guest again (the debugger has set the vCPU up).
    case resume
    /// End the run with this outcome.
    case end(RunOutcome)
}

protocol RunDebugger: AnyObject {
    /// Before the guest's first instruction.
    func start() -> DebugVerdict
    /// KVM_EXIT_DEBUG: KVM's guest debugging stopped the vCPU.
    func debugExit(exception: UInt32, pc: UInt64) -> DebugVerdict
    /// KVM_RUN returned early (a signal, immediate_exit): the debugger may
    /// have been asked to stop the guest. Stop signals are the loop's.
    func interrupted() -> DebugVerdict
    /// KVM could not emulate an instruction; nil when it is none of the
    /// debugger's breakpoints (the run then ends as a guest fault).
    func emulationFailed() -> DebugVerdict?
    /// The guest called HALT with `status` and `cookie` (a fault report,
    /// perhaps a debug trap that resumes).
    func halted(status: Int32, cookie: UInt64) -> DebugVerdict
    /// The run ends with `outcome`: the debugger reports it and may stop
    /// there first; it returns how the run really ended (e.g. killed).
    func ending(_ outcome: RunOutcome) -> RunOutcome
}
