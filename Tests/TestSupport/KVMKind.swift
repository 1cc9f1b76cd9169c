// KVMKind.swift: which kind of KVM this machine's /dev/kvm is, for the few
// expectations that differ between them (docs/platform.md).

import Foundation

public enum KVMKind: String, Sendable {
    /// Hardware virtualization (VT-x or SVM): guest code runs natively.
    case hardware = "hardware KVM (vmx/svm)"
    /// kvm-pvm: no vmx or svm; ring 0 is emulated, writes to read-only
    /// guest memory reach the monitor as MMIO exits.
    case pvm = "kvm-pvm"

    /// This machine's: hardware when /proc/cpuinfo lists vmx or svm.
    public static let current: KVMKind = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = info.split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? []
        return flags.contains("vmx") || flags.contains("svm") ? .hardware : .pvm
    }()
}
