/*
 * blkbench: sequential block throughput. Writes every block of "storage",
 * then reads every block, and prints bytes/s for each direction.
 */

#include "../test.h"

#define MAX_BLOCK 65536
static uint8_t buf[MAX_BLOCK];

static void report(const char *what, uint64_t bytes, uint64_t ns)
{
    /* KiB/s without floating point: bytes * 10^9 / ns / 1024. */
    uint64_t kib_s = ns ? (bytes / 1024) * 1000000000ULL / ns : 0;
    printf("blkbench: %s %lu bytes in %lu ns: %lu KiB/s\n", what,
            (unsigned long)bytes, (unsigned long)ns, (unsigned long)kib_s);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    solo5_handle_t h;
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK ||
            info.block_size > MAX_BLOCK) {
        puts("FAILURE: no usable block device\n");
        return SOLO5_EXIT_FAILURE;
    }
    memset(buf, 0xa5, sizeof buf);
    uint64_t bs = info.block_size, blocks = info.capacity / bs;
    solo5_time_t t0 = solo5_clock_monotonic();
    for (uint64_t b = 0; b < blocks; b++)
        if (solo5_block_write(h, b * bs, buf, bs) != SOLO5_R_OK)
            return SOLO5_EXIT_FAILURE;
    solo5_time_t t1 = solo5_clock_monotonic();
    for (uint64_t b = 0; b < blocks; b++)
        if (solo5_block_read(h, b * bs, buf, bs) != SOLO5_R_OK)
            return SOLO5_EXIT_FAILURE;
    solo5_time_t t2 = solo5_clock_monotonic();
    report("write", blocks * bs, t1 - t0);
    report("read", blocks * bs, t2 - t1);
    return SOLO5_EXIT_SUCCESS;
}
