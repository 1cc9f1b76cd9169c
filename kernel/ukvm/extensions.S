/*
 * extensions.S: our extensions of the hvt ABI (ukvm_ext.h), in one object.
 *
 * - The CPL3 note asks our monitor to start the image at CPL 3. It names the
 *   IDT that kernel/common fills and the top of the ring-0 stack on which
 *   traps from ring 3 run. Monitors that do not know the note ignore it, and
 *   the kernel then sets itself up at CPL 0.
 * - ukvm_netio_allowed lets net.c use NETIO when the monitor offers it.
 *
 * Linked into every image except the *-cpl0 test variants, which are then
 * what an upstream-built hvt kernel is: no note, base hypercalls only.
 */
#include "ukvm_ext.h"

/* The descriptor follows the 12-byte header and "UKVM\0" padded to 8:
 * at offset 20, so the monitor reads it unaligned. */
UKVM_CPL3_NOTE(cpu_idt, exception_stack_top)

.section .rodata
.globl ukvm_netio_allowed
ukvm_netio_allowed:
.byte 1

/* The ring-0 stack for traps taken in ring 3. */
.section .bss
.balign 16
exception_stack:
.skip 16384
exception_stack_top:

.section .note.GNU-stack, "", @progbits
