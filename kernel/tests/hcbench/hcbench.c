/*
 * hcbench N: N hypercalls that do no work (WALLTIME: the monitor only reads
 * its clock), timed by the monotonic clock: the cost of one exit round trip
 * through our monitor. Uses the hvt ABI directly, so it is ukvm-only.
 */

#include "test.h"
#include "ukvm_abi.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t n = parse_u64(si->cmdline, 10000);
    volatile struct ukvm_hc_walltime arg;
    solo5_time_t start = solo5_clock_monotonic();
    for (uint64_t i = 0; i < n; i++)
        __asm__ __volatile__("outl %0, %1"
                :
                : "a"((uint32_t)(uintptr_t)&arg),
                  "d"((uint16_t)UKVM_HYPERCALL_PIO(UKVM_HYPERCALL_WALLTIME))
                : "memory");
    solo5_time_t ns = solo5_clock_monotonic() - start;
    printf("hcbench: %lu hypercalls in %lu ns\n", (unsigned long)n,
            (unsigned long)ns);
    print_ratio("hcbench: ns/hypercall", ns, n);
    return SOLO5_EXIT_SUCCESS;
}
