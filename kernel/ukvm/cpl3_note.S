/*
 * cpl3_note.S: asks our monitor to start the image at CPL 3 (ukvm_abi.h,
 * "the CPL3 note"). It names the IDT that kernel/common fills and the top of
 * the ring-0 stack on which traps from ring 3 run. Monitors that do not know
 * the note ignore it, and the kernel then sets itself up at CPL 0.
 *
 * Linked into every image except the *-cpl0 test variants.
 */
#include "ukvm_abi.h"

.section .note.ukvm.cpl3, "a", @note
.balign 4
.long 5                          /* namesz: "UKVM\0" */
.long 24                         /* descsz */
.long UKVM_NOTE_CPL3
.asciz "UKVM"
.balign 4                        /* desc follows at offset 20: read unaligned */
.long UKVM_CPL3_VERSION, 0
.quad cpu_idt
.quad exception_stack_top

/* The ring-0 stack for traps taken in ring 3. */
.section .bss
.balign 16
exception_stack:
.skip 16384
exception_stack_top:

.section .note.GNU-stack, "", @progbits
