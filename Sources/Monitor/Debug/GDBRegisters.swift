// GDBRegisters.swift: the vCPU's registers as gdb numbers them.
//
// The stub describes its registers to gdb in a target description (XML,
// served by qXfer:features:read): the standard i386 features gdb knows by
// name (org.gnu.gdb.i386.core: general, rip, eflags, segment selectors and
// the x87 registers; .sse: xmm0-15 and mxcsr; .segments: fs_base and
// gs_base), plus one of ours for the control registers. A register's number
// is its place in that description, and the `g` packet is all of them in
// that order, little-endian, each at its bit size.
//
// Writable: the general registers, rip, eflags, fs_base, gs_base and the
// x87/SSE state. Segment selectors and control registers are read-only: a
// write that changes one is refused (changing CS or CR3 under a running
// kernel is not a debugging step; it breaks the guest).

import CKVM

/// Everything a debugger can see of the vCPU, as KVM hands it out.
struct RegisterFile {
    var regs = kvm_regs()
    var sregs = kvm_sregs()
    var fpu = kvm_fpu()
}

/// Why a register access was refused.
enum RegisterError: Error, Equatable {
    case noSuchRegister
    case readOnly
    case badSize
}

enum GDBRegisters {
    /// Where a register's value lives in the RegisterFile.
    enum Place {
        /// A 64-bit general register (and rip).
        case general(WritableKeyPath<kvm_regs, UInt64>)
        /// eflags: the low 32 bits of rflags.
        case eflags
        /// A segment selector (32 bits in gdb's layout); read-only.
        case selector(WritableKeyPath<kvm_sregs, kvm_segment>)
        /// A segment's base (fs_base, gs_base).
        case segmentBase(WritableKeyPath<kvm_sregs, kvm_segment>)
        /// A control register or EFER; read-only.
        case control(WritableKeyPath<kvm_sregs, UInt64>)
        /// st(i): the first 10 bytes of kvm_fpu.fpr[i].
        case st(Int)
        /// fctrl, fstat, fop: a 16-bit field shown in 32 bits.
        case fpu16(WritableKeyPath<kvm_fpu, UInt16>)
        /// ftag: gdb wants the full tag word, KVM has the abridged one.
        case ftag
        /// fioff/fiseg, fooff/foseg: low and high halves of the 64-bit
        /// FPU instruction and operand pointers (64-bit FXSAVE layout).
        case pointerLow(WritableKeyPath<kvm_fpu, UInt64>)
        case pointerHigh(WritableKeyPath<kvm_fpu, UInt64>)
        case xmm(Int)
        case mxcsr
    }

    enum Feature: String {
        case core = "org.gnu.gdb.i386.core"
        case sse = "org.gnu.gdb.i386.sse"
        case segments = "org.gnu.gdb.i386.segments"
        /// Ours: gdb shows registers of features it does not know as they are.
        case system = "org.ukvm.x86-64.system"
    }

    struct Register {
        let name: String
        let bits: Int
        let type: String
        let group: String?
        let feature: Feature
        let place: Place

        var bytes: Int { bits / 8 }
    }

    private static func general(_ name: String, _ key: WritableKeyPath<kvm_regs, UInt64>,
                                type: String = "int64") -> Register {
        Register(name: name, bits: 64, type: type, group: nil, feature: .core, place: .general(key))
    }

    /// Every register, in gdb's numbering.
    static let all: [Register] = {
        var r: [Register] = [
            general("rax", \.rax), general("rbx", \.rbx), general("rcx", \.rcx), general("rdx", \.rdx),
            general("rsi", \.rsi), general("rdi", \.rdi),
            general("rbp", \.rbp, type: "data_ptr"), general("rsp", \.rsp, type: "data_ptr"),
            general("r8", \.r8), general("r9", \.r9), general("r10", \.r10), general("r11", \.r11),
            general("r12", \.r12), general("r13", \.r13), general("r14", \.r14), general("r15", \.r15),
            general("rip", \.rip, type: "code_ptr"),
            Register(name: "eflags", bits: 32, type: "x86_eflags", group: nil, feature: .core, place: .eflags),
        ]
        let selectors: [(String, WritableKeyPath<kvm_sregs, kvm_segment>)] =
            [("cs", \.cs), ("ss", \.ss), ("ds", \.ds), ("es", \.es), ("fs", \.fs), ("gs", \.gs)]
        r += selectors.map {
            Register(name: $0.0, bits: 32, type: "int32", group: nil, feature: .core, place: .selector($0.1))
        }
        r += (0..<8).map {
            Register(name: "st\($0)", bits: 80, type: "i387_ext", group: nil, feature: .core, place: .st($0))
        }
        let x87: [(String, Place)] = [
            ("fctrl", .fpu16(\.fcw)), ("fstat", .fpu16(\.fsw)), ("ftag", .ftag),
            ("fiseg", .pointerHigh(\.last_ip)), ("fioff", .pointerLow(\.last_ip)),
            ("foseg", .pointerHigh(\.last_dp)), ("fooff", .pointerLow(\.last_dp)),
            ("fop", .fpu16(\.last_opcode)),
        ]
        r += x87.map { Register(name: $0.0, bits: 32, type: "int", group: "float", feature: .core, place: $0.1) }
        r += (0..<16).map {
            Register(name: "xmm\($0)", bits: 128, type: "vec128", group: nil, feature: .sse, place: .xmm($0))
        }
        r.append(Register(name: "mxcsr", bits: 32, type: "int", group: "vector", feature: .sse, place: .mxcsr))
        r.append(Register(name: "fs_base", bits: 64, type: "int", group: nil, feature: .segments,
                          place: .segmentBase(\.fs)))
        r.append(Register(name: "gs_base", bits: 64, type: "int", group: nil, feature: .segments,
                          place: .segmentBase(\.gs)))
        let control: [(String, WritableKeyPath<kvm_sregs, UInt64>)] =
            [("cr0", \.cr0), ("cr2", \.cr2), ("cr3", \.cr3), ("cr4", \.cr4), ("cr8", \.cr8), ("efer", \.efer)]
        r += control.map {
            Register(name: $0.0, bits: 64, type: "int", group: "system", feature: .system, place: .control($0.1))
        }
        return r
    }()

    /// The bytes of all registers, in order (the `g` packet).
    static var totalBytes: Int { all.reduce(0) { $0 + $1.bytes } }

    // MARK: Reading and writing

    /// The little-endian bytes of register `n`.
    static func read(_ n: Int, from file: RegisterFile) throws(RegisterError) -> [UInt8] {
        guard all.indices.contains(n) else { throw .noSuchRegister }
        let r = all[n]
        switch r.place {
        case .general(let key): return le(file.regs[keyPath: key], r.bytes)
        case .eflags: return le(file.regs.rflags, 4)
        case .selector(let key): return le(UInt64(file.sregs[keyPath: key].selector), 4)
        case .segmentBase(let key): return le(file.sregs[keyPath: key].base, 8)
        case .control(let key): return le(file.sregs[keyPath: key], 8)
        case .st(let i): return Array(fpuBytes(file.fpu, \.fpr, item: i, of: 16).prefix(10))
        case .fpu16(let key): return le(UInt64(file.fpu[keyPath: key]), 4)
        case .ftag: return le(UInt64(fullTag(file.fpu)), 4)
        case .pointerLow(let key): return le(file.fpu[keyPath: key] & 0xffff_ffff, 4)
        case .pointerHigh(let key): return le(file.fpu[keyPath: key] >> 32, 4)
        case .xmm(let i): return fpuBytes(file.fpu, \.xmm, item: i, of: 16)
        case .mxcsr: return le(UInt64(file.fpu.mxcsr), 4)
        }
    }

    /// Sets register `n` from its little-endian bytes.
    static func write(_ n: Int, _ bytes: [UInt8], to file: inout RegisterFile) throws(RegisterError) {
        guard all.indices.contains(n) else { throw .noSuchRegister }
        let r = all[n]
        guard bytes.count == r.bytes else { throw .badSize }
        let v = value(bytes)
        switch r.place {
        case .general(let key): file.regs[keyPath: key] = v
        case .eflags: file.regs.rflags = file.regs.rflags & ~0xffff_ffff | v
        case .selector(let key):
            guard v == UInt64(file.sregs[keyPath: key].selector) else { throw .readOnly }
        case .segmentBase(let key): file.sregs[keyPath: key].base = v
        case .control(let key):
            guard v == file.sregs[keyPath: key] else { throw .readOnly }
        case .st(let i): setFPUBytes(&file.fpu, \.fpr, item: i, of: 16, bytes)
        case .fpu16(let key): file.fpu[keyPath: key] = UInt16(truncatingIfNeeded: v)
        case .ftag: file.fpu.ftwx = abridgedTag(UInt16(truncatingIfNeeded: v))
        case .pointerLow(let key): file.fpu[keyPath: key] = file.fpu[keyPath: key] & ~0xffff_ffff | v
        case .pointerHigh(let key): file.fpu[keyPath: key] = file.fpu[keyPath: key] & 0xffff_ffff | v << 32
        case .xmm(let i): setFPUBytes(&file.fpu, \.xmm, item: i, of: 16, bytes)
        case .mxcsr: file.fpu.mxcsr = UInt32(truncatingIfNeeded: v)
        }
    }

    /// All registers, in order: the `g` reply.
    static func readAll(from file: RegisterFile) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(totalBytes)
        for n in all.indices { out += (try? read(n, from: file)) ?? [] }
        return out
    }

    /// Sets all registers from the `G` packet's bytes: all of them or
    /// nothing (a refused one leaves `file` unchanged).
    static func writeAll(_ bytes: [UInt8], to file: inout RegisterFile) throws(RegisterError) {
        guard bytes.count == totalBytes else { throw .badSize }
        var copy = file
        var offset = 0
        for (n, r) in all.enumerated() {
            try write(n, Array(bytes[offset..<offset + r.bytes]), to: &copy)
            offset += r.bytes
        }
        file = copy
    }

    // MARK: Helpers

    private static func le(_ v: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }

    private static func value(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    /// Item `item` (of `size` bytes) of a byte-array field of kvm_fpu.
    private static func fpuBytes<T>(_ fpu: kvm_fpu, _ field: KeyPath<kvm_fpu, T>, item: Int, of size: Int) -> [UInt8] {
        let start = MemoryLayout<kvm_fpu>.offset(of: field)! + item * size
        return withUnsafeBytes(of: fpu) { Array($0[start..<start + size]) }
    }

    private static func setFPUBytes<T>(_ fpu: inout kvm_fpu, _ field: KeyPath<kvm_fpu, T>, item: Int,
                                       of size: Int, _ bytes: [UInt8]) {
        let start = MemoryLayout<kvm_fpu>.offset(of: field)! + item * size
        withUnsafeMutableBytes(of: &fpu) { raw in
            for (i, b) in bytes.enumerated() { raw[start + i] = b }
        }
    }

    /// The full x87 tag word (2 bits per physical register: 0 valid,
    /// 1 zero, 2 special, 3 empty) from FXSAVE's abridged one (1 bit per
    /// physical register: in use or not), classifying the registers in use
    /// by their contents, as the CPU does.
    static func fullTag(_ fpu: kvm_fpu) -> UInt16 {
        let top = Int(fpu.fsw >> 11) & 7
        var tag: UInt16 = 0
        for physical in 0..<8 {
            let t: UInt16
            if fpu.ftwx & (1 << UInt8(physical)) == 0 {
                t = 3
            } else {
                let st = fpuBytes(fpu, \.fpr, item: (physical - top) & 7, of: 16)
                let exponent = UInt16(st[8]) | UInt16(st[9] & 0x7f) << 8
                let mantissa = st[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                if exponent == 0x7fff {
                    t = 2
                } else if exponent == 0 {
                    t = mantissa == 0 ? 1 : 2
                } else {
                    t = st[7] & 0x80 != 0 ? 0 : 2
                }
            }
            tag |= t << (2 * UInt16(physical))
        }
        return tag
    }

    /// FXSAVE's abridged tag: a register is in use unless its full tag is 3.
    static func abridgedTag(_ full: UInt16) -> UInt8 {
        var abridged: UInt8 = 0
        for physical in 0..<8 where (full >> (2 * UInt16(physical))) & 3 != 3 {
            abridged |= 1 << UInt8(physical)
        }
        return abridged
    }
}

// The table is built once and never changes; its key paths name fields of
// C structs, which Swift cannot prove Sendable.
extension GDBRegisters.Register: @unchecked Sendable {}
