// Core.swift: the core module: guest memory size (--mem) and the hypercalls
// every guest uses: WALLTIME, PUTS, POLL and HALT.

import CKVM
import Glibc

final class CoreModule: MonitorModule {
    let name = "core"
    static let defaultMemoryMiB: UInt64 = 512
    static let maxMemoryMiB: UInt64 = 4096

    /// --mem, in MiB as given.
    private(set) var memoryMiB = CoreModule.defaultMemoryMiB

    /// Guest memory in bytes: --mem rounded down to a multiple of 2 MiB.
    var memorySize: UInt64 { (memoryMiB << 20) & ~(X86.largePageSize - 1) }

    var usage: [String] {
        ["--mem=MB                   guest memory in MiB (default \(CoreModule.defaultMemoryMiB), "
            + "at most \(CoreModule.maxMemoryMiB); rounded down to a multiple of 2)"]
    }

    func handleFlag(_ arg: String) throws(MonitorError) -> Bool {
        if arg == "--mem" { throw .malformedFlag(arg: arg, form: "--mem=MB") }
        guard arg.hasPrefix("--mem=") else { return false }
        let text = String(arg.dropFirst("--mem=".count))
        guard let mib = DeviceFlag.decimal(text) else {
            throw .badValue(flag: "--mem", value: text, expected: "number of MiB")
        }
        guard mib >= 2, mib <= CoreModule.maxMemoryMiB else {
            throw .memorySize("--mem=\(text): guest memory must be 2 to \(CoreModule.maxMemoryMiB) MiB")
        }
        memoryMiB = mib
        return true
    }

    func registerHypercalls(_ table: inout HypercallTable, memory: GuestMemory,
                            context: ModuleContext) throws(MonitorError) {
        let devices = context.deviceWait
        try table.register(.walltime) { gpa throws(MonitorError) in
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let ns = UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000
                &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
            try memory.store(ukvm_hc_walltime(nsecs: ns), gpa: gpa, .guestWritable)
            return .resume
        }
        try table.register(.puts) { gpa throws(MonitorError) in
            let hc = try memory.load(ukvm_hc_puts.self, gpa: gpa, .guestReadable)
            let text = try memory.buffer(gpa: hc.data, count: hc.len, .guestReadable)
            let e = Console.writeAll(1, UnsafeRawBufferPointer(text))
            // EINTR: a stop signal is pending; the run loop acts on it next.
            guard e == 0 || e == EINTR else { throw .hostIO("console: write: \(errnoText(e))") }
            return .resume
        }
        try table.register(.poll) { gpa throws(MonitorError) in
            var hc = try memory.load(ukvm_hc_poll.self, gpa: gpa, .guestWritable)
            (hc.ready_set, hc.ret) = devices.wait(timeout: hc.timeout_nsecs)
            try memory.store(hc, gpa: gpa, .guestWritable)
            return .resume
        }
        try table.register(.halt) { gpa throws(MonitorError) in
            let hc = try memory.load(ukvm_hc_halt.self, gpa: gpa, .guestReadable)
            if hc.cookie != 0 {
                _ = try memory.pointer(gpa: hc.cookie, count: UInt64(UKVM_HALT_COOKIE_MAX), .guestReadable)
            }
            return .halt(status: hc.exit_status)
        }
    }
}
