/* notes.S: the ABI note of ukvm images: target hvt, ABI version 2. */
#include "mft_abi.h"
#include "ukvm_abi.h"

SOLO5_ABI_NOTE(SOLO5_ABI_TARGET_HVT, UKVM_ABI_VERSION)
.section .note.GNU-stack, "", @progbits
