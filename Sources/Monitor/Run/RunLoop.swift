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
    /// The debugger (--gdb), or nil; see RunDebugger for where it is asked.
    var debugger: RunDebugger? = nil

    func run() -> RunOutcome {
        guard let debugger else { return loop() }
        if case .end(let outcome) = debugger.start() { return debugger.ending(outcome) }
        return debugger.ending(loop())
    }

    private func loop() -> RunOutcome {
        while true {
            let signo = Signals.caught
            if signo != 0 { return .signal(signo) }
            let exit: VMExit
            do {
                exit = try vcpu.run()
            } catch {
                return .hostError(error.description)
            }
            switch exit {
            case .io(let port, let out, let size, let count, let value):
                guard out, size == 4, count == 1, let handler = hypercalls.handler(port: port) else {
                    return .guestFault("invalid port I/O: \(out ? "out" : "in") of \(size) "
                        + "byte(s) x\(count) to port \(hex(port))")
                }
                do {
                    switch try handler(UInt64(value)) {
                    case .resume: continue
                    case .halt(let status, let cookie):
                        guard let debugger else { return .halted(status: status, cookie: cookie) }
                        switch debugger.halted(status: status, cookie: cookie) {
                        case .resume: continue
                        case .end(let outcome): return outcome
                        }
                    }
                } catch {
                    switch error.failureClass {
                    case .guestFault: return .guestFault(error.description)
                    default: return .hostError(error.description)
                    }
                }
            case .interrupted:
                // A stop signal interrupted KVM_RUN and is still pending,
                // or the debugger's connection has something to say.
                Signals.takePending()
                if let debugger, case .end(let outcome) = debugger.interrupted() { return outcome }
                continue
            case .debug(let exception, let pc):
                guard let debugger else {
                    return .guestFault("debug exit (exception \(exception)) at \(hex(pc)) with no debugger")
                }
                switch debugger.debugExit(exception: exception, pc: pc) {
                case .resume: continue
                case .end(let outcome): return outcome
                }
            case .mmio(let address, let isWrite):
                // KVM emulates a write to memory its mapping has read-only
                // (the image's, GuestMemory.protect) as MMIO.
                if isWrite && memory.overlapsReadOnly(address, address &+ 1) {
                    return .guestFault(RunLoop.readOnlyWrite + " at gpa \(hex(address))")
                }
                return .guestFault("MMIO \(isWrite ? "write" : "read") at unmapped address \(hex(address))")
            case .memoryFault:
                // Where the guest's own writes run natively, KVM cannot map
                // read-only memory writable and KVM_RUN fails with EFAULT.
                return .guestFault(RunLoop.readOnlyWrite + " (KVM_RUN: Bad address)")
            case .hlt:
                return .guestFault("hlt instruction")
            case .shutdown:
                return .guestFault("triple fault (KVM_EXIT_SHUTDOWN)")
            case .internalError(let suberror):
                if suberror == UInt32(KVM_INTERNAL_ERROR_EMULATION), let debugger,
                   let verdict = debugger.emulationFailed() {
                    switch verdict {
                    case .resume: continue
                    case .end(let outcome): return outcome
                    }
                }
                return .guestFault("KVM internal error, suberror \(suberror)")
            case .failEntry(let reason):
                return .guestFault("VM entry failed, hardware reason \(hex(reason))")
            case .other(let reason):
                return .guestFault("unexpected exit reason \(reason)")
            }
        }
    }
}
