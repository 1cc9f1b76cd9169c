// SeccompProgram.swift: a policy (SandboxPolicy.swift) as a seccomp BPF
// program, written by the project (no libseccomp).
//
// The program, over struct seccomp_data (nr, arch, ip, args[6]):
//
//       ld arch;  jeq AUDIT_ARCH_X86_64 ? next : kill     not x86_64's ABI
//       ld nr
//       jeq nr(call 1) ? next : skip 1;  ja rules(call 1) one pair per call,
//       ...                                                in policy order
//       ret violation                                      no such call
//   rules(call k):
//       for each rule: its tests, each failing to the next rule; ret allow
//       ret violation                                      no rule held
//
// Every conditional jump goes at most one instruction ahead (to skip a
// `ja`), and only `ja`, whose offset is 32 bits, goes further: so the 8-bit
// offsets of conditional jumps can never overflow, however many rules.
// x32 system calls (numbers with bit 30 set) match no call and are
// violations. The hot call (ioctl KVM_RUN) is first, and costs six
// instructions.

import CSys

enum SeccompProgram {
    /// The most instructions a seccomp program may have (BPF_MAXINSNS).
    static let maxInstructions = 4096

    /// Offsets in struct seccomp_data.
    static let nrOffset = UInt32(csys_SECCOMP_DATA_NR)
    static let archOffset = UInt32(csys_SECCOMP_DATA_ARCH)
    static let argsOffset = UInt32(csys_SECCOMP_DATA_ARGS)

    /// The program for `policy`; a call it does not allow returns
    /// `violation` (SECCOMP_RET_TRAP: the SIGSYS handler reports it).
    static func generate(_ policy: SandboxPolicy, violation: UInt32 = UInt32(SECCOMP_RET_TRAP)) -> [sock_filter] {
        var a = Assembler()
        a.load(archOffset)
        a.skipNextIf(equal: csys_AUDIT_ARCH_X86_64)
        a.ret(UInt32(SECCOMP_RET_KILL_PROCESS))
        a.load(nrOffset)
        let entries = policy.groups.map { _ in a.label() }
        for (g, entry) in zip(policy.groups, entries) {
            a.unlessEqual(UInt32(bitPattern: g.call.number), skip: 1)
            a.jump(to: entry)
        }
        a.ret(violation)
        for (g, entry) in zip(policy.groups, entries) {
            a.place(entry)
            for rule in g.rules {
                let next = a.label()
                for t in rule.tests { test(t, failingTo: next, in: &a) }
                a.ret(UInt32(SECCOMP_RET_ALLOW))
                a.place(next)
            }
            a.ret(violation)
        }
        return a.resolved()
    }

    /// One argument test; jumps to `fail` if it does not hold.
    private static func test(_ t: ArgumentTest, failingTo fail: Assembler.Label, in a: inout Assembler) {
        let low = argsOffset + UInt32(t.index) * 8, high = low + 4
        func halves(_ v: UInt64) -> (UInt32, UInt32) { (UInt32(truncatingIfNeeded: v), UInt32(v >> 32)) }
        switch t.check {
        case .equals32(let v):
            a.load(low)
            a.skipNextIf(equal: v)
            a.jump(to: fail)
        case .equals(let v):
            let (lo, hi) = halves(v)
            for (offset, word) in [(low, lo), (high, hi)] {
                a.load(offset)
                a.skipNextIf(equal: word)
                a.jump(to: fail)
            }
        case .hasNone(let mask):
            let (lo, hi) = halves(mask)
            for (offset, word) in [(low, lo), (high, hi)] where word != 0 {
                a.load(offset)
                a.unlessAnySet(word, skip: 1)
                a.jump(to: fail)
            }
        case .hasAll(let mask):
            let (lo, hi) = halves(mask)
            for (offset, word) in [(low, lo), (high, hi)] where word != 0 {
                a.load(offset)
                a.and(word)
                a.skipNextIf(equal: word)
                a.jump(to: fail)
            }
        }
    }
}

/// Builds a BPF program with forward `ja` jumps to labels.
private struct Assembler {
    typealias Label = Int

    private var code: [sock_filter] = []
    private var targets: [Int?] = []
    private var jumps: [(at: Int, to: Label)] = []

    mutating func label() -> Label {
        targets.append(nil)
        return targets.count - 1
    }

    mutating func place(_ l: Label) {
        targets[l] = code.count
    }

    private mutating func emit(_ op: Int32, _ k: UInt32, jt: UInt8 = 0, jf: UInt8 = 0) {
        code.append(sock_filter(code: UInt16(op), jt: jt, jf: jf, k: k))
    }

    /// A = the 32-bit word at `offset` of seccomp_data.
    mutating func load(_ offset: UInt32) { emit(BPF_LD | BPF_W | BPF_ABS, offset) }

    /// A &= k.
    mutating func and(_ k: UInt32) { emit(BPF_ALU | BPF_AND | BPF_K, k) }

    mutating func ret(_ k: UInt32) { emit(BPF_RET | BPF_K, k) }

    /// If A == k, skip the next instruction.
    mutating func skipNextIf(equal k: UInt32) { emit(BPF_JMP | BPF_JEQ | BPF_K, k, jt: 1, jf: 0) }

    /// Unless A == k, skip `n` instructions.
    mutating func unlessEqual(_ k: UInt32, skip n: UInt8) { emit(BPF_JMP | BPF_JEQ | BPF_K, k, jt: 0, jf: n) }

    /// Unless A has a bit of k set, skip `n` instructions.
    mutating func unlessAnySet(_ k: UInt32, skip n: UInt8) { emit(BPF_JMP | BPF_JSET | BPF_K, k, jt: 0, jf: n) }

    mutating func jump(to l: Label) {
        jumps.append((code.count, l))
        emit(BPF_JMP | BPF_JA, 0)
    }

    /// The program with every `ja` pointing at its label.
    func resolved() -> [sock_filter] {
        var out = code
        for j in jumps {
            guard let target = targets[j.to], target > j.at else { preconditionFailure("unplaced or backward label") }
            out[j.at].k = UInt32(target - j.at - 1)
        }
        return out
    }
}
