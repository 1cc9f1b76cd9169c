// Platform.swift: what kind of KVM this is, where it changes what is fast
// (docs/platform.md).

import Glibc

package enum Platform {
    /// Whether KVM emulates the guest's ring-0 code instruction by
    /// instruction: kvm-pvm, which runs guests without hardware
    /// virtualization (its module is loaded).
    package static let emulatesRing0: Bool = access("/sys/module/kvm_pvm", F_OK) == 0
}
