/*
 * time.c: clocks and solo5_yield for ukvm.
 *
 * Monotonic time is the TSC at the frequency the monitor measured. Wall time
 * is read from the monitor once at boot and then advanced by the monotonic
 * clock, so reading the clock costs no exit.
 */

#include "ukvm.h"

static uint64_t wall_at_boot;

void time_init(const struct ukvm_boot_info *bi)
{
    tsc_init(bi->cpu_cycle_freq);
    struct ukvm_hc_walltime arg = { 0 };
    ukvm_hypercall(UKVM_HYPERCALL_WALLTIME, &arg);
    wall_at_boot = arg.nsecs - tsc_monotonic();
}

solo5_time_t solo5_clock_monotonic(void)
{
    return tsc_monotonic();
}

solo5_time_t solo5_clock_wall(void)
{
    return wall_at_boot + tsc_monotonic();
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
