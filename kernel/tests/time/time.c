/*
 * time: clock sanity. The monotonic clock advances and never goes back, the
 * wall clock is past 2020, and solo5_yield() sleeps 1 s within 10 %.
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
    if (slept > NSEC_PER_SEC * 11 / 10) {
        puts("FAILURE: solo5_yield() slept more than 1.1 s\n");
        return SOLO5_EXIT_FAILURE;
    }
    if (wall_slept < NSEC_PER_SEC * 9 / 10 || wall_slept > NSEC_PER_SEC * 11 / 10) {
        puts("FAILURE: wall clock disagrees with the monotonic clock\n");
        return SOLO5_EXIT_FAILURE;
    }
    (void)si;
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
