// Hypercalls.swift: the table from hypercall number to handler.
//
// A hypercall is `outl %eax, %dx` with dx = 0x500 + nr and eax = the
// guest-physical address of its argument struct. Modules register their
// handlers once at start-up; registering a number twice is a bug the table
// refuses. The run loop looks handlers up by number, nothing else: the path
// allocates nothing.

import CKVM

/// What the run loop does after a hypercall.
enum HypercallOutcome: Equatable {
    /// Run the guest again.
    case resume
    /// The guest halted with this exit status.
    case halt(status: Int32)
}

/// A handler gets the guest-physical address of its argument struct. It
/// throws `.guestAccess`/`.guestFault` for guest errors (exit 126) and
/// `.hostIO` for host errors it cannot report to the guest (exit 127).
typealias HypercallHandler = (UInt64) throws(MonitorError) -> HypercallOutcome

enum Hypercall: Int, CaseIterable {
    case walltime = 1, puts, poll, blockWrite, blockRead, netWrite, netRead, halt
    /// Our batched network I/O extension (ukvm_abi.h), port 0x510.
    case netio = 16

    static let portBase = UInt16(UKVM_HYPERCALL_PIO_BASE)
    /// One past the largest number; 9 to 15 are no hypercalls.
    static let limit = Int(UKVM_HYPERCALL_NETIO) + 1
}

struct HypercallTable {
    private var handlers: [HypercallHandler?] = Array(repeating: nil, count: Hypercall.limit)

    /// Installs the handler of `call`; a second registration is refused.
    mutating func register(_ call: Hypercall, _ handler: @escaping HypercallHandler) throws(MonitorError) {
        guard handlers[call.rawValue] == nil else {
            throw .setup("hypercall \(call) registered twice")
        }
        handlers[call.rawValue] = handler
    }

    /// The handler for port `port`, or nil if the port is no hypercall or
    /// nobody registered it.
    @inline(__always)
    func handler(port: UInt16) -> HypercallHandler? {
        let nr = Int(port) - Int(Hypercall.portBase)
        guard nr >= 1, nr < Hypercall.limit else { return nil }
        return handlers[nr]
    }

    var registered: [Hypercall] {
        Hypercall.allCases.filter { handlers[$0.rawValue] != nil }
    }
}
