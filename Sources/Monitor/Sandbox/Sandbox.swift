// Sandbox.swift: puts the monitor in its sandbox, once everything is set
// up and before the first KVM_RUN: no new privileges, root's special case
// locked off, no capability in any set that grants one, then the seccomp
// filter of the run's policy on every thread.
//
// From then on the monitor can make only the calls its parts declared
// (SandboxPolicy.swift), on the descriptors they opened; it cannot open a
// file, a socket or a process, gain a privilege, or map executable memory.
// `--x-no-sandbox` leaves it off, for debugging (strace, gdb and ASan work
// either way, but a tool that makes calls of its own inside the monitor
// needs it).

import CKVM
import CSys
import Glibc
import Support

enum Sandbox {
    /// What the Swift runtime and the C library may do at any moment of the
    /// run, and how the run ends: memory (never executable), and exit.
    static let runtimeNeeds: SandboxNeeds =
        .call(.exitGroup, why: "the end of the run")
        + .call(.gettid, why: "the Swift runtime: a global's first use (swift_once)")
        + .call(.brk, why: "malloc: the heap grows or shrinks")
        + SandboxNeeds([SandboxRule(.mmap, [ArgumentTest(2, .hasNone(UInt64(PROT_EXEC))),
                                            ArgumentTest(3, .hasAll(UInt64(MAP_PRIVATE | MAP_ANONYMOUS))),
                                            ArgumentTest(3, .hasNone(UInt64(MAP_SHARED)))],
                                    why: "malloc: large blocks (private, anonymous, never executable)")])
        + .call(.munmap, why: "free: large blocks")
        + sanitizerNeeds

    /// In a build with AddressSanitizer (scripts/test-asan compiles with
    /// -DUKVM_SANITIZER), what its runtime calls during the run: it queries
    /// the signal stack before every call that does not return, hands freed
    /// memory back, and blocks signals while a thread ends. Nothing in any
    /// other build.
    #if UKVM_SANITIZER
    static let sanitizerNeeds: SandboxNeeds =
        .call(.sigaltstack, why: "AddressSanitizer: before a call that does not return")
        + .call(.madvise, why: "AddressSanitizer: freed memory, a thread's end")
        + .call(.rtSigprocmask, why: "AddressSanitizer: a thread ends")
    #else
    static let sanitizerNeeds = SandboxNeeds.none
    #endif

    /// Enters the sandbox with the filter for `policy`. Throws if any step
    /// fails: a monitor that was asked for a sandbox does not run without.
    static func enter(_ policy: SandboxPolicy) throws(MonitorError) {
        let program = SeccompProgram.generate(policy)
        guard program.count <= SeccompProgram.maxInstructions else {
            throw .setup("sandbox: the filter has \(program.count) instructions, "
                + "more than the kernel's \(SeccompProgram.maxInstructions)")
        }
        // READ_IMPLIES_EXEC (setarch -X) would make every readable mapping
        // executable, behind the filter's back: cleared.
        let persona = personality(0xffff_ffff)
        if persona >= 0 && persona & Int32(READ_IMPLIES_EXEC) != 0 {
            guard personality(UInt(persona & ~Int32(READ_IMPLIES_EXEC))) >= 0 else {
                throw .setup("sandbox: clearing READ_IMPLIES_EXEC: \(errnoText(errno))")
            }
        }
        guard csys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0) == 0 else {
            throw .setup("sandbox: PR_SET_NO_NEW_PRIVS: \(errnoText(errno))")
        }
        try dropCapabilities()
        let result = program.withUnsafeBufferPointer { code in
            var prog = sock_fprog(len: UInt16(code.count), filter: UnsafeMutablePointer(mutating: code.baseAddress))
            return csys_seccomp_set_filter(UInt32(SECCOMP_FILTER_FLAG_TSYNC), &prog)
        }
        guard result == 0 else {
            throw .setup(result > 0 ? "sandbox: thread \(result) cannot take the filter (TSYNC)"
                                    : "sandbox: seccomp: \(errnoText(errno))")
        }
    }

    /// Ends root's special case for good (the locked securebits: with
    /// CAP_SETPCAP, as root; for any other user it has none to end), then
    /// empties the effective, permitted and inheritable sets, and with them
    /// the ambient set, which the kernel keeps inside both.
    ///
    /// The bounding set is left as it was, on purpose. It limits only what
    /// an execve grants, and with no new privileges an execve grants no
    /// capability the thread does not already have in its permitted set
    /// (empty here), whatever the file or uid 0 would give; besides, the
    /// filter refuses execve. Emptying it took 41 `prctl` calls, each a new
    /// set of credentials, about 0.06 ms of every start for nothing more
    /// (docs/hardening.md).
    private static func dropCapabilities() throws(MonitorError) {
        guard csys_prctl(PR_SET_SECUREBITS, csys_SECUREBITS_NO_ROOT_LOCKED, 0) == 0 || errno == EPERM else {
            throw .setup("sandbox: locking the securebits: \(errnoText(errno))")
        }
        guard csys_capset_none() == 0 else {
            throw .setup("sandbox: capset: \(errnoText(errno))")
        }
    }
}
