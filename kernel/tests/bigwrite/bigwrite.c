/*
 * bigwrite N: announces itself, then writes N bytes ('x'..., then a
 * newline) to the console in one solo5_console_write call, from the heap.
 */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t n = parse_u64(si->cmdline, 1 << 20);
    if (n == 0 || n > si->heap_size) {
        printf("bigwrite: %lu bytes do not fit the heap\n", (unsigned long)n);
        return SOLO5_EXIT_FAILURE;
    }
    char *buf = (char *)si->heap_start;
    memset(buf, 'x', n - 1);
    buf[n - 1] = '\n';
    printf("bigwrite: writing %lu bytes\n", (unsigned long)n);
    solo5_console_write(buf, n);
    puts("bigwrite: done\n");
    return SOLO5_EXIT_SUCCESS;
}
