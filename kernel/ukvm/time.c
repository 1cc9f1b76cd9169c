/*
 * time.c: clocks for ukvm. The TSC runs at the frequency the monitor
 * measured; the wall clock is read from the monitor once.
 */

#include "ukvm.h"

void time_init(const struct ukvm_boot_info *bi)
{
    tsc_init(bi->cpu_cycle_freq);
    struct ukvm_hc_walltime arg = { 0 };
    ukvm_hypercall(UKVM_HYPERCALL_WALLTIME, &arg);
    tsc_set_wall(arg.nsecs);
}
