/* notes.S: the ABI note of ukvm images: target hvt (1), version 2. */
#include "abi_note.h"

SOLO5_ABI_NOTE(SOLO5_ABI_TARGET_HVT, UKVM_ABI_VERSION)
