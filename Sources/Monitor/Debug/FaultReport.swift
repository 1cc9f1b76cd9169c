// FaultReport.swift: the fault report a kernel hands over with HALT
// (struct ukvm_fault_cookie, include/ukvm_ext.h), read from guest memory
// and checked, and the signal each kind of fault stands for.

import CKVM
import Glibc

struct FaultReport {
    enum Kind: Equatable {
        /// A CPU exception: its vector (0-31).
        case trap(vector: UInt32)
        /// solo5_abort(), a failed assertion, a panic.
        case abort
        /// Only the first 56 bytes mean something (an upstream-built
        /// kernel's trap registers, or any cookie without our magic).
        case upstream
    }

    let kind: Kind
    /// The cookie as the guest wrote it; for `.upstream`, only cr2 to ss.
    let cookie: ukvm_fault_cookie

    /// The report at `gpa`, or nil when there is none (0) or it lies
    /// outside what the guest can read. A cookie of status 255 without our
    /// magic is what upstream's kernels pass from a trap; one with our magic
    /// but an unknown version, kind or vector is treated the same way.
    static func read(gpa: UInt64, status: Int32, memory: GuestMemory) -> FaultReport? {
        guard gpa != 0, let c = try? memory.load(ukvm_fault_cookie.self, gpa: gpa, .guestReadable) else {
            return nil
        }
        if c.magic == UInt32(UKVM_FAULT_MAGIC) && c.version == UInt32(UKVM_FAULT_VERSION) {
            if c.kind == UInt32(UKVM_FAULT_TRAP) && c.vector < 32 { return FaultReport(kind: .trap(vector: c.vector), cookie: c) }
            if c.kind == UInt32(UKVM_FAULT_ABORT) { return FaultReport(kind: .abort, cookie: c) }
        }
        return status == Int32(UKVM_FAULT_STATUS) ? FaultReport(kind: .upstream, cookie: c) : nil
    }

    /// Whether this is a debug trap the debugger takes (#DB or #BP).
    var isDebugTrap: Bool {
        kind == .trap(vector: UInt32(UKVM_FAULT_VECTOR_DB)) || kind == .trap(vector: UInt32(UKVM_FAULT_VECTOR_BP))
    }

    /// Whether all the registers are there (ours), or only rip to ss.
    var hasAllRegisters: Bool { kind != .upstream }

    var signal: FaultSignal {
        switch kind {
        case .trap(let vector): return FaultSignal(vector: vector)
        case .abort, .upstream: return .abrt
        }
    }

    /// "#UD (vector 6)", "abort".
    var description: String {
        switch kind {
        case .trap(let vector): return "\(FaultSignal.exceptionNames[Int(vector)]) (vector \(vector))"
        case .abort: return "abort"
        case .upstream: return "abort or trap"
        }
    }
}

/// The signal a fault stands for, as a Linux process would have got it;
/// gdb's numbering (the protocol's) and the host's (core files) both.
enum FaultSignal {
    case trap, ill, fpe, segv, bus, abrt

    /// The signal Linux sends a process for x86 exception `vector`.
    init(vector: UInt32) {
        switch vector {
        case 0, 16, 19: self = .fpe            // #DE, #MF, #XM
        case 1, 3: self = .trap                // #DB, #BP
        case 6: self = .ill                    // #UD
        case 12, 17, 18: self = .bus           // #SS, #AC, #MC
        default: self = .segv                  // #GP, #PF, #NP, ...
        }
    }

    var gdb: GDBSignal {
        switch self {
        case .trap: return .trap
        case .ill: return .ill
        case .fpe: return .fpe
        case .segv: return .segv
        case .bus: return .bus
        case .abrt: return .abrt
        }
    }

    var host: Int32 {
        switch self {
        case .trap: return SIGTRAP
        case .ill: return SIGILL
        case .fpe: return SIGFPE
        case .segv: return SIGSEGV
        case .bus: return SIGBUS
        case .abrt: return SIGABRT
        }
    }

    static let exceptionNames = [
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF",
        "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV",
        "#VC", "#SX", "#31",
    ]
}
