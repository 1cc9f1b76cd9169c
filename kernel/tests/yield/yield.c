/*
 * yield MS COUNT: COUNT sleeps of MS milliseconds through solo5_yield, each
 * to a deadline MS from now; prints how late each wake-up was by the
 * guest's clock (negative: early) and the least and most of them.
 */

#include "test.h"

static void parse_args(const char *s, uint64_t *ms, uint64_t *count)
{
    *ms = parse_u64(s, 100);
    while (*s == ' ')
        s++;
    while (*s >= '0' && *s <= '9')
        s++;
    *count = parse_u64(s, 3);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t ms, count;
    parse_args(si->cmdline, &ms, &count);
    printf("yield: %lu sleeps of %lu ms\n", (unsigned long)count, (unsigned long)ms);
    int64_t least = INT64_MAX, most = INT64_MIN;
    for (uint64_t i = 0; i < count; i++) {
        solo5_time_t deadline = solo5_clock_monotonic() + ms * 1000000;
        solo5_yield(deadline, NULL);
        int64_t late = (int64_t)(solo5_clock_monotonic() - deadline);
        printf("yield: woke %ld ns after the deadline\n", (long)late);
        least = late < least ? late : least;
        most = late > most ? late : most;
    }
    if (count)
        printf("yield: least late %ld ns, most late %ld ns\n", (long)least, (long)most);
    return SOLO5_EXIT_SUCCESS;
}
