/*
 * blkbench: block throughput on "storage".
 *
 *   blkbench [-s SIZE] [-p seq|rand] [-o write|read|both] [-n COUNT]
 *
 * SIZE: bytes per request, a multiple of the block size up to
 * SOLO5_BLOCK_IO_MAX (default: one block). seq walks the device from the
 * start; rand picks SIZE-aligned offsets from a fixed pseudo-random
 * sequence. both (the default) writes, then reads. COUNT requests per
 * direction (default: as many as cover the device once). Prints one line
 * per direction:
 *
 *   blkbench: [random ]write|read BYTES bytes in NS ns: KIB KiB/s
 */

#include "test.h"

static uint8_t buf[SOLO5_BLOCK_IO_MAX];

struct options {
    uint64_t size, count;
    bool random, read, write;
};

static void report(bool random, const char *what, uint64_t bytes, uint64_t ns)
{
    /* KiB/s without floating point: bytes * 10^9 / ns / 1024. */
    uint64_t kib_s = ns ? (bytes / 1024) * 1000000000ULL / ns : 0;
    printf("blkbench: %s%s %lu bytes in %lu ns: %lu KiB/s\n",
            random ? "random " : "", what, (unsigned long)bytes,
            (unsigned long)ns, (unsigned long)kib_s);
}

/* The next word of the command line at *s (NUL-terminated copy in word). */
static bool next_word(const char **s, char *word, size_t size)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    size_t n = 0;
    for (; *p && *p != ' '; p++)
        if (n + 1 < size)
            word[n++] = *p;
    word[n] = '\0';
    *s = p;
    return n > 0;
}

static bool parse(const char *s, struct options *o)
{
    char flag[8], value[24];
    o->read = o->write = true;
    while (next_word(&s, flag, sizeof flag)) {
        if (!next_word(&s, value, sizeof value))
            return false;
        if (strcmp(flag, "-s") == 0 && value[0] >= '0' && value[0] <= '9')
            o->size = parse_u64(value, 0);
        else if (strcmp(flag, "-n") == 0 && value[0] >= '0' && value[0] <= '9')
            o->count = parse_u64(value, 0);
        else if (strcmp(flag, "-p") == 0 && (strcmp(value, "seq") == 0 ||
                    strcmp(value, "rand") == 0))
            o->random = strcmp(value, "rand") == 0;
        else if (strcmp(flag, "-o") == 0 && strcmp(value, "write") == 0)
            o->read = false;
        else if (strcmp(flag, "-o") == 0 && strcmp(value, "read") == 0)
            o->write = false;
        else if (!(strcmp(flag, "-o") == 0 && strcmp(value, "both") == 0))
            return false;
    }
    return true;
}

/* Offset of request i: sequential (wrapping), or SIZE-aligned pseudo-random. */
static uint64_t offset(const struct options *o, uint64_t slots, uint64_t i,
        uint64_t *rng)
{
    if (!o->random)
        return (i % slots) * o->size;
    /* xorshift64: the same sequence on every run and backend. */
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (*rng % slots) * o->size;
}

/* Runs COUNT requests in one direction; false if one fails. */
static bool run(solo5_handle_t h, const struct options *o, uint64_t slots,
        bool write)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    solo5_time_t t0 = solo5_clock_monotonic();
    for (uint64_t i = 0; i < o->count; i++) {
        uint64_t at = offset(o, slots, i, &rng);
        solo5_result_t r = write ? solo5_block_write(h, at, buf, o->size)
            : solo5_block_read(h, at, buf, o->size);
        if (r != SOLO5_R_OK) {
            printf("FAILURE: %s of %lu bytes at %lu: %d\n",
                    write ? "write" : "read", (unsigned long)o->size,
                    (unsigned long)at, r);
            return false;
        }
    }
    report(o->random, write ? "write" : "read", o->count * o->size,
            solo5_clock_monotonic() - t0);
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    solo5_handle_t h;
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK) {
        puts("FAILURE: no usable block device\n");
        return SOLO5_EXIT_FAILURE;
    }
    struct options o = { 0 };
    if (!parse(si->cmdline, &o)) {
        puts("usage: blkbench [-s SIZE] [-p seq|rand] [-o write|read|both] "
                "[-n COUNT]\n");
        return SOLO5_EXIT_FAILURE;
    }
    if (o.size == 0)
        o.size = info.block_size;
    if (o.size % info.block_size || o.size > sizeof buf ||
            o.size > info.capacity) {
        printf("FAILURE: request size %lu: not a multiple of the block size "
                "%lu up to %lu bytes within the device\n",
                (unsigned long)o.size, (unsigned long)info.block_size,
                (unsigned long)sizeof buf);
        return SOLO5_EXIT_FAILURE;
    }
    uint64_t slots = info.capacity / o.size;
    if (o.count == 0)
        o.count = slots;
    memset(buf, 0xa5, sizeof buf);
    if ((o.write && !run(h, &o, slots, true)) ||
            (o.read && !run(h, &o, slots, false)))
        return SOLO5_EXIT_FAILURE;
    return SOLO5_EXIT_SUCCESS;
}
