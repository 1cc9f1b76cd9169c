// main.swift: ukvm-sandbox-probe, a test program (never installed): the
// monitor as `ukvm` runs it, plus one system call the sandbox must stop,
// made as soon as the sandbox is on (TestHooks.afterSandbox), chosen by
// UKVM_PROBE. Tests/IntegrationTests/UkvmSandboxTests.swift runs it.
//
//   UKVM_PROBE=open     open a file                  (openat: never allowed)
//   UKVM_PROBE=write    write to stdin's descriptor  (write: not on that fd)
//   UKVM_PROBE=ioctl    KVM_GET_FPU on the vCPU      (ioctl: not that request;
//                       KVM_GET_SREGS may be allowed: SET_FS_BASE uses it
//                       where the vCPU's CPUID lacks FSGSBASE, as kvm-pvm's)
//   UKVM_PROBE=mmap     map executable memory        (mmap: not with PROT_EXEC)
//   UKVM_PROBE=coreescape  with --dumpcore=DIR: create UKVM_PROBE_TARGET
//                       (outside DIR) through openat on DIR's descriptor,
//                       with the core file's flags (the filter allows the
//                       call; Landlock must refuse the path); prints
//                       "probe: refused: ERRNO" or "probe: the call was made"
//   UKVM_PROBE=none     nothing: the run goes on

import CKVM
import Glibc
import Monitor

let probe = getenv("UKVM_PROBE").map { String(cString: $0) } ?? "none"
let target = getenv("UKVM_PROBE_TARGET").map { String(cString: $0) } ?? ""

/// The descriptor the monitor holds on `directory` (found before the sandbox,
/// as code injected into the monitor could).
func descriptor(of directory: String) -> Int32 {
    for fd in Int32(3)..<Int32(256) {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/fd/\(fd)", &buf, buf.count - 1)
        if n > 0 && String(cString: buf) == directory { return fd }
    }
    return -1
}

nonisolated(unsafe) var coreDirectoryFD: Int32 = -1
if probe == "coreescape" {
    let dir = getenv("UKVM_PROBE_DIR").map { String(cString: $0) } ?? ""
    LaunchHooks.beforeSandbox = { coreDirectoryFD = descriptor(of: dir) }
}
TestHooks.afterSandbox = { vcpu in
    switch probe {
    case "open":
        _ = open("/etc/hostname", O_RDONLY)
    case "write":
        _ = write(0, "x", 1)
    case "ioctl":
        var fpu = kvm_fpu()
        _ = ckvm_ioctl(vcpu, ckvm_KVM_GET_FPU, &fpu)
    case "mmap":
        _ = mmap(nil, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    case "coreescape":
        let fd = openat(coreDirectoryFD, target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let line = "probe: refused: \(String(cString: strerror(errno)))\n"
            _ = write(2, line, line.utf8.count)
            return
        }
        _ = pwrite(fd, "escaped\n", 8, 0)
    default:
        return
    }
    // Not reached when the sandbox is on.
    let line = "probe: the call was made\n"
    _ = write(2, line, line.utf8.count)
}
exit(Ukvm.run(rawArguments: Ukvm.commandLineArguments))
