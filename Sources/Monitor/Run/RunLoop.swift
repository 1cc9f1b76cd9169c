// RunLoop.swift: runs the vCPU and dispatches its exits.
//
// Port I/O is the only exit a well-behaved guest causes: an OUT of 4 bytes
// to a hypercall port. Anything else ends the run as a guest fault.

import CKVM
import KVM
import Support

/// How a run ended.
enum RunOutcome: Equatable {
    /// HALT hypercall: the guest's exit status and cookie (0: none).
    case halted(status: Int32, cookie: UInt64)
    /// A stop signal arrived (SIGTERM, SIGINT, SIGHUP).
    case signal(Int32)
    /// Fatal guest condition; the cause, without the rip.
    case guestFault(String)
    /// Host failure at run time (KVM_RUN failed, unreportable I/O error).
    case hostError(String)
    /// The debugger killed the guest (gdb's kill).
    case killed
}

struct RunLoop {
    let vcpu: VCPU
    let hypercalls: HypercallTable
    /// Guest memory, for what a write to its read-only pages looks like.
    let memory: GuestMemory

    static let readOnlyWrite = "write to read-only memory (the image's code or read-only data)"
    /// Who else takes part in the run (the debugger, --gdb): asked only
    /// about ExitEvents, before the first instruction and at the end.
    var hooks: [ExitHook] = []
    /// The guest's console buffer, when the monitor offers it: drained at
    /// every exit, before the exit is handled.
    var console: ConsoleBuffer?

    func run() -> RunOutcome {
        guard !hooks.isEmpty else { return loop() }
        // Each hook is asked once (its start may wait for gdb); the first
        // that ends the run ends it before the guest's first instruction.
        for hook in hooks {
            if case .end(let outcome) = hook.runStarts() { return hooks.reduce(outcome) { $1.runEnds($0) } }
        }
        return hooks.reduce(loop()) { $1.runEnds($0) }
    }

    /// What the loop does after one exit.
    private enum Step {
        case resume
        case end(RunOutcome)
        /// An exit the hooks may handle; without a verdict from them, the
        /// run ends with `otherwise`, or goes on if it is nil.
        case event(ExitEvent, otherwise: RunOutcome?)
    }

    private func loop() -> RunOutcome {
        while true {
            let signo = Signals.caught
            if signo != 0 {
                console?.drainAtStop()
                return .signal(signo)
            }
            let exit: VMExit
            console?.beforeRun()
            do {
                exit = try vcpu.run()
            } catch {
                console?.drainAtStop()
                return .hostError(error.description)
            }
            if let console, let end = console.drain() { return end }
            switch step(after: exit) {
            case .resume:
                continue
            case .end(let outcome):
                return outcome
            case .event(let event, let otherwise):
                switch hooks.verdict(on: event) {
                case .resume: continue
                case .end(let outcome): return outcome
                case nil: if let otherwise { return otherwise }
                }
            }
        }
    }

    @inline(__always)
    private func step(after exit: VMExit) -> Step {
        switch exit {
        case .io(let port, let out, let size, let count, let value):
            return hypercall(port: port, out: out, size: size, count: count, value: value)
        case .interrupted:
            // A stop signal interrupted KVM_RUN and is still pending, or a
            // hook (the debugger's connection) has something to say.
            Signals.takePending()
            return .event(.interrupted, otherwise: nil)
        case .debug(let exception, let pc):
            return .event(.debugExit(exception: exception, pc: pc),
                          otherwise: .guestFault("debug exit (exception \(exception)) at \(hex(pc)) with no debugger"))
        case .mmio(let address, let isWrite):
            // KVM emulates a write to memory its mapping has read-only
            // (the image's, GuestMemory.protect) as MMIO.
            if isWrite && memory.overlapsReadOnly(address, address &+ 1) {
                return .end(.guestFault(RunLoop.readOnlyWrite + " at gpa \(hex(address))"))
            }
            return .end(.guestFault("MMIO \(isWrite ? "write" : "read") at unmapped address \(hex(address))"))
        case .memoryFault:
            // Where the guest's own writes run natively, KVM cannot map
            // read-only memory writable and KVM_RUN fails with EFAULT.
            return .end(.guestFault(RunLoop.readOnlyWrite + " (KVM_RUN: Bad address)"))
        case .hlt:
            return .end(.guestFault("hlt instruction"))
        case .shutdown:
            return .end(.guestFault("triple fault (KVM_EXIT_SHUTDOWN)"))
        case .internalError(let suberror):
            let fault = RunOutcome.guestFault("KVM internal error, suberror \(suberror)")
            // A debugger's int3 under an emulator that stops on it.
            return suberror == UInt32(KVM_INTERNAL_ERROR_EMULATION) ? .event(.emulationFailed, otherwise: fault)
                                                                   : .end(fault)
        case .failEntry(let reason):
            return .end(.guestFault("VM entry failed, hardware reason \(hex(reason))"))
        case .other(let reason):
            return .end(.guestFault("unexpected exit reason \(reason)"))
        }
    }

    /// An OUT of 4 bytes to a registered port runs its handler; any other
    /// port I/O is a guest fault.
    @inline(__always)
    private func hypercall(port: UInt16, out: Bool, size: UInt8, count: UInt32, value: UInt32) -> Step {
        guard out, size == 4, count == 1, let handler = hypercalls.handler(port: port) else {
            return .end(.guestFault("invalid port I/O: \(out ? "out" : "in") of \(size) "
                + "byte(s) x\(count) to port \(hex(port))"))
        }
        do {
            switch try handler(UInt64(value)) {
            case .resume: return .resume
            case .halt(let status, let cookie):
                return .event(.halted(status: status, cookie: cookie),
                              otherwise: .halted(status: status, cookie: cookie))
            }
        } catch {
            return .end(error.failureClass == .guestFault ? .guestFault(error.description)
                                                          : .hostError(error.description))
        }
    }
}
