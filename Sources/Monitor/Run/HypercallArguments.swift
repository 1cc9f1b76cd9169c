// HypercallArguments.swift: registering a hypercall with its argument
// struct, so that a handler is only its logic. The struct is loaded from
// guest memory (bounds- and access-checked: a bad address is the guest's
// fault) before the handler runs, and stored back after it, in one place.
// The results a handler puts in a struct's `ret` are HypercallStatus's.

import CKVM

/// The values of include/ukvm_abi.h's `enum ukvm_result`, as the argument
/// structs' `ret` fields (Int32) hold them.
enum HypercallStatus {
    static let ok = Int32(UKVM_OK.rawValue)
    static let again = Int32(UKVM_AGAIN.rawValue)
    static let invalid = Int32(UKVM_EINVAL.rawValue)
    static let unspecified = Int32(UKVM_EUNSPEC.rawValue)
}

extension HypercallTable {
    /// Registers `call`, whose argument struct `T` the handler reads and
    /// answers in (its `ret`, lengths): loaded from guest memory, which must
    /// be writable there, handed to `body`, stored back; the guest resumes.
    mutating func register<T: BitwiseCopyable>(
        _ call: ukvm_hypercall, updating _: T.Type, in memory: GuestMemory,
        _ body: @escaping (inout T) throws(MonitorError) -> Void
    ) throws(MonitorError) {
        try register(call) { gpa throws(MonitorError) in
            var arguments = try memory.load(T.self, gpa: gpa, .guestWritable)
            try body(&arguments)
            try memory.store(arguments, gpa: gpa, .guestWritable)
            return .resume
        }
    }

    /// Registers `call`, whose argument struct `T` the handler only reads;
    /// it says how the run goes on.
    mutating func register<T: BitwiseCopyable>(
        _ call: ukvm_hypercall, reading _: T.Type, in memory: GuestMemory,
        _ body: @escaping (T) throws(MonitorError) -> HypercallOutcome
    ) throws(MonitorError) {
        try register(call) { gpa throws(MonitorError) in
            try body(try memory.load(T.self, gpa: gpa, .guestReadable))
        }
    }
}
