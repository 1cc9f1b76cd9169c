// BPFInterpreter.swift: classic BPF as the kernel runs a seccomp filter,
// for the instructions a filter may hold (loads of seccomp_data words,
// ALU with constants, jumps, returns), so the tests can run a generated
// program against any input, many times over, without installing it.

import CSys
@testable import Monitor
@testable import Support

struct BPFInterpreter {
    /// What `run` found wrong with a program (the kernel would refuse it).
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    let program: [sock_filter]

    /// The program's verdict for call `nr` of architecture `arch` with
    /// argument registers `args` (six).
    func run(nr: Int32, arch: UInt32 = csys_AUDIT_ARCH_X86_64, args: [UInt64]) throws -> UInt32 {
        var data = seccomp_data()
        data.nr = nr
        data.arch = arch
        withUnsafeMutableBytes(of: &data.args) { raw in
            for (i, a) in args.enumerated() { raw.storeBytes(of: a, toByteOffset: i * 8, as: UInt64.self) }
        }
        let words: [UInt32] = withUnsafeBytes(of: &data) { Array($0.bindMemory(to: UInt32.self)) }
        var a: UInt32 = 0, pc = 0, steps = 0
        while pc < program.count {
            steps += 1
            guard steps <= program.count else { throw Invalid(description: "a loop") }
            let i = program[pc]
            let op = Int32(i.code)
            pc += 1
            switch op {
            case BPF_LD | BPF_W | BPF_ABS:
                guard i.k % 4 == 0, Int(i.k / 4) < words.count else { throw Invalid(description: "load at \(i.k)") }
                a = words[Int(i.k / 4)]
            case BPF_ALU | BPF_AND | BPF_K:
                a &= i.k
            case BPF_JMP | BPF_JA:
                pc += Int(i.k)
            case BPF_JMP | BPF_JEQ | BPF_K:
                pc += Int(a == i.k ? i.jt : i.jf)
            case BPF_JMP | BPF_JGE | BPF_K:
                pc += Int(a >= i.k ? i.jt : i.jf)
            case BPF_JMP | BPF_JGT | BPF_K:
                pc += Int(a > i.k ? i.jt : i.jf)
            case BPF_JMP | BPF_JSET | BPF_K:
                pc += Int(a & i.k != 0 ? i.jt : i.jf)
            case BPF_RET | BPF_K:
                return i.k
            default:
                throw Invalid(description: "opcode \(hex(op)) at \(pc - 1)")
            }
        }
        throw Invalid(description: "ran off the end")
    }
}
