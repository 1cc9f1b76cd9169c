// CoreDump.swift: an ELF core file of the guest, in the layout gdb reads
// for x86_64 Linux cores, so that `gdb IMAGE CORE` shows where the guest
// stopped and its stack.
//
//   ELF header (ET_CORE, EM_X86_64)
//   program headers: PT_NOTE, then one PT_LOAD per part of guest memory
//   notes ("CORE"): NT_PRSTATUS (signal, general registers as struct
//     user_regs_struct), NT_PRPSINFO (the program's name), NT_FPREGSET
//     (the x87/SSE state, FXSAVE layout: struct user_fpregs_struct)
//   guest memory, each PT_LOAD at a page-aligned offset
//
// Only what the guest can see goes in: its memory from UKVM_GUARD_END up
// (the read-only boot info page range, then the image, heap and stack;
// not the monitor's page tables and GDT below), its registers, and the
// image's name. Memory is written sparsely: pages the guest never touched
// (mincore: not resident) are left as holes, which read as the zeros they
// are, so a 512 MiB guest makes a file of the size of what it used.

import CKVM
import CSys
import Glibc
import Support

enum CoreDump {
    /// The registers that go into the notes.
    struct CPU {
        var regs = user_regs_struct()
        var fpu: user_fpregs_struct?
        /// The host's number of the signal the fault stands for.
        var signal: Int32
    }

    /// A failed write, with the reason.
    struct Failure: Error, Equatable {
        let reason: String
    }

    /// The parts of guest memory in the file: (start, end, flags).
    static func segments(memorySize: UInt64) -> [(start: UInt64, end: UInt64, flags: UInt32)] {
        let guardEnd = UInt64(UKVM_GUARD_END), kernel = UInt64(UKVM_KERNEL_BASE)
        return [(guardEnd, min(kernel, memorySize), UInt32(PF_R)),
                (kernel, memorySize, UInt32(PF_R | PF_W | PF_X))].filter { $0.start < $0.end }
    }

    /// The CPU as KVM has it, with what a fault report says of the faulting
    /// context in its place (all registers, or rip to ss of an upstream one).
    static func cpu(regs r: kvm_regs, sregs s: kvm_sregs, fpu: kvm_fpu?, report: FaultReport?,
                    signal: Int32) -> CPU {
        var u = user_regs_struct()
        u.rax = r.rax; u.rbx = r.rbx; u.rcx = r.rcx; u.rdx = r.rdx
        u.rsi = r.rsi; u.rdi = r.rdi; u.rbp = r.rbp; u.rsp = r.rsp
        u.r8 = r.r8; u.r9 = r.r9; u.r10 = r.r10; u.r11 = r.r11
        u.r12 = r.r12; u.r13 = r.r13; u.r14 = r.r14; u.r15 = r.r15
        u.rip = r.rip; u.eflags = r.rflags
        u.orig_rax = UInt64.max     // no system call to restart
        u.cs = UInt64(s.cs.selector); u.ss = UInt64(s.ss.selector)
        u.ds = UInt64(s.ds.selector); u.es = UInt64(s.es.selector)
        u.fs = UInt64(s.fs.selector); u.gs = UInt64(s.gs.selector)
        u.fs_base = s.fs.base; u.gs_base = s.gs.base
        if let c = report?.cookie {
            u.rip = c.rip; u.eflags = c.rflags; u.rsp = c.rsp
            // The ABI's selectors for the report's privilege level (PVM shows
            // ring-3 code the host's own).
            let flat = VCPUTarget.segments(cs: c.cs, ss: c.ss)
            u.cs = flat.map { UInt64($0.0.selector) } ?? c.cs
            u.ss = flat.map { UInt64($0.1.selector) } ?? c.ss
            if report?.hasAllRegisters == true {
                u.rax = c.rax; u.rbx = c.rbx; u.rcx = c.rcx; u.rdx = c.rdx
                u.rsi = c.rsi; u.rdi = c.rdi; u.rbp = c.rbp
                u.r8 = c.r8; u.r9 = c.r9; u.r10 = c.r10; u.r11 = c.r11
                u.r12 = c.r12; u.r13 = c.r13; u.r14 = c.r14; u.r15 = c.r15
            }
        }
        return CPU(regs: u, fpu: fpu.map(fxsave), signal: signal)
    }

    /// KVM's x87/SSE state in the FXSAVE layout of NT_FPREGSET.
    static func fxsave(_ f: kvm_fpu) -> user_fpregs_struct {
        var x = user_fpregs_struct()
        x.cwd = f.fcw
        x.swd = f.fsw
        x.ftw = UInt16(f.ftwx)      // FXSAVE keeps the abridged tag
        x.fop = f.last_opcode
        x.rip = f.last_ip
        x.rdp = f.last_dp
        x.mxcsr = f.mxcsr
        withUnsafeBytes(of: f.fpr) { src in withUnsafeMutableBytes(of: &x.st_space) { $0.copyMemory(from: src) } }
        withUnsafeBytes(of: f.xmm) { src in withUnsafeMutableBytes(of: &x.xmm_space) { $0.copyMemory(from: src) } }
        return x
    }

    /// Writes the core of `memory` and `cpu` into `fd` (a new, empty file);
    /// `program` names the image in NT_PRPSINFO.
    static func write(to fd: Int32, memory: GuestMemory, cpu: CPU, program: String) throws(Failure) {
        let notes = self.notes(cpu, program: program)
        let parts = segments(memorySize: memory.size)
        let headers = MemoryLayout<Elf64_Ehdr>.size + (1 + parts.count) * MemoryLayout<Elf64_Phdr>.size
        let page = UInt64(X86.pageSize)
        var offset = (UInt64(headers + notes.count) + page - 1) & ~(page - 1)

        var phdrs: [Elf64_Phdr] = [Elf64_Phdr(p_type: UInt32(PT_NOTE), p_flags: 0, p_offset: UInt64(headers),
                                              p_vaddr: 0, p_paddr: 0, p_filesz: UInt64(notes.count),
                                              p_memsz: 0, p_align: 4)]
        var placed: [(file: UInt64, start: UInt64, end: UInt64)] = []
        for p in parts {
            let size = p.end - p.start
            phdrs.append(Elf64_Phdr(p_type: UInt32(PT_LOAD), p_flags: p.flags, p_offset: offset,
                                    p_vaddr: p.start, p_paddr: p.start, p_filesz: size, p_memsz: size,
                                    p_align: page))
            placed.append((offset, p.start, p.end))
            offset += size
        }

        var head: [UInt8] = []
        append(&head, header(programHeaders: phdrs.count))
        for p in phdrs { append(&head, p) }
        head += notes
        try pwriteAll(fd, head[...], at: 0)
        for p in placed { try writeMemory(fd, memory: memory, from: p.start, to: p.end, at: p.file) }
        // The file ends where the last segment does, even if that is a hole.
        if let last = placed.last, let lastByte = try? memory.buffer(gpa: last.end - 1, count: 1) {
            try pwriteAll(fd, UnsafeRawBufferPointer(lastByte), at: last.file + (last.end - last.start) - 1)
        }
    }

    private static func header(programHeaders: Int) -> Elf64_Ehdr {
        var h = Elf64_Ehdr()
        withUnsafeMutableBytes(of: &h.e_ident) { id in
            id[Int(EI_MAG0)] = UInt8(ELFMAG0)
            id[Int(EI_MAG1)] = UInt8(ascii: "E")
            id[Int(EI_MAG2)] = UInt8(ascii: "L")
            id[Int(EI_MAG3)] = UInt8(ascii: "F")
            id[Int(EI_CLASS)] = UInt8(ELFCLASS64)
            id[Int(EI_DATA)] = UInt8(ELFDATA2LSB)
            id[Int(EI_VERSION)] = UInt8(EV_CURRENT)
            id[Int(EI_OSABI)] = UInt8(ELFOSABI_NONE)
        }
        h.e_type = UInt16(ET_CORE)
        h.e_machine = UInt16(EM_X86_64)
        h.e_version = UInt32(EV_CURRENT)
        h.e_phoff = UInt64(MemoryLayout<Elf64_Ehdr>.size)
        h.e_ehsize = UInt16(MemoryLayout<Elf64_Ehdr>.size)
        h.e_phentsize = UInt16(MemoryLayout<Elf64_Phdr>.size)
        h.e_phnum = UInt16(programHeaders)
        return h
    }

    /// The PT_NOTE contents.
    static func notes(_ cpu: CPU, program: String) -> [UInt8] {
        var status = elf_prstatus()
        status.pr_info.si_signo = cpu.signal
        status.pr_cursig = Int16(cpu.signal)
        status.pr_pid = 1
        status.pr_fpvalid = cpu.fpu == nil ? 0 : 1
        withUnsafeMutableBytes(of: &status.pr_reg) { dst in
            withUnsafeBytes(of: cpu.regs) { dst.copyMemory(from: $0) }
        }
        var info = elf_prpsinfo()
        info.pr_pid = 1
        info.pr_sname = CChar(UInt8(ascii: "R"))
        let name = Array(program.utf8)
        withUnsafeMutableBytes(of: &info.pr_fname) { copyString(name, into: $0) }
        withUnsafeMutableBytes(of: &info.pr_psargs) { copyString(name, into: $0) }

        var out: [UInt8] = []
        note(&out, type: UInt32(NT_PRSTATUS), status)
        note(&out, type: UInt32(NT_PRPSINFO), info)
        if let fpu = cpu.fpu { note(&out, type: UInt32(NT_FPREGSET), fpu) }
        return out
    }

    /// One note named "CORE": header, name and descriptor, each padded to 4.
    private static func note<T>(_ out: inout [UInt8], type: UInt32, _ desc: T) {
        let name = Array("CORE\0".utf8)
        append(&out, Elf64_Nhdr(n_namesz: UInt32(name.count), n_descsz: UInt32(MemoryLayout<T>.size),
                                n_type: type))
        out += name
        pad(&out)
        append(&out, desc)
        pad(&out)
    }

    private static func pad(_ out: inout [UInt8]) {
        while out.count % 4 != 0 { out.append(0) }
    }

    private static func append<T>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value) { out += $0 }
    }

    /// `text` NUL-terminated in `field`, cut to fit.
    private static func copyString(_ text: [UInt8], into field: UnsafeMutableRawBufferPointer) {
        let n = min(text.count, field.count - 1)
        for i in 0..<n { field[i] = text[i] }
        field[n] = 0
    }

    /// Guest memory [start, end) at file offset `at`: the resident pages,
    /// in runs; the others stay holes.
    private static func writeMemory(_ fd: Int32, memory: GuestMemory, from start: UInt64, to end: UInt64,
                                     at file: UInt64) throws(Failure) {
        let page = UInt64(X86.pageSize)
        let pages = Int((end - start + page - 1) / page)
        var resident = [UInt8](repeating: 1, count: pages)
        guard let region = try? memory.buffer(gpa: start, count: end - start) else {
            throw Failure(reason: "guest memory \(hex(start))-\(hex(end)) is not there")
        }
        // Without mincore every page is written: slower, same file.
        _ = resident.withUnsafeMutableBufferPointer {
            mincore(region.baseAddress, region.count, $0.baseAddress)
        }
        var i = 0
        while i < pages {
            guard resident[i] & 1 != 0 else {
                i += 1
                continue
            }
            var j = i
            while j < pages && resident[j] & 1 != 0 && j - i < 256 { j += 1 }   // runs of up to 1 MiB
            let from = UInt64(i) * page, to = min(UInt64(j) * page, end - start)
            try pwriteAll(fd, UnsafeRawBufferPointer(rebasing: region[Int(from)..<Int(to)]), at: file + from)
            i = j
        }
    }

    private static func pwriteAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(Failure) {
        let failure: Failure? = Array(bytes).withUnsafeBytes { raw in
            do throws(Failure) {
                try pwriteAll(fd, raw, at: offset)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Failure) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset) + off_t(done))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw Failure(reason: n == 0 ? "short write" : errnoText(errno))
            }
        }
    }
}
