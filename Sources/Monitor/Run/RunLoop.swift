// RunLoop.swift: runs the vCPU and dispatches its exits.
//
// Port I/O is the only exit a well-behaved guest causes: an OUT of 4 bytes
// to a hypercall port. Anything else ends the run as a guest fault.

import CKVM

/// How a run ended.
enum RunOutcome: Equatable {
    /// HALT hypercall: the guest's exit status.
    case halted(status: Int32)
    /// A stop signal arrived (SIGTERM, SIGINT, SIGHUP).
    case signal(Int32)
    /// Fatal guest condition; the cause, without the rip.
    case guestFault(String)
    /// Host failure at run time (KVM_RUN failed, unreportable I/O error).
    case hostError(String)
}

struct RunLoop {
    let vcpu: VCPU
    let hypercalls: HypercallTable
    /// Guest memory, for what a write to its read-only pages looks like.
    let memory: GuestMemory

    static let readOnlyWrite = "write to read-only memory (the image's code or read-only data)"

    func run() -> RunOutcome {
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
                    case .halt(let status): return .halted(status: status)
                    }
                } catch {
                    switch error.failureClass {
                    case .guestFault: return .guestFault(error.description)
                    default: return .hostError(error.description)
                    }
                }
            case .interrupted:
                // A stop signal interrupted KVM_RUN and is still pending.
                Signals.takePending()
                continue
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
                return .guestFault("KVM internal error, suberror \(suberror)")
            case .failEntry(let reason):
                return .guestFault("VM entry failed, hardware reason \(hex(reason))")
            case .other(let reason):
                return .guestFault("unexpected exit reason \(reason)")
            }
        }
    }
}
