// CPL3Note.swift: our CPL3 note (include/ukvm_ext.h): start the image at
// CPL 3 with this IDT and this ring-0 stack for exceptions.

import CKVM
import Support

package struct CPL3Note: Equatable {
    /// Guest address of the IDT (16-aligned).
    package let idt: UInt64
    /// Top of the ring-0 stack for exceptions (16-aligned): TSS.RSP0.
    package let exceptionStack: UInt64
    /// Bytes of the IDT: 256 gates, or the 32 exception vectors' when the
    /// note has UKVM_CPL3_EXCEPTIONS_ONLY (a kernel that takes no
    /// interrupts). IDTR's limit, so a vector beyond it is a #GP.
    package let idtSize: UInt64

    package static let version = UInt32(UKVM_CPL3_VERSION)
    package static let fullIDTSize = UInt64(UKVM_IDT_SIZE)
    package static let exceptionsIDTSize = UInt64(UKVM_IDT_EXCEPTIONS_SIZE)
    package static let descriptorSize = UInt64(MemoryLayout<ukvm_cpl3_note_desc>.size)

    package init(idt: UInt64, exceptionStack: UInt64, idtSize: UInt64 = CPL3Note.fullIDTSize) {
        self.idt = idt
        self.exceptionStack = exceptionStack
        self.idtSize = idtSize
    }

    /// Parses and validates the note's descriptor of `size` bytes at `offset`
    /// of `r`, for `memorySize` bytes of guest memory.
    package static func parse(_ r: ByteReader, offset: UInt64, size: UInt64,
                      memorySize: UInt64) throws(ImageProblem) -> CPL3Note {
        guard size == descriptorSize else {
            throw .invalid("CPL3 note: descriptor is \(size) bytes, expected \(descriptorSize)")
        }
        let d = try r.load(ukvm_cpl3_note_desc.self, at: offset, "CPL3 note")
        let (version, flags, idt, stack) = (d.version, d.flags, d.idt, d.exception_stack)
        guard version == CPL3Note.version else {
            throw .invalid("CPL3 note: version \(version), expected \(CPL3Note.version)")
        }
        let known = UInt32(UKVM_CPL3_EXCEPTIONS_ONLY)
        guard flags & ~known == 0 else { throw .invalid("CPL3 note: unknown flags \(hex(flags & ~known))") }
        let note = CPL3Note(idt: idt, exceptionStack: stack,
                            idtSize: flags & known != 0 ? exceptionsIDTSize : fullIDTSize)
        try note.check(fits: memorySize)
        return note
    }

    /// Checks that the IDT and the exception stack lie inside `memorySize`
    /// bytes of guest memory, above the kernel's base.
    package func check(fits memorySize: UInt64) throws(ImageProblem) {
        let kernelBase = UInt64(UKVM_KERNEL_BASE)
        let (idtEnd, idtOverflow) = idt.addingReportingOverflow(idtSize)
        guard idt & 15 == 0, idt >= kernelBase, !idtOverflow, idtEnd <= memorySize else {
            throw .invalid("CPL3 note: IDT at \(hex(idt)) must be 16-byte aligned and lie "
                + "inside guest memory above \(hex(kernelBase))")
        }
        guard exceptionStack & 15 == 0, exceptionStack > kernelBase, exceptionStack <= memorySize else {
            throw .invalid("CPL3 note: exception stack at \(hex(exceptionStack)) must be 16-byte "
                + "aligned and lie inside guest memory above \(hex(kernelBase))")
        }
    }
}
