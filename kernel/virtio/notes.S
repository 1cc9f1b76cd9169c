/* notes.S: the ABI note of virtio images: target virtio, ABI version 1. */
#include "mft_abi.h"

SOLO5_ABI_NOTE(SOLO5_ABI_TARGET_VIRTIO, SOLO5_ABI_VERSION_VIRTIO)
.section .note.GNU-stack, "", @progbits
