/*
 * yield.c: solo5_yield() for ukvm: one POLL hypercall, in which the monitor
 * sleeps until the deadline or until a network device is readable; or, with
 * NETIO, one batched exchange (net.c).
 */

#include "ukvm.h"

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
