// CoreDumpTests.swift: fault reports read from guest memory and checked;
// and the ELF core file, read back: its header, notes (signal, registers,
// FPU state) and memory segments, with untouched pages left as holes.

import CKVM
import CSys
import Foundation
import Glibc
@testable import Monitor
import TestSupport
import Testing

@Suite struct FaultReportTests {
    let memory: GuestMemory
    let at: UInt64 = 0x200000

    init() throws {
        memory = try GuestMemory(size: 8 << 20)
    }

    func cookie(kind: UInt32 = UInt32(UKVM_FAULT_TRAP), vector: UInt32 = 6,
                magic: UInt32 = UInt32(UKVM_FAULT_MAGIC)) -> ukvm_fault_cookie {
        var c = ukvm_fault_cookie()
        c.magic = magic
        c.version = UInt32(UKVM_FAULT_VERSION)
        c.kind = kind
        c.vector = vector
        c.rip = 0x100123
        c.cs = 0x1b
        c.ss = 0x23
        c.rsp = 0x7ff000
        c.rbx = 42
        return c
    }

    @Test func ours() throws {
        try memory.store(cookie(), gpa: at)
        let r = try #require(FaultReport.read(gpa: at, status: 255, memory: memory))
        #expect(r.kind == .trap(vector: 6) && r.hasAllRegisters && !r.isDebugTrap)
        #expect(r.signal == .ill && r.signal.gdb == .ill && r.signal.host == SIGILL)
        #expect(r.cookie.rbx == 42)
        #expect(r.description == "#UD (vector 6)")
        try memory.store(cookie(vector: 3), gpa: at)
        #expect(FaultReport.read(gpa: at, status: 255, memory: memory)?.isDebugTrap == true)
        try memory.store(cookie(kind: UInt32(UKVM_FAULT_ABORT), vector: 0), gpa: at)
        #expect(FaultReport.read(gpa: at, status: 255, memory: memory)?.kind == .abort)
    }

    /// Without our magic (or with nonsense in ours) a cookie is what an
    /// upstream kernel passes at status 255, and nothing at other statuses.
    @Test func upstreamAndNonsense() throws {
        try memory.store(cookie(magic: 0), gpa: at)
        #expect(FaultReport.read(gpa: at, status: 255, memory: memory)?.kind == .upstream)
        #expect(FaultReport.read(gpa: at, status: 1, memory: memory) == nil)
        try memory.store(cookie(vector: 32), gpa: at)
        #expect(FaultReport.read(gpa: at, status: 255, memory: memory)?.kind == .upstream)
        try memory.store(cookie(kind: 9), gpa: at)
        #expect(FaultReport.read(gpa: at, status: 255, memory: memory)?.hasAllRegisters == false)
        #expect(FaultReport.read(gpa: 0, status: 255, memory: memory) == nil)
        #expect(FaultReport.read(gpa: memory.size - 8, status: 255, memory: memory) == nil)
        #expect(FaultReport.read(gpa: 0xf000, status: 255, memory: memory) == nil)
        #expect(FaultReport.read(gpa: UInt64.max, status: 255, memory: memory) == nil)
    }

    @Test func signals() {
        #expect(FaultSignal(vector: 0) == .fpe)
        #expect(FaultSignal(vector: 3) == .trap)
        #expect(FaultSignal(vector: 13) == .segv)
        #expect(FaultSignal(vector: 14) == .segv)
        #expect(FaultSignal(vector: 17) == .bus)
        #expect(FaultSignal.bus.gdb.rawValue == 10 && FaultSignal.bus.host == SIGBUS)
    }

    /// The flat segments of a report's privilege level; PVM shows ring 3
    /// its host's selectors, which count by their level.
    @Test func segmentsByPrivilege() throws {
        let user = try #require(VCPUTarget.segments(cs: 0x33, ss: 0x2b))
        #expect(user.0.selector == 0x1b && user.0.dpl == 3 && user.0.l == 1)
        #expect(user.1.selector == 0x23 && user.1.dpl == 3)
        let kernel = try #require(VCPUTarget.segments(cs: 0x08, ss: 0))
        #expect(kernel.0.selector == 0x08 && kernel.1.selector == 0x10 && kernel.0.dpl == 0)
        #expect(VCPUTarget.segments(cs: 0x1b, ss: 0x10) == nil)
        #expect(VCPUTarget.segments(cs: 0x09, ss: 0x11) == nil)
        #expect(VCPUTarget.segments(cs: 0x1_0008, ss: 0x10) == nil)
    }
}

@Suite struct CoreDumpTests {
    /// Writes a core of 8 MiB of guest memory with a few bytes set, and
    /// returns its bytes.
    func core(_ fill: (GuestMemory) throws -> Void, cpu: CoreDump.CPU) throws -> (Data, GuestMemory) {
        let memory = try GuestMemory(size: 8 << 20)
        try fill(memory)
        let file = TempFile(size: 0, name: "core")
        let fd = open(file.path, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        defer { close(fd) }
        try CoreDump.write(to: fd, memory: memory, cpu: cpu, program: "test.ukvm")
        return (try Data(contentsOf: URL(fileURLWithPath: file.path)), memory)
    }

    func load<T>(_ data: Data, _ offset: Int, as: T.Type) -> T {
        data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    @Test func layout() throws {
        var regs = kvm_regs()
        regs.rip = 0x100abc
        regs.rsp = 0x7fff00
        regs.rbx = 7
        var sregs = kvm_sregs()
        sregs.cs.selector = 0x1b
        sregs.fs.base = 0x5000
        var fpu = kvm_fpu()
        fpu.fcw = 0x37f
        fpu.mxcsr = 0x1f80
        let cpu = CoreDump.cpu(regs: regs, sregs: sregs, fpu: fpu, report: nil, signal: SIGSEGV)
        let (data, memory) = try core({ m in
            try m.store(UInt64(0x1122_3344_5566_7788), gpa: 0x100000)
            try m.store(UInt8(0x5a), gpa: 0x10000)
            try m.store(UInt32(0xfeed), gpa: m.size - 4)
        }, cpu: cpu)

        let h = load(data, 0, as: Elf64_Ehdr.self)
        #expect(data.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]))
        #expect(h.e_type == UInt16(ET_CORE) && h.e_machine == UInt16(EM_X86_64))
        #expect(h.e_phnum == 3)
        let phdrs = (0..<Int(h.e_phnum)).map {
            load(data, Int(h.e_phoff) + $0 * MemoryLayout<Elf64_Phdr>.size, as: Elf64_Phdr.self)
        }
        #expect(phdrs[0].p_type == UInt32(PT_NOTE))
        // What the guest can see: from the end of the guard, not the monitor's pages.
        #expect(phdrs[1].p_type == UInt32(PT_LOAD) && phdrs[1].p_vaddr == 0x10000)
        #expect(phdrs[1].p_filesz == 0x100000 - 0x10000 && phdrs[1].p_flags == UInt32(PF_R))
        #expect(phdrs[2].p_vaddr == 0x100000 && phdrs[2].p_memsz == memory.size - 0x100000)
        #expect(phdrs[2].p_offset % 4096 == 0)
        #expect(UInt64(data.count) == phdrs[2].p_offset + phdrs[2].p_filesz)

        // Memory lands at its segment's offset; what the guest never
        // touched reads as zeros.
        func byte(_ gpa: UInt64) -> UInt8 {
            let p = phdrs.dropFirst().first { gpa >= $0.p_vaddr && gpa < $0.p_vaddr + $0.p_memsz }!
            return data[Int(p.p_offset + gpa - p.p_vaddr)]
        }
        #expect(byte(0x10000) == 0x5a)
        #expect(byte(0x100000) == 0x88 && byte(0x100007) == 0x11)
        #expect(byte(memory.size - 4) == 0xed && byte(memory.size - 3) == 0xfe)
        #expect(byte(0x400000) == 0)

        // Notes: NT_PRSTATUS, NT_PRPSINFO, NT_FPREGSET, each named CORE.
        var offset = Int(phdrs[0].p_offset)
        var found: [UInt32: Int] = [:]
        while offset < Int(phdrs[0].p_offset + phdrs[0].p_filesz) {
            let n = load(data, offset, as: Elf64_Nhdr.self)
            let name = data[(offset + 12)..<(offset + 12 + Int(n.n_namesz) - 1)]
            #expect(String(decoding: name, as: UTF8.self) == "CORE")
            let desc = offset + 12 + (Int(n.n_namesz) + 3) / 4 * 4
            found[n.n_type] = desc
            offset = desc + (Int(n.n_descsz) + 3) / 4 * 4
        }
        let status = load(data, try #require(found[UInt32(NT_PRSTATUS)]), as: elf_prstatus.self)
        #expect(status.pr_cursig == Int16(SIGSEGV))
        let u = withUnsafeBytes(of: status.pr_reg) { $0.loadUnaligned(as: user_regs_struct.self) }
        #expect(u.rip == 0x100abc && u.rsp == 0x7fff00 && u.rbx == 7 && u.cs == 0x1b && u.fs_base == 0x5000)
        let info = load(data, try #require(found[UInt32(NT_PRPSINFO)]), as: elf_prpsinfo.self)
        #expect(withUnsafeBytes(of: info.pr_fname) { String(decoding: $0.prefix(9), as: UTF8.self) } == "test.ukvm")
        let fx = load(data, try #require(found[UInt32(NT_FPREGSET)]), as: user_fpregs_struct.self)
        #expect(fx.cwd == 0x37f && fx.mxcsr == 0x1f80)
    }

    /// A fault report's registers replace the vCPU's; an upstream one only
    /// replaces rip to ss.
    @Test func registersFromAReport() throws {
        var regs = kvm_regs()
        regs.rip = 0x999
        regs.rbx = 1
        var c = ukvm_fault_cookie()
        c.magic = UInt32(UKVM_FAULT_MAGIC)
        c.version = UInt32(UKVM_FAULT_VERSION)
        c.kind = UInt32(UKVM_FAULT_TRAP)
        c.vector = 14
        c.rip = 0x100200
        c.cs = 0x33        // PVM's view of ring 3: written as the ABI's
        c.ss = 0x2b
        c.rbx = 2
        let memory = try GuestMemory(size: 4 << 20)
        try memory.store(c, gpa: 0x200000)
        let ours = try #require(FaultReport.read(gpa: 0x200000, status: 255, memory: memory))
        let a = CoreDump.cpu(regs: regs, sregs: kvm_sregs(), fpu: nil, report: ours, signal: SIGSEGV)
        #expect(a.regs.rip == 0x100200 && a.regs.rbx == 2 && a.regs.cs == 0x1b && a.regs.ss == 0x23)
        #expect(a.fpu == nil)
        c.magic = 0
        try memory.store(c, gpa: 0x200000)
        let upstream = try #require(FaultReport.read(gpa: 0x200000, status: 255, memory: memory))
        let b = CoreDump.cpu(regs: regs, sregs: kvm_sregs(), fpu: nil, report: upstream, signal: SIGABRT)
        #expect(b.regs.rip == 0x100200 && b.regs.rbx == 1)
    }
}
