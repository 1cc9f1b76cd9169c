/*
 * notes.S: the ABI note every ukvm image carries: target hvt (1), version 2.
 * A monitor refuses an image whose note does not match its own ABI.
 */
#include "ukvm_abi.h"

.section .note.solo5.abi, "a", @note
.balign 4
.long 6                          /* namesz: "Solo5\0" */
.long 16                         /* descsz */
.long SOLO5_NOTE_ABI
.asciz "Solo5"
.balign 4
.long SOLO5_ABI_TARGET_HVT, UKVM_ABI_VERSION, 0, 0

.section .note.GNU-stack, "", @progbits
