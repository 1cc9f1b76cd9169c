// SandboxPolicy.swift: what the monitor may do once the sandbox is on, as
// data: rules, each a system call allowed with some arguments, contributed
// by the parts of the monitor that make the calls.
//
// Every module says what its hypercalls and its shutdown need
// (`MonitorModule.sandboxNeeds`), the launcher adds what the run loop, the
// device wait, the console, the signals and the runtime need, and the
// policy is the union. SeccompProgram.swift turns a policy into a seccomp
// filter; Sandbox.swift installs it. A new feature adds its rules where it
// makes its calls, and nothing else changes.
//
// A seccomp filter sees a call's number and the six argument registers,
// never the memory they point to, so a rule can test a descriptor, an
// ioctl request, a flag, but not a path or a buffer.

import Support


/// One test of one argument register.
struct ArgumentTest: Hashable, CustomStringConvertible {
    enum Check: Hashable {
        /// The low 32 bits equal the value: for `int` and `unsigned int`
        /// arguments (descriptors, ioctl requests), whose high half the
        /// kernel ignores.
        case equals32(UInt32)
        /// All 64 bits equal the value.
        case equals(UInt64)
        /// None of the mask's bits is set.
        case hasNone(UInt64)
        /// Every bit of the mask is set.
        case hasAll(UInt64)
    }

    /// The argument, 0 to 5.
    let index: Int
    let check: Check

    init(_ index: Int, _ check: Check) {
        precondition((0..<6).contains(index), "system calls have six arguments")
        self.index = index
        self.check = check
    }

    /// Whether the test holds for argument registers `args`.
    func holds(_ args: [UInt64]) -> Bool {
        let a = args[index]
        switch check {
        case .equals32(let v): return UInt32(truncatingIfNeeded: a) == v
        case .equals(let v): return a == v
        case .hasNone(let mask): return a & mask == 0
        case .hasAll(let mask): return a & mask == mask
        }
    }

    var description: String {
        switch check {
        case .equals32(let v): return "arg\(index) == \(hex(v))"
        case .equals(let v): return "arg\(index) == \(hex(v)) (64 bits)"
        case .hasNone(let m): return "arg\(index) & \(hex(m)) == 0"
        case .hasAll(let m): return "arg\(index) & \(hex(m)) == \(hex(m))"
        }
    }
}

/// A system call allowed when all its tests hold (always, without tests).
struct SandboxRule: Hashable, CustomStringConvertible {
    let call: Syscall
    let tests: [ArgumentTest]
    /// Who makes the call and why, for the policy's listing.
    let why: String

    init(_ call: Syscall, _ tests: [ArgumentTest] = [], why: String) {
        self.call = call
        self.tests = tests
        self.why = why
    }

    func allows(_ args: [UInt64]) -> Bool {
        tests.allSatisfy { $0.holds(args) }
    }

    var description: String {
        "\(call.name)" + (tests.isEmpty ? "" : " if " + tests.map { $0.description }.joined(separator: " && "))
            + ": \(why)"
    }
}

/// What one part of the monitor does once the sandbox is on.
struct SandboxNeeds {
    var rules: [SandboxRule] = []

    static let none = SandboxNeeds()

    init(_ rules: [SandboxRule] = []) {
        self.rules = rules
    }

    static func + (a: SandboxNeeds, b: SandboxNeeds) -> SandboxNeeds {
        SandboxNeeds(a.rules + b.rules)
    }

    /// `call` with any arguments.
    static func call(_ call: Syscall, why: String) -> SandboxNeeds {
        SandboxNeeds([SandboxRule(call, why: why)])
    }

    /// Each of `calls` on each of the descriptors `fds` (first argument).
    static func calls(_ calls: [Syscall], on fds: [Int32], why: String) -> SandboxNeeds {
        SandboxNeeds(calls.flatMap { c in
            fds.map { SandboxRule(c, [ArgumentTest(0, .equals32(UInt32(bitPattern: $0)))], why: why) }
        })
    }

    /// ioctl on descriptor `fd` with each of `requests` (an `unsigned int`
    /// for the kernel).
    static func ioctl(on fd: Int32, _ requests: [UInt], why: String) -> SandboxNeeds {
        SandboxNeeds(requests.map {
            SandboxRule(.ioctl, [ArgumentTest(0, .equals32(UInt32(bitPattern: fd))),
                                 ArgumentTest(1, .equals32(UInt32(truncatingIfNeeded: $0)))], why: why)
        })
    }
}

/// The union of every part's needs, by system call: what the filter
/// allows, and nothing else.
struct SandboxPolicy {
    /// The calls, in the order they were first named (the filter tests them
    /// in this order: the hottest first), each with its rules. A call with
    /// an unconditional rule keeps only that one.
    let groups: [(call: Syscall, rules: [SandboxRule])]

    init(_ needs: SandboxNeeds) {
        // A few dozen rules: a linear search is all it takes.
        var groups: [(call: Syscall, rules: [SandboxRule])] = []
        for r in needs.rules {
            guard let g = groups.firstIndex(where: { $0.call.number == r.call.number }) else {
                groups.append((r.call, [r]))
                continue
            }
            if !groups[g].rules.contains(where: { $0.tests == r.tests }) { groups[g].rules.append(r) }
        }
        self.groups = groups.map { g in
            if let always = g.rules.first(where: { $0.tests.isEmpty }) { return (g.call, [always]) }
            return g
        }
    }

    /// The allowed calls.
    var calls: [Syscall] { groups.map { $0.call } }

    /// Whether system call `number` with argument registers `args` (six)
    /// is allowed: what the filter must decide, stated plainly.
    func allows(_ number: Int32, _ args: [UInt64]) -> Bool {
        guard let g = groups.first(where: { $0.call.number == number }) else { return false }
        return g.rules.contains { $0.allows(args) }
    }

    /// Whether `number` is allowed with some arguments only.
    func restricts(_ number: Int32) -> Bool {
        groups.first { $0.call.number == number }.map { !$0.rules.allSatisfy { $0.tests.isEmpty } } ?? false
    }

    /// One line per rule, for docs and debugging.
    var listing: [String] { groups.flatMap { $0.rules.map { $0.description } } }
}
