// DebugSession.swift: one gdb connection driving the vCPU: what the run
// loop hands it (as an ExitHook, Run/ExitHook.swift), the stops it reports,
// and how the guest runs on after each.
//
// Stops reach the debugger three ways, depending on the host and the CPL:
//   - KVM_EXIT_DEBUG: KVM's guest debugging (KVM_SET_GUEST_DEBUG) caught an
//     int3 or finished a single step. This is how it works on hardware
//     virtualization, and for ring-0 code under PVM (emulated).
//   - an emulation failure at one of our int3s: PVM's instruction emulator
//     (ring-0 code) stops on int3 instead of raising #BP.
//   - a debug trap the kernel hands over with HALT (ukvm_ext.h): under PVM,
//     ring-3 code runs natively and KVM does not intercept #BP or #DB; the
//     guest's own IDT sends them to its kernel, which passes them on when
//     the monitor sets UKVM_HOST_FEATURE_DEBUG. The session then puts the
//     vCPU back in the trapped context before gdb sees it.
// Single steps therefore use KVM's single step at CPL 0, and the guest's
// own trap flag (TF, which raises #DB after one instruction) at CPL 3.
//
// When the connection ends without a detach (gdb gone, a hostile peer, a
// write that cannot progress), the session ends as if detached: breakpoints
// removed, the guest runs on; one line says why.

import CKVM
import KVM

final class DebugSession: ExitHook {
    private let target: VCPUTarget
    private let memory: DebugMemory
    private let server: GDBServer
    private var connection: GDBConnection?
    /// How the run that the guest is in was asked to stop after one instruction.
    private var stepping = Stepping.none
    /// Events read while the guest ran, for the next stop to handle.
    private var pending: [GDBInput] = []
    /// The last reply sent, framed, for a `-`.
    private var lastReply: [UInt8] = []
    /// How the session began: served, or ended before gdb connected.
    private var startVerdict: ExitVerdict?

    /// Consecutive packets with bad checksums tolerated before the
    /// connection is dropped (a peer that cannot frame is not gdb).
    static let maxBadPackets = 64

    private enum Stepping {
        case none
        /// KVM_GUESTDBG_SINGLESTEP: a KVM_EXIT_DEBUG ends it.
        case kvm
        /// RFLAGS.TF set in the guest: the guest's #DB ends it.
        case trapFlag
    }

    /// What running on from a stop means.
    private enum StopKind {
        /// The guest runs on (breakpoint, step, interrupt).
        case resumable
        /// A fatal fault the kernel reported: running on without a signal
        /// re-enters the faulting context; passing the signal (C, S) or
        /// detaching lets the guest end with `outcome`, as it would have.
        case fault(RunOutcome)
        /// The run is over: anything but kill ends it with `outcome`.
        case final(RunOutcome)
    }

    /// A session over `connection`; `interrupted`: a stop signal came
    /// before gdb connected (no connection then).
    init(connection: GDBConnection?, vcpu: VCPU, memory: GuestMemory, interrupted: Int32 = 0) {
        target = VCPUTarget(vcpu: vcpu)
        self.memory = DebugMemory(memory)
        server = GDBServer(target: target, memory: self.memory)
        self.connection = connection
        if let connection {
            if !DebugInterrupt.install(socket: connection.fd, vcpu: vcpu) {
                Console.error("gdb: cannot watch the connection while the guest runs: "
                    + "interrupting it (Ctrl-C) will not work")
            }
        } else if interrupted != 0 {
            startVerdict = .end(.signal(interrupted))
        }
    }

    // MARK: The run loop's events (ExitHook)

    func runStarts() -> ExitVerdict? { start() }

    func handle(_ event: ExitEvent) -> ExitVerdict? {
        switch event {
        case .halted(let status, let cookie): return halted(status: status, cookie: cookie)
        case .interrupted: return interrupted()
        case .debugExit(let exception, let pc): return debugExit(exception: exception, pc: pc)
        case .emulationFailed: return emulationFailed()
        }
    }

    func runEnds(_ outcome: RunOutcome) -> RunOutcome { ending(outcome) }

    func start() -> ExitVerdict {
        if let startVerdict { return startVerdict }
        return serve(.stopped(.trap), kind: .resumable, announce: false)
    }

    func debugExit(exception: UInt32, pc: UInt64) -> ExitVerdict {
        guard connection != nil else {
            try? target.setGuestDebug(0)
            return .resume
        }
        guard exception == UInt32(UKVM_FAULT_VECTOR_BP), var file = try? target.registers() else {
            return serve(.stopped(.trap), kind: .resumable)
        }
        if memory.isBreakpoint(pc) {
            if file.regs.rip != pc {
                file.regs.rip = pc
                try? target.setRegisters(file)
            }
            return serve(.stopped(.trap, breakpoint: true), kind: .resumable)
        }
        // The guest's own int3: as if it had trapped, after the instruction.
        if file.regs.rip == pc {
            file.regs.rip = pc &+ 1
            try? target.setRegisters(file)
        }
        return serve(.stopped(.trap), kind: .resumable)
    }

    func emulationFailed() -> ExitVerdict? {
        guard connection != nil, let file = try? target.registers(), memory.isBreakpoint(file.regs.rip) else {
            return nil
        }
        return serve(.stopped(.trap, breakpoint: true), kind: .resumable)
    }

    func interrupted() -> ExitVerdict {
        guard DebugInterrupt.pending else { return .resume }
        DebugInterrupt.rearm()
        guard let connection else { return .resume }
        var stop = false
        do throws(GDBConnection.End) {
            while let event = try connection.poll() {
                switch event {
                case .ack, .nak: continue
                case .interrupt: stop = true
                case .packet, .badChecksum, .tooLong:
                    pending.append(event)
                    stop = true
                }
            }
        } catch {
            return lost(error, kind: .resumable)
        }
        return stop ? serve(.stopped(.int), kind: .resumable) : .resume
    }

    func halted(status: Int32, cookie: UInt64) -> ExitVerdict {
        let ending = RunOutcome.halted(status: status, cookie: cookie)
        guard let report = FaultReport.read(gpa: cookie, status: status, memory: memory.memory),
              report.hasAllRegisters else { return .end(ending) }
        guard connection != nil else {
            guard report.isDebugTrap else { return .end(ending) }
            // A trap for a debugger that has gone: fatal, as without --gdb.
            _ = try? target.enter(report)
            return .end(.guestFault("\(report.description) trap with no debugger attached"))
        }
        guard (try? target.enter(report)) == true else { return .end(ending) }
        switch report.kind {
        case .trap(vector: UInt32(UKVM_FAULT_VECTOR_BP)):
            // int3 traps after itself: one of ours is at rip - 1.
            guard var file = try? target.registers() else { return .end(ending) }
            let at = file.regs.rip &- 1
            guard memory.isBreakpoint(at) else { return serve(.stopped(.trap), kind: .resumable) }
            file.regs.rip = at
            try? target.setRegisters(file)
            return serve(.stopped(.trap, breakpoint: true), kind: .resumable)
        case .trap(vector: UInt32(UKVM_FAULT_VECTOR_DB)):
            // A single step (the only #DB the guest takes) is over, whoever
            // set the trap flag that raised it: the context runs on without.
            if var file = try? target.registers(), file.regs.rflags & DebugSession.trapFlag != 0 {
                file.regs.rflags &= ~DebugSession.trapFlag
                try? target.setRegisters(file)
            }
            return serve(.stopped(.trap), kind: .resumable)
        default:
            return serve(.stopped(report.signal.gdb), kind: .fault(ending))
        }
    }

    func ending(_ outcome: RunOutcome) -> RunOutcome {
        guard connection != nil else { return outcome }
        var final = outcome
        switch outcome {
        case .halted(let status, _):
            say(.exited(UInt8(truncatingIfNeeded: status)))
        case .guestFault:
            // Stop where the monitor caught the fault, for gdb to look at.
            if case .end(let o) = serve(.stopped(.segv), kind: .final(outcome)) { final = o }
            say(.terminated(.segv))
        case .signal(let signo):
            say(.terminated(GDBSignal(rawValue: UInt8(truncatingIfNeeded: signo)) ?? .kill))
        case .hostError:
            say(.terminated(.kill))
        case .killed:
            break
        }
        end(reason: nil)
        return final
    }

    // MARK: Stops

    /// Reports `stop` (unless gdb will ask with `?`) and serves packets
    /// until gdb resumes the guest, detaches or kills it.
    private func serve(_ stop: GDBStop, kind: StopKind, announce: Bool = true) -> ExitVerdict {
        guard let connection else { return afterSession(kind) }
        finishStep()
        server.lastStop = stop
        var badPackets = 0
        do throws(GDBConnection.End) {
            if announce { try reply(stop.reply) }
            while true {
                let event = pending.isEmpty ? try connection.receive() : pending.removeFirst()
                switch event {
                case .packet(let payload):
                    badPackets = 0
                    if !server.noAck { try connection.send([UInt8(ascii: "+")]) }
                    if let verdict = try perform(server.handle(payload), kind: kind) { return verdict }
                case .badChecksum:
                    badPackets += 1
                    guard badPackets <= DebugSession.maxBadPackets else {
                        throw .failed("\(badPackets) packets with bad checksums in a row")
                    }
                    if !server.noAck { try connection.send([UInt8(ascii: "-")]) }
                case .tooLong:
                    if !server.noAck { try connection.send([UInt8(ascii: "+")]) }
                    try reply(Array("E01".utf8))
                case .nak:
                    // Acknowledgements are gone in no-ack mode: a `-` is noise.
                    if !server.noAck { try connection.send(lastReply) }
                case .ack, .interrupt:
                    continue
                }
            }
        } catch {
            return lost(error, kind: kind)
        }
    }

    /// Carries out one packet's result; a verdict ends the stop.
    private func perform(_ result: GDBResult, kind: StopKind) throws(GDBConnection.End) -> ExitVerdict? {
        switch result {
        case .reply(let payload):
            try reply(payload)
            return nil
        case .resume(let r):
            switch kind {
            case .final(let outcome): return .end(outcome)
            case .fault(let outcome) where r.signal != nil: return .end(outcome)
            default: break
            }
            if let problem = prepare(r) {
                try reply(Array("E.\(problem)".utf8))
                return nil
            }
            return .resume
        case .detach:
            try? reply(Array("OK".utf8))
            end(reason: nil)
            return afterSession(kind)
        case .kill(let answer):
            if answer { try? reply(Array("OK".utf8)) }
            end(reason: nil)
            return .end(.killed)
        }
    }

    /// Sets the vCPU up to run on as `r` asks; a problem that keeps it
    /// stopped is returned as text for gdb.
    private func prepare(_ r: GDBResume) -> String? {
        do throws(DebugTargetError) {
            if let address = r.address {
                var file = try target.registers()
                file.regs.rip = address
                try target.setRegisters(file)
            }
            let breakpoints = memory.hasBreakpoints
                ? UInt32(KVM_GUESTDBG_ENABLE) | UInt32(KVM_GUESTDBG_USE_SW_BP) : 0
            if !r.step {
                stepping = .none
                try target.setGuestDebug(breakpoints)
            } else if try target.cpl() == 3 {
                guard target.gatePresent(UInt64(UKVM_FAULT_VECTOR_DB), in: memory.memory) else {
                    return "cannot single-step at CPL 3 before the guest's IDT handles #DB"
                }
                var file = try target.registers()
                file.regs.rflags |= DebugSession.trapFlag
                try target.setRegisters(file)
                stepping = .trapFlag
                try target.setGuestDebug(breakpoints)
            } else {
                stepping = .kvm
                try target.setGuestDebug(UInt32(KVM_GUESTDBG_ENABLE) | UInt32(KVM_GUESTDBG_SINGLESTEP)
                    | UInt32(KVM_GUESTDBG_USE_SW_BP))
            }
        } catch {
            return error.reason
        }
        target.invalidate()
        DebugInterrupt.rearm()
        // Bytes that came before the rearm raise no new SIGIO.
        if connection?.readable() == true { DebugInterrupt.raise() }
        return nil
    }

    static let trapFlag: UInt64 = 1 << 8

    /// After a step, whatever stopped the guest: the trap flag is ours to clear.
    private func finishStep() {
        if stepping == .trapFlag, var file = try? target.registers(), file.regs.rflags & DebugSession.trapFlag != 0 {
            file.regs.rflags &= ~DebugSession.trapFlag
            try? target.setRegisters(file)
        }
        stepping = .none
    }

    // MARK: Connection

    private func reply(_ payload: [UInt8]) throws(GDBConnection.End) {
        lastReply = GDBPacket.frame(payload)
        try connection?.send(lastReply)
    }

    /// Tells gdb how the run ended, if it still listens.
    private func say(_ stop: GDBStop) {
        try? reply(stop.reply)
    }

    /// The verdict when the connection ended at a stop of `kind`.
    private func lost(_ end: GDBConnection.End, kind: StopKind) -> ExitVerdict {
        switch end {
        case .signal(let signo):
            self.end(reason: nil)
            return .end(.signal(signo))
        case .closed:
            self.end(reason: "gdb closed the connection")
        case .failed(let why):
            self.end(reason: why)
        }
        return afterSession(kind)
    }

    /// How the run goes on once the session is over.
    private func afterSession(_ kind: StopKind) -> ExitVerdict {
        switch kind {
        case .resumable: return .resume
        case .fault(let outcome), .final(let outcome): return .end(outcome)
        }
    }

    /// Ends the session: breakpoints out, KVM's debugging off, the guest's
    /// trap flag cleared, the connection closed.
    private func end(reason: String?) {
        guard let connection else { return }
        finishStep()
        memory.removeAllBreakpoints()
        try? target.setGuestDebug(0)
        target.invalidate()
        connection.close()
        DebugInterrupt.uninstall()
        DebugInterrupt.rearm()
        self.connection = nil
        pending.removeAll()
        if let reason { Console.error("gdb: \(reason); debugging ended") }
    }
}
