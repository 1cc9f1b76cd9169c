/* notes.S: the ABI note of virtio images: target virtio (3), version 1. */
#include "abi_note.h"

SOLO5_ABI_NOTE(SOLO5_ABI_TARGET_VIRTIO, SOLO5_ABI_VERSION_VIRTIO)
