// VCPUTarget.swift: the stopped vCPU as the debugger reads and changes it,
// and how it is set up to run on (KVM's guest debugging, or the guest's
// trap flag).
//
// Registers are read once per stop (three ioctls) and written back only
// where they changed: KVM_SET_SREGS and KVM_SET_FPU are not issued for a
// register write that does not touch them.

import CKVM
import KVM
import Support

final class VCPUTarget: DebugTarget {
    let vcpu: VCPU
    /// The registers of this stop, once read.
    private var cached: RegisterFile?
    /// The last KVM_SET_GUEST_DEBUG control, to skip repeating it.
    private var guestDebug: UInt32 = 0

    init(vcpu: VCPU) {
        self.vcpu = vcpu
    }

    func registers() throws(DebugTargetError) -> RegisterFile {
        if let cached { return cached }
        do throws(KVMError) {
            let file = RegisterFile(regs: try vcpu.registers(), sregs: try vcpu.specialRegisters(),
                                    fpu: try vcpu.fpu())
            cached = file
            return file
        } catch {
            throw DebugTargetError(reason: error.description)
        }
    }

    func setRegisters(_ file: RegisterFile) throws(DebugTargetError) {
        let old = try registers()
        do throws(KVMError) {
            if !VCPUTarget.same(old.regs, file.regs) { try vcpu.setRegisters(file.regs) }
            if !VCPUTarget.same(old.sregs, file.sregs) { try vcpu.setSpecialRegisters(file.sregs) }
            if !VCPUTarget.same(old.fpu, file.fpu) { try vcpu.setFPU(file.fpu) }
        } catch {
            cached = nil
            throw DebugTargetError(reason: error.description)
        }
        cached = file
    }

    /// Forgets the registers read: the guest is about to run.
    func invalidate() {
        cached = nil
    }

    /// The privilege level the vCPU runs at (0 or 3).
    func cpl() throws(DebugTargetError) -> UInt16 {
        try registers().sregs.cs.selector & 3
    }

    /// Sets KVM_SET_GUEST_DEBUG's control when it changes.
    func setGuestDebug(_ control: UInt32) throws(DebugTargetError) {
        guard control != guestDebug else { return }
        do throws(KVMError) {
            try vcpu.setGuestDebug(control: control)
        } catch {
            throw DebugTargetError(reason: error.description)
        }
        guestDebug = control
    }

    /// Puts the vCPU back in the context a fault report describes: the
    /// general registers, rip, rflags, and CS and SS with their flat
    /// descriptors, as the trap's `iretq` would have. Returns false (and
    /// changes nothing) for a report without all registers or with
    /// selectors that are not the ABI's flat ones.
    func enter(_ report: FaultReport) throws(DebugTargetError) -> Bool {
        guard report.hasAllRegisters else { return false }
        let c = report.cookie
        guard let (cs, ss) = VCPUTarget.segments(cs: c.cs, ss: c.ss) else { return false }
        var file = try registers()
        file.regs.rax = c.rax; file.regs.rbx = c.rbx; file.regs.rcx = c.rcx; file.regs.rdx = c.rdx
        file.regs.rsi = c.rsi; file.regs.rdi = c.rdi; file.regs.rbp = c.rbp; file.regs.rsp = c.rsp
        file.regs.r8 = c.r8; file.regs.r9 = c.r9; file.regs.r10 = c.r10; file.regs.r11 = c.r11
        file.regs.r12 = c.r12; file.regs.r13 = c.r13; file.regs.r14 = c.r14; file.regs.r15 = c.r15
        file.regs.rip = c.rip
        file.regs.rflags = c.rflags | X86.rflagsDefault
        file.sregs.cs = cs
        file.sregs.ss = ss
        try setRegisters(file)
        return true
    }

    /// The flat code and stack segments of the ABI for a fault report's CS
    /// and SS, by privilege level: the kernel's (ring 0) or the user ones
    /// (ring 3). Only the level counts: under PVM, ring-3 code that reads
    /// its own CS and SS (an abort's report) sees the host's user
    /// selectors, not the ABI's; and a null SS at ring 0 (a nested trap on
    /// an IST stack) is legal. nil for any other combination.
    static func segments(cs: UInt64, ss: UInt64) -> (kvm_segment, kvm_segment)? {
        guard cs <= 0xffff, ss <= 0xffff else { return nil }
        switch (cs & 3, ss & 3) {
        case (0, 0):
            return (EntryState.segment(selector: GDT.kernelCode, code: true, dpl: 0),
                    EntryState.segment(selector: GDT.kernelData, code: false, dpl: 0))
        case (3, 3):
            return (EntryState.segment(selector: GDT.userCode | 3, code: true, dpl: 3),
                    EntryState.segment(selector: GDT.userData | 3, code: false, dpl: 3))
        default:
            return nil
        }
    }

    /// Whether the guest's IDT has a present gate for `vector` (a trap at
    /// CPL 3 before the kernel fills its IDT would triple-fault).
    func gatePresent(_ vector: UInt64, in memory: GuestMemory) -> Bool {
        guard let idt = try? registers().sregs.idt else { return false }
        let gate = vector * 16
        guard gate + 15 <= UInt64(idt.limit),
              let attributes = try? memory.load(UInt8.self, gpa: idt.base &+ gate &+ 5, .guestReadable)
        else { return false }
        return attributes & 0x80 != 0
    }

    private static func same<T>(_ a: T, _ b: T) -> Bool {
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }
}
