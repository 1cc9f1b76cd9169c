/*
 * time: clock sanity. The monotonic clock advances and never goes back, the
 * wall clock is past 2020, solo5_yield() sleeps until its deadline of 1 s
 * and not ten times longer, and over that sleep the wall clock advances as
 * the monotonic clock does (within 10 %).
 *
 * No bound here depends on how busy the host is: a loaded host (the
 * hardware-KVM rig runs three emulated machines on two cores) may wake the
 * guest half a second late, so the sleep's upper bound is a factor of ten,
 * which still catches a yield that misses its deadline; and the wall
 * clock's interval is compared with the monotonic readings that bracket it,
 * so a delay between two readings cannot make them disagree.
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

    solo5_time_t before_wall = solo5_clock_monotonic();
    wall = solo5_clock_wall();
    solo5_time_t start = solo5_clock_monotonic();
    solo5_time_t deadline = start + NSEC_PER_SEC;
    solo5_handle_set_t ready;
    /* With no devices nothing can wake us early, but be robust anyway. */
    do {
        solo5_yield(deadline, &ready);
    } while (solo5_clock_monotonic() < deadline);
    solo5_time_t end = solo5_clock_monotonic();
    solo5_time_t wall_end = solo5_clock_wall();
    solo5_time_t after_wall = solo5_clock_monotonic();
    solo5_time_t slept = end - start;
    solo5_time_t wall_slept = wall_end - wall;
    printf("slept %lu ns (wall %lu ns)\n", (unsigned long)slept,
            (unsigned long)wall_slept);
    if (slept > 10 * NSEC_PER_SEC) {
        puts("FAILURE: solo5_yield() slept more than 10 s for 1 s\n");
        return SOLO5_EXIT_FAILURE;
    }
    /* The wall interval lies between the monotonic readings around it:
     * at least end - start, at most after_wall - before_wall. */
    if (wall_slept < slept * 9 / 10 ||
            wall_slept > (after_wall - before_wall) * 11 / 10) {
        puts("FAILURE: wall clock disagrees with the monotonic clock\n");
        return SOLO5_EXIT_FAILURE;
    }
    (void)si;
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
