/* exception: faults on purpose; the kernel must report the trap and abort. */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    puts("about to fault\n");
    __asm__ __volatile__(".globl exception_rip\nexception_rip: ud2");
    puts("FAILURE: ud2 did not trap\n");
    return SOLO5_EXIT_FAILURE;
}
