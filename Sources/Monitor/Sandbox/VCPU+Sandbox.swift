// VCPU+Sandbox.swift: what the run loop does with the vCPU once the
// sandbox is on (the KVM layer knows nothing of the sandbox).

import CKVM
import KVM

extension VCPU {
    /// KVM_RUN, and KVM_GET_REGS for the rip of a fault's message.
    static func sandboxNeeds(fd: Int32) -> SandboxNeeds {
        .ioctl(on: fd, [ckvm_KVM_RUN, ckvm_KVM_GET_REGS], why: "the run loop")
    }
}
