// Machine.swift: what this machine offers the tests (KVM, root and the
// network tools, QEMU), and saying loudly when a test cannot run.

import Foundation

/// The repository root (the directory holding Package.swift).
public let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url
        }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

public func repoPath(_ relative: String) -> String {
    repoRoot.appendingPathComponent(relative).path
}

/// Why KVM tests cannot run here, or nil when they can.
public let kvmUnavailable: String? = {
    if !FileManager.default.fileExists(atPath: "/dev/kvm") {
        return "SKIPPED: /dev/kvm does not exist; the ukvm tests need KVM"
    }
    if access("/dev/kvm", R_OK | W_OK) != 0 {
        return "SKIPPED: /dev/kvm is not readable and writable by this user"
    }
    return nil
}()

/// Why network tests cannot run here, or nil when they can.
public let networkUnavailable: String? = {
    if getuid() != 0 { return "SKIPPED: network tests need root (ip netns, tap devices)" }
    if !FileManager.default.fileExists(atPath: "/dev/net/tun") { return "SKIPPED: /dev/net/tun is missing" }
    if sh("command -v ip && command -v ping").status != 0 { return "SKIPPED: ip or ping is not installed" }
    return nil
}()

/// Why gdb tests cannot run here, or nil when they can.
public let gdbUnavailable: String? = {
    sh("command -v gdb").status == 0 ? nil : "SKIPPED: gdb is not installed (scripts/setup installs it)"
}()

/// Why QEMU tests cannot run here, or nil when they can.
public let qemuUnavailable: String? = {
    sh("command -v qemu-system-x86_64").status == 0
        ? nil : "SKIPPED: qemu-system-x86_64 is not installed (scripts/setup installs it)"
}()

/// Prints a loud skip reason, so a skipped test never passes silently.
public func announceSkip(_ reason: String, _ test: String = #function) {
    print("*** \(test): \(reason)")
}
