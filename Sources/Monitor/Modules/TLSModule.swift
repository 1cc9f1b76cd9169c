// TLSModule.swift: SET_FS_BASE (include/ukvm_ext.h): the monitor sets the
// vCPU's FS base for a guest at CPL 3 whose CPU lacks FSGSBASE, where
// WRFSBASE would fault and WRMSR is ring 0 only. Offered
// (UKVM_HOST_FEATURE_SET_FS_BASE) only on such a vCPU: elsewhere the guest
// has WRFSBASE, the call gets EUNSPEC, and the sandbox keeps refusing the
// vCPU's segment state to the run.

import CKVM
import KVM

final class TLSModule: RunParticipant {
    /// The vCPU, from prepareRun on: the handler writes its segment state.
    private var vcpu: VCPU?
    /// Whether the call is offered: set by the launcher when the vCPU's
    /// CPUID lacks FSGSBASE.
    var offered = false

    func describe(_ info: inout ukvm_boot_info) {
        if offered { info.host_features |= UInt32(UKVM_HOST_FEATURE_SET_FS_BASE) }
    }

    var writesGuestCode: Bool { false }

    func prepareRun(_ guest: GuestContext) throws(MonitorError) -> ExitHook? {
        vcpu = guest.vcpu
        return nil
    }

    func runEnded(_ outcome: RunOutcome, guest: GuestContext) -> String? { nil }

    /// The handler reads and writes the vCPU's special registers.
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds {
        guard offered else { return .none }
        return .ioctl(on: context.vcpu, [ckvm_KVM_GET_SREGS, ckvm_KVM_SET_SREGS], why: "SET_FS_BASE: the FS base")
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {
        try table.register(UKVM_HYPERCALL_SET_FS_BASE, updating: ukvm_hc_set_fs_base.self, in: memory) {
            [unowned self] hc throws(MonitorError) in
            hc.ret = try setFSBase(hc.base)
        }
    }

    /// Sets FS.base to `base`: EINVAL for an address that is not canonical
    /// (the vCPU would refuse it, or the guest fault on its next use);
    /// EUNSPEC where the call is not offered.
    func setFSBase(_ base: UInt64) throws(MonitorError) -> Int32 {
        guard TLSModule.isCanonical(base) else { return HypercallStatus.invalid }
        guard offered else { return HypercallStatus.unspecified }
        guard let vcpu else { throw .setup("SET_FS_BASE before the vCPU was set up") }
        do {
            var sregs = try vcpu.specialRegisters()
            sregs.fs.base = base
            try vcpu.setSpecialRegisters(sregs)
        } catch {
            throw .hostIO("SET_FS_BASE: \(error)")
        }
        return HypercallStatus.ok
    }

    /// Bits 63 to 47 all equal: a 48-bit virtual address, sign-extended.
    static func isCanonical(_ address: UInt64) -> Bool {
        let top = address >> 47
        return top == 0 || top == (1 << 17) - 1
    }
}
