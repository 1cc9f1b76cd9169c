// HypercallTable.swift: the table from hypercall number to handler.
//
// A hypercall is `outl %eax, %dx` with dx = UKVM_HYPERCALL_PIO_BASE + nr and
// eax = the guest-physical address of its argument struct. The numbers are
// the C enum `ukvm_hypercall` of include/ukvm_abi.h. Modules register their
// handlers once at start-up; registering a number twice is a bug the table
// refuses. The run loop looks handlers up by port, nothing else: the path
// allocates nothing.

import CKVM

/// What the run loop does after a hypercall.
enum HypercallOutcome: Equatable {
    /// Run the guest again.
    case resume
    /// The guest halted with this exit status and cookie (0: none).
    case halt(status: Int32, cookie: UInt64)
}

/// A handler gets the guest-physical address of its argument struct. It
/// throws `.guestAccess`/`.guestFault` for guest errors and `.hostIO` for
/// host errors it cannot report to the guest.
typealias HypercallHandler = (UInt64) throws(MonitorError) -> HypercallOutcome

struct HypercallTable {
    static let portBase = UInt16(UKVM_HYPERCALL_PIO_BASE)
    /// One past the largest hypercall number.
    static let limit = Int(UKVM_HYPERCALL_MAX.rawValue)

    private var handlers: [HypercallHandler?] = Array(repeating: nil, count: HypercallTable.limit)

    /// Installs the handler of `call`; a second registration is refused.
    mutating func register(_ call: ukvm_hypercall, _ handler: @escaping HypercallHandler) throws(MonitorError) {
        let nr = Int(call.rawValue)
        guard nr >= 1, nr < HypercallTable.limit else {
            throw .setup("hypercall \(nr) is outside the table")
        }
        guard handlers[nr] == nil else { throw .setup("hypercall \(nr) registered twice") }
        handlers[nr] = handler
    }

    /// The handler for port `port`, or nil if the port is no hypercall or
    /// nobody registered it.
    @inline(__always)
    func handler(port: UInt16) -> HypercallHandler? {
        let nr = Int(port) - Int(HypercallTable.portBase)
        guard nr >= 1, nr < HypercallTable.limit else { return nil }
        return handlers[nr]
    }

    /// The numbers with a handler, in order.
    var registered: [ukvm_hypercall] {
        handlers.indices.filter { handlers[$0] != nil }.map { ukvm_hypercall(UInt32($0)) }
    }
}
