/*
 * yield.c: solo5_yield() for virtio: halt until the deadline or a frame.
 *
 * The PIT ends the sleep at the deadline (at most 50 ms at a time, its
 * 16-bit limit); a network device's receive interrupt ends it early. The
 * rings, not the interrupts, say what is ready: an interrupt only stops
 * the hlt.
 */

#include "virtio.h"

#define POLL_SLICE_NS 1000000ULL    /* for devices that cannot interrupt */

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    solo5_handle_set_t set;
    for (;;) {
        set = virtio_net_pending();
        solo5_time_t now = solo5_clock_monotonic();
        if (set || now >= deadline)
            break;
        uint64_t sleep = deadline - now;
        if (virtio_net_polled() && sleep > POLL_SLICE_NS)
            sleep = POLL_SLICE_NS;
        pit_oneshot(sleep);
        intr_wait();
    }
    if (ready_set)
        *ready_set = set;
}
