/*
 * time.c: clocks and solo5_yield for ukvm. The TSC runs at the frequency
 * the monitor measured; the wall clock is read from the monitor once.
 */

#include "ukvm.h"

void time_init(const struct ukvm_boot_info *bi)
{
    tsc_init(bi->cpu_cycle_freq);
    struct ukvm_hc_walltime arg = { 0 };
    ukvm_hypercall(UKVM_HYPERCALL_WALLTIME, &arg);
    tsc_set_wall(arg.nsecs);
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    if (net_batched()) {
        net_yield(deadline, ready_set);
        return;
    }
    solo5_time_t now = solo5_clock_monotonic();
    struct ukvm_hc_poll arg = {
        .timeout_nsecs = deadline > now ? deadline - now : 0,
    };
    ukvm_hypercall(UKVM_HYPERCALL_POLL, &arg);
    if (ready_set)
        *ready_set = arg.ret > 0 ? arg.ready_set : 0;
}
