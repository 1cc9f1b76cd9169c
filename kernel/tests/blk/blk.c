/*
 * blk: block device round trips on "storage".
 *
 *   1. Every block is written and read back, one block per request.
 *   2. Requests of 1, 2, 7, 64, 256 blocks and of the largest size
 *      (SOLO5_BLOCK_IO_MAX; sizes above it or above the device are cut to
 *      fit) are written, read back whole and block by block, and their
 *      neighbours checked untouched; first at a cursor that walks the
 *      device, then ending at its last block.
 *   3. Requests the API refuses: overlapping the end, larger than
 *      SOLO5_BLOCK_IO_MAX, not whole blocks, misaligned, past the end, at
 *      an overflowing offset, without a buffer, on a bad handle; and a
 *      device that does not exist. Refused writes change nothing.
 *
 * Block b holds 64-bit little-endian words; word w of a block written in
 * generation g is (b << 20) | (w << 4) | g, so the disk's final contents
 * depend only on its geometry, and runs on different backends (with and
 * without multi-block requests) must leave identical files. Words, not
 * bytes: at CPL 0 under PVM every instruction is emulated.
 */

#include "test.h"

#define MAX_BLOCK 32768
#define WORDS(bytes) ((bytes) / sizeof(uint64_t))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t wbuf[WORDS(SOLO5_BLOCK_IO_MAX)], rbuf[WORDS(SOLO5_BLOCK_IO_MAX)];
static uint64_t before[WORDS(MAX_BLOCK)], after[WORDS(MAX_BLOCK)];

static solo5_handle_t h;
static uint64_t bs, blocks, cap;

static uint64_t word(uint64_t block, uint64_t w, uint64_t gen)
{
    return block << 20 | w << 4 | gen;
}

/* Fills buf with n blocks from first, generation gen. */
static void fill(uint64_t *buf, uint64_t first, uint64_t n, uint64_t gen)
{
    uint64_t per = WORDS(bs);
    for (uint64_t b = 0; b < n; b++)
        for (uint64_t w = 0; w < per; w++)
            buf[b * per + w] = word(first + b, w, gen);
}

static bool same(const uint64_t *a, const uint64_t *b, uint64_t n_words)
{
    for (uint64_t i = 0; i < n_words; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static int fail(const char *what, uint64_t block, uint64_t n)
{
    printf("FAILURE: %s (block %lu, %lu blocks)\n", what,
            (unsigned long)block, (unsigned long)n);
    return SOLO5_EXIT_FAILURE;
}

static solo5_result_t read_blocks(uint64_t *buf, uint64_t first, uint64_t n)
{
    return solo5_block_read(h, first * bs, (uint8_t *)buf, n * bs);
}

static solo5_result_t write_blocks(const uint64_t *buf, uint64_t first,
        uint64_t n)
{
    return solo5_block_write(h, first * bs, (const uint8_t *)buf, n * bs);
}

/* Reads block b into buf, one block per request; false on failure. */
static bool read_one(uint64_t *buf, uint64_t b)
{
    return read_blocks(buf, b, 1) == SOLO5_R_OK;
}

/*
 * Writes n blocks at first in one request (generation gen), reads them
 * back in one request and one block at a time, and checks that the blocks
 * on either side did not change.
 */
static int round_trip(uint64_t first, uint64_t n, uint64_t gen)
{
    bool has_before = first > 0, has_after = first + n < blocks;
    if ((has_before && !read_one(before, first - 1)) ||
            (has_after && !read_one(after, first + n)))
        return fail("reading the neighbours", first, n);
    fill(wbuf, first, n, gen);
    if (write_blocks(wbuf, first, n) != SOLO5_R_OK)
        return fail("multi-block write", first, n);
    memset(rbuf, 0, n * bs);
    if (read_blocks(rbuf, first, n) != SOLO5_R_OK)
        return fail("multi-block read", first, n);
    if (!same(rbuf, wbuf, WORDS(n * bs)))
        return fail("multi-block read differs from what was written", first, n);
    for (uint64_t b = 0; b < n; b++) {
        if (!read_one(rbuf, first + b) ||
                !same(rbuf, wbuf + b * WORDS(bs), WORDS(bs)))
            return fail("block read alone differs", first + b, n);
    }
    if (has_before && (!read_one(rbuf, first - 1) ||
                !same(rbuf, before, WORDS(bs))))
        return fail("the block before changed", first - 1, n);
    if (has_after && (!read_one(rbuf, first + n) ||
                !same(rbuf, after, WORDS(bs))))
        return fail("the block after changed", first + n, n);
    return 0;
}

static int single_blocks(void)
{
    for (uint64_t b = 0; b < blocks; b++) {
        fill(wbuf, b, 1, 1);
        if (write_blocks(wbuf, b, 1) != SOLO5_R_OK)
            return fail("write", b, 1);
    }
    for (uint64_t b = 0; b < blocks; b++) {
        memset(rbuf, 0, bs);
        fill(wbuf, b, 1, 1);
        if (!read_one(rbuf, b) || !same(rbuf, wbuf, WORDS(bs)))
            return fail("data read back differs", b, 1);
    }
    return 0;
}

static int multi_blocks(void)
{
    static const uint64_t sizes[] = { 1, 2, 7, 64, 256, 0 /* the largest */ };
    uint64_t largest = SOLO5_BLOCK_IO_MAX / bs, cursor = 1;
    for (uint64_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        uint64_t n = sizes[k] ? sizes[k] : largest;
        if (n > largest)
            n = largest;
        if (n > blocks)
            n = blocks;
        if (cursor + n > blocks)
            cursor = 0;
        int r = round_trip(cursor, n, 2 + k);
        if (r)
            return r;
        r = round_trip(blocks - n, n, 8 + k);
        if (r)
            return r;
        cursor += n + 1;
        printf("blk: %lu-block requests ok\n", (unsigned long)n);
    }
    return 0;
}

/* Requests the API refuses; refused writes must not touch the disk. */
static int refusals(void)
{
    uint64_t largest = SOLO5_BLOCK_IO_MAX / bs;
    static const uint64_t overlaps[] = { 2, 7, 64 };
    /* The last blocks, to check that no refused write reached them. */
    uint64_t tail = blocks < 64 ? blocks : 64;
    if (tail > largest)
        tail = largest;
    if (read_blocks(rbuf, blocks - tail, tail) != SOLO5_R_OK)
        return fail("reading the last blocks", blocks - tail, tail);
    memcpy(wbuf, rbuf, tail * bs);

    for (uint64_t k = 0; k < ARRAY_SIZE(overlaps); k++) {
        uint64_t n = overlaps[k];
        if (n > largest || n > blocks)
            continue;
        /* n blocks starting n - 1 blocks before the end: one too many. */
        uint64_t at = cap - (n - 1) * bs;
        if (solo5_block_read(h, at, (uint8_t *)rbuf, n * bs) != SOLO5_R_EINVAL)
            return fail("read overlapping the end accepted", blocks - n + 1, n);
        if (solo5_block_write(h, at, (uint8_t *)rbuf, n * bs) != SOLO5_R_EINVAL)
            return fail("write overlapping the end accepted", blocks - n + 1, n);
    }
    if (solo5_block_read(h, cap, (uint8_t *)rbuf, bs) != SOLO5_R_EINVAL)
        return fail("read past the end accepted", blocks, 1);
    if (solo5_block_write(h, cap - bs + 1, (uint8_t *)rbuf, bs) != SOLO5_R_EINVAL)
        return fail("misaligned write accepted", blocks - 1, 1);
    if (solo5_block_read(h, 0, (uint8_t *)rbuf, bs / 2) != SOLO5_R_EINVAL)
        return fail("short read accepted", 0, 1);
    if (solo5_block_write(h, 0, (uint8_t *)rbuf, bs + bs / 2) != SOLO5_R_EINVAL)
        return fail("write of a block and a half accepted", 0, 1);
    if (solo5_block_read(h, 0, (uint8_t *)rbuf, 0) != SOLO5_R_EINVAL)
        return fail("empty read accepted", 0, 0);
    if (solo5_block_write(h, 0, (uint8_t *)rbuf, SOLO5_BLOCK_IO_MAX + bs)
            != SOLO5_R_EINVAL)
        return fail("write larger than SOLO5_BLOCK_IO_MAX accepted", 0,
                largest + 1);
    if (solo5_block_read(h, UINT64_MAX - bs + 1, (uint8_t *)rbuf, bs)
            != SOLO5_R_EINVAL)
        return fail("read at an overflowing offset accepted", 0, 1);
    if (solo5_block_read(h, 0, NULL, bs) != SOLO5_R_EINVAL)
        return fail("read without a buffer accepted", 0, 1);
    if (solo5_block_read(h + 1, 0, (uint8_t *)rbuf, bs) != SOLO5_R_EINVAL)
        return fail("read from a bad handle accepted", 0, 1);

    if (read_blocks(rbuf, blocks - tail, tail) != SOLO5_R_OK ||
            !same(rbuf, wbuf, WORDS(tail * bs)))
        return fail("a refused write changed the last blocks", blocks - tail,
                tail);
    solo5_handle_t other;
    struct solo5_block_info info;
    if (solo5_block_acquire("nosuchdevice", &other, &info) != SOLO5_R_EINVAL)
        return fail("acquired a device that does not exist", 0, 0);
    return 0;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return fail("solo5_block_acquire", 0, 0);
    bs = info.block_size;
    cap = info.capacity;
    blocks = bs ? cap / bs : 0;
    printf("blk: %lu blocks of %lu bytes\n", (unsigned long)blocks,
            (unsigned long)bs);
    if (bs < 8 || bs > MAX_BLOCK || bs % 8 || cap % bs || blocks == 0)
        return fail("unexpected geometry", 0, 0);
    int r = single_blocks();
    if (!r)
        r = multi_blocks();
    if (!r)
        r = refusals();
    if (r)
        return r;
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
