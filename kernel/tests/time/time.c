/*
 * time: clock sanity. The monotonic clock advances and never goes back, the
 * wall clock is past 2020, solo5_yield() returns by its deadline and not
 * long after, and the wall clock advances with the monotonic clock.
 *
 * The bounds are wide on purpose: a loaded host, or a guest emulated by
 * QEMU, may run us late by a large part of a second, and a test must not
 * turn the host's scheduling into a verdict. What it catches is a wrong
 * clock or timer (a sleep that ends early is looped over and measured; one
 * that never ends is the harness's timeout; one that ends seconds late, or a
 * wall clock that drifts from the monotonic one, fails here).
 */

#include "test.h"

#define NSEC_PER_SEC 1000000000ULL
#define WALL_2020 (1577836800ULL * NSEC_PER_SEC)

int solo5_app_main(const struct solo5_start_info *si)
{
    solo5_time_t prev = solo5_clock_monotonic();
    for (int i = 0; i < 100000; i++) {
        solo5_time_t now = solo5_clock_monotonic();
        if (now < prev) {
            puts("FAILURE: monotonic clock went backwards\n");
            return SOLO5_EXIT_FAILURE;
        }
        prev = now;
    }
    solo5_time_t wall = solo5_clock_wall();
    if (wall < WALL_2020) {
        printf("FAILURE: wall clock %lu is before 2020\n", (unsigned long)wall);
        return SOLO5_EXIT_FAILURE;
    }

    solo5_time_t start = solo5_clock_monotonic();
    solo5_time_t deadline = start + NSEC_PER_SEC;
    solo5_handle_set_t ready;
    /* With no devices nothing can wake us early, but be robust anyway. */
    do {
        solo5_yield(deadline, &ready);
    } while (solo5_clock_monotonic() < deadline);
    solo5_time_t slept = solo5_clock_monotonic() - start;
    solo5_time_t wall_slept = solo5_clock_wall() - wall;
    printf("slept %lu ns (wall %lu ns)\n", (unsigned long)slept,
            (unsigned long)wall_slept);
    if (slept > NSEC_PER_SEC * 5) {
        puts("FAILURE: solo5_yield() slept more than 5 s for 1 s\n");
        return SOLO5_EXIT_FAILURE;
    }
    /* Both intervals start and end within a few instructions of each other. */
    solo5_time_t drift = wall_slept > slept ? wall_slept - slept : slept - wall_slept;
    if (drift > NSEC_PER_SEC / 4) {
        puts("FAILURE: wall clock disagrees with the monotonic clock\n");
        return SOLO5_EXIT_FAILURE;
    }
    (void)si;
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
