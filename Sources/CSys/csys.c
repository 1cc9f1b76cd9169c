/*
 * csys.c: request numbers of csys.h as constants, for Swift (the _IOR()
 * macros are beyond the Swift importer), and the layouts core files rely on.
 */
#include "csys.h"

const unsigned long csys_BLKGETSIZE64 = BLKGETSIZE64;

/*
 * Core files: NT_PRSTATUS carries the general registers as elf_gregset_t,
 * which on x86_64 is struct user_regs_struct in disguise (the layout gdb
 * reads); the monitor fills the struct and copies it in.
 */
_Static_assert(sizeof(elf_gregset_t) == sizeof(struct user_regs_struct),
               "elf_gregset_t is user_regs_struct");
_Static_assert(sizeof(elf_fpregset_t) == sizeof(struct user_fpregs_struct),
               "elf_fpregset_t is user_fpregs_struct");
