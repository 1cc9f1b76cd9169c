/*
 * notes.S: the ABI note every virtio image carries: target virtio (3),
 * version 1. The ukvm monitor refuses such an image by this note.
 */
#include "ukvm_abi.h"

.section .note.solo5.abi, "a", @note
.balign 4
.long 6                          /* namesz: "Solo5\0" */
.long 16                         /* descsz */
.long SOLO5_NOTE_ABI
.asciz "Solo5"
.balign 4
.long SOLO5_ABI_TARGET_VIRTIO, SOLO5_ABI_VERSION_VIRTIO, 0, 0

.section .note.GNU-stack, "", @progbits
