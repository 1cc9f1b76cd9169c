// ELFHeaders.swift: the ELF file header and program headers of an image,
// each field read at its <elf.h> offset and checked before use.

import CKVM
import Support

/// The parts of the ELF header the loader uses, validated.
package struct ELFHeader {
    package let entry: UInt64
    package let phoff: UInt64
    package let phnum: UInt16

    package static func parse(_ r: ByteReader) throws(ImageProblem) -> ELFHeader {
        let bytes = r.bytes
        guard bytes.count >= Int(ELF.headerSize) else {
            throw .invalid("file too short for an ELF header (\(bytes.count) bytes)")
        }
        guard bytes[Int(EI_MAG0)] == UInt8(ELFMAG0), bytes[Int(EI_MAG1)] == UInt8(ascii: "E"),
              bytes[Int(EI_MAG2)] == UInt8(ascii: "L"), bytes[Int(EI_MAG3)] == UInt8(ascii: "F") else {
            throw .invalid("not an ELF file (bad magic)")
        }
        guard bytes[Int(EI_CLASS)] == UInt8(ELFCLASS64) else { throw .invalid("not a 64-bit ELF file") }
        guard bytes[Int(EI_DATA)] == UInt8(ELFDATA2LSB) else { throw .invalid("not a little-endian ELF file") }
        guard bytes[Int(EI_VERSION)] == UInt8(EV_CURRENT) else {
            throw .invalid("unknown ELF version \(bytes[Int(EI_VERSION)])")
        }
        let ehdr = try r.load(Elf64_Ehdr.self, at: 0, "ELF header")
        let type = ehdr.e_type
        guard type == UInt16(ET_EXEC) else {
            throw .invalid("not an executable (ELF type \(type), expected ET_EXEC)")
        }
        let machine = ehdr.e_machine
        guard machine == UInt16(EM_X86_64) else {
            throw .invalid("not an x86_64 image (ELF machine \(machine))")
        }
        let phentsize = ehdr.e_phentsize
        guard UInt64(phentsize) == ELF.phdrSize else {
            throw .invalid("program header size \(phentsize), expected \(ELF.phdrSize)")
        }
        let h = ELFHeader(entry: ehdr.e_entry, phoff: ehdr.e_phoff, phnum: ehdr.e_phnum)
        guard h.phnum > 0, h.phnum != UInt16(PN_XNUM) else {
            throw .invalid("unsupported number of program headers (\(h.phnum))")
        }
        guard r.inFile(h.phoff, UInt64(h.phnum) * ELF.phdrSize) else {
            throw .invalid("program header table lies outside the file")
        }
        return h
    }
}

/// One program header, as read (not yet validated).
package struct ELFProgramHeader {
    package let type: UInt32
    package let flags: UInt32
    package let offset: UInt64
    package let vaddr: UInt64
    package let fileSize: UInt64
    package let memSize: UInt64

    /// The program header at `at` (the table is known to lie in the file).
    package static func parse(_ r: ByteReader, at: UInt64) throws(ImageProblem) -> ELFProgramHeader {
        let p = try r.load(Elf64_Phdr.self, at: at, "program header")
        return ELFProgramHeader(type: p.p_type, flags: p.p_flags, offset: p.p_offset, vaddr: p.p_vaddr,
                                fileSize: p.p_filesz, memSize: p.p_memsz)
    }

    /// This PT_LOAD header (number `index`) as a segment the loader may
    /// load: data inside the file, above the kernel base, not writable and
    /// executable at once, after the segment before it.
    package func loadable(index: UInt64, _ r: ByteReader, after previous: ELFSegment?) throws(ImageProblem) -> ELFSegment {
        // The segment's name is only spelled out for an error: formatting
        // numbers on every boot brings in code a valid image never needs.
        var what: String { "segment \(index) at \(hex(vaddr))" }
        guard fileSize <= memSize else {
            throw .invalid("\(what): file size \(hex(fileSize)) exceeds memory size \(hex(memSize))")
        }
        guard r.inFile(offset, fileSize) else {
            throw .invalid("\(what): file data lies outside the file")
        }
        guard vaddr >= UInt64(UKVM_KERNEL_BASE) else {
            throw .invalid("\(what): below \(hex(UInt64(UKVM_KERNEL_BASE)))")
        }
        guard !vaddr.addingReportingOverflow(memSize).overflow else {
            throw .invalid("\(what): size overflows")
        }
        let wx = UInt32(PF_W) | UInt32(PF_X)
        guard flags & wx != wx else { throw .invalid("\(what): both writable and executable") }
        if let previous, vaddr < previous.end {
            throw .invalid("\(what): overlaps or precedes the segment before it")
        }
        return ELFSegment(vaddr: vaddr, offset: offset, fileSize: fileSize, memSize: memSize, flags: flags)
    }
}
