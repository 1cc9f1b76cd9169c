/*
 * abi_note.h: the Solo5 ABI note, for the notes.S of each backend. A monitor
 * refuses an image whose note names another target or ABI version.
 */
#ifndef ABI_NOTE_H
#define ABI_NOTE_H

#include "../ukvm/ukvm_abi.h"

/* Name "Solo5" (namesz 6, padded to 8), descriptor of 16 bytes. */
#define SOLO5_ABI_NOTE(target, version)                 \
    .section .note.solo5.abi, "a", @note;               \
    .balign 4;                                          \
    .long 6, 16, SOLO5_NOTE_ABI;                        \
    .asciz "Solo5";                                     \
    .balign 4;                                          \
    .long target, version, 0, 0;                        \
    .section .note.GNU-stack, "", @progbits

#endif /* ABI_NOTE_H */
