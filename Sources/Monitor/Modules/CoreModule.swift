// CoreModule.swift: the hypercalls every guest uses: WALLTIME, PUTS, POLL
// and HALT; the console buffer's feature bit, when it is offered, and the
// boot info's entropy.

import CKVM
import CSys
import Glibc
import Support

final class CoreModule: MonitorModule {
    /// The guest's console buffer, when offered (set by the launcher).
    var console: ConsoleBuffer?
    func describe(_ info: inout ukvm_boot_info) {
        if console != nil { info.host_features |= UInt32(UKVM_HOST_FEATURE_CONSOLE_BUFFER) }
        // Random bytes for the guest's stack canary (ukvm_ext.h): the
        // kernel need not ask CPUID for RDRAND, an exit under kvm-pvm.
        var entropy: UInt64 = 0
        if csys_getrandom(&entropy, UInt(MemoryLayout<UInt64>.size)) == MemoryLayout<UInt64>.size {
            info.entropy = entropy
            info.host_features |= UInt32(UKVM_HOST_FEATURE_ENTROPY)
        }
    }

    /// WALLTIME reads the wall clock (the vDSO, or the system call where
    /// the clock source has no vDSO support). PUTS writes through the
    /// console and POLL waits through the device wait, which declare theirs.
    func sandboxNeeds(_ context: SandboxContext) -> SandboxNeeds {
        SandboxNeeds([SandboxRule(.clockGettime, [ArgumentTest(0, .equals32(UInt32(CLOCK_REALTIME)))],
                                  why: "WALLTIME")])
            + (console != nil ? ConsoleBuffer.sandboxNeeds : .none)
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            wait: DeviceWait) throws(MonitorError) {
        try table.register(UKVM_HYPERCALL_WALLTIME, updating: ukvm_hc_walltime.self, in: memory) { hc in
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            hc.nsecs = UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000
                &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
        }
        try table.register(UKVM_HYPERCALL_PUTS, reading: ukvm_hc_puts.self, in: memory) { hc throws(MonitorError) in
            let text = try memory.buffer(gpa: hc.data, count: hc.len, .guestReadable)
            let e = Console.writeAll(1, UnsafeRawBufferPointer(text))
            // EINTR: a stop signal is pending; the run loop acts on it next.
            guard e == 0 || e == EINTR else { throw .hostIO("console: write: \(errnoText(e))") }
            return .resume
        }
        try table.register(UKVM_HYPERCALL_POLL, updating: ukvm_hc_poll.self, in: memory) { hc in
            (hc.ready_set, hc.ret) = wait.wait(timeout: hc.timeout_nsecs)
        }
        try table.register(UKVM_HYPERCALL_HALT, reading: ukvm_hc_halt.self, in: memory) { hc throws(MonitorError) in
            if hc.cookie != 0 {
                _ = try memory.pointer(gpa: hc.cookie, count: UInt64(UKVM_HALT_COOKIE_MAX), .guestReadable)
            }
            return .halt(status: hc.exit_status, cookie: hc.cookie)
        }
    }
}
