/*
 * extensions.S: our extensions of the hvt ABI (ukvm_ext.h), in one object.
 *
 * - The CPL3 note asks our monitor to start the image at CPL 3. It names the
 *   IDT that kernel/common fills and the top of the ring-0 stack on which
 *   traps from ring 3 run. Monitors that do not know the note ignore it, and
 *   the kernel then sets itself up at CPL 0.
 * - ukvm_ext_features: the host_features bits of ours that the kernel may
 *   use when the monitor offers them (NETIO, multi-block requests, debug
 *   traps handed to the monitor's debugger, the FS base set by the monitor,
 *   large TCP frames segmented by the host, the console buffer, the boot
 *   info's entropy).
 * - The console note names the console buffer (console.c), which the
 *   monitor drains at every exit when it offers the feature.
 *
 * Linked into every image except the *-cpl0 test variants, which are then
 * what an upstream-built hvt kernel is: no note, base hypercalls only, one
 * block per request.
 */
#include "ukvm_ext.h"
#include "ukvm.h"

/* The descriptor follows the 12-byte header and "UKVM\0" padded to 8:
 * at offset 20, so the monitor reads it unaligned. */
#if CPU_IDT_GATES * 16 == UKVM_IDT_EXCEPTIONS_SIZE
#define CPL3_FLAGS UKVM_CPL3_EXCEPTIONS_ONLY
#elif CPU_IDT_GATES * 16 == UKVM_IDT_SIZE
#define CPL3_FLAGS 0
#else
#error "the CPL3 note describes an IDT of 32 or 256 gates (CPU_IDT_GATES)"
#endif
UKVM_CPL3_NOTE(cpu_idt, CPL3_FLAGS, exception_stack_top)
UKVM_CONSOLE_NOTE(ukvm_console_buffer, UKVM_CONSOLE_SIZE)

.section .rodata
.balign 4
.globl ukvm_ext_features
ukvm_ext_features:
.long UKVM_HOST_FEATURE_NETIO | UKVM_HOST_FEATURE_BLOCK_MULTI | UKVM_HOST_FEATURE_DEBUG | \
    UKVM_HOST_FEATURE_SET_FS_BASE | UKVM_HOST_FEATURE_LARGE_SEND | \
    UKVM_HOST_FEATURE_CONSOLE_BUFFER | UKVM_HOST_FEATURE_ENTROPY

/* The ring-0 stack for traps taken in ring 3. */
.section .bss
.balign 16
exception_stack:
.skip 16384
exception_stack_top:

.section .note.GNU-stack, "", @progbits
