/*
 * time.c: clocks for ukvm. The TSC runs at the frequency the monitor
 * measured; the wall clock is read from the monitor once, when the guest
 * first asks for it (WALLTIME is an exit: a boot that never reads the wall
 * clock does without it).
 */

#include "ukvm.h"

static uint64_t monitor_walltime(void)
{
    struct ukvm_hc_walltime arg = { 0 };
    ukvm_hypercall(UKVM_HYPERCALL_WALLTIME, &arg);
    return arg.nsecs;
}

void time_init(const struct ukvm_boot_info *bi)
{
    tsc_init(bi->cpu_cycle_freq);
    tsc_set_wall_source(monitor_walltime);
}
