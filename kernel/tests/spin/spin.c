/*
 * spin N: N iterations of a two-instruction loop, timed by the monotonic
 * clock. On our monitor it runs at CPL 3, natively even under PVM.
 */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    uint16_t cs;
    __asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
    printf("spin: running at CPL %u\n", cs & 3);
    uint64_t n = parse_u64(si->cmdline, 100000000);
    uint64_t i = n;
    solo5_time_t start = solo5_clock_monotonic();
    if (i)
        __asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(i));
    solo5_time_t ns = solo5_clock_monotonic() - start;
    printf("spin: %lu iterations in %lu ns\n", (unsigned long)n,
            (unsigned long)ns);
    print_ratio("spin: ns/iteration", ns, n);
    return SOLO5_EXIT_SUCCESS;
}
