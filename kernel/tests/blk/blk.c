/*
 * blk: writes a distinct pattern to every block of the "storage" device,
 * reads every block back and compares, then checks that requests outside
 * the device, misaligned or of the wrong size, and bad handles are refused.
 */

#include "../test.h"

#define MAX_BLOCK 65536

static uint8_t wbuf[MAX_BLOCK], rbuf[MAX_BLOCK];

/* Byte i of block b: differs between neighbouring blocks and bytes. */
static void fill(uint8_t *buf, size_t size, uint64_t block)
{
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(block * 31 + i * 7 + (block >> 8));
}

static int fail(const char *what, uint64_t block)
{
    printf("FAILURE: %s (block %lu)\n", what, (unsigned long)block);
    return SOLO5_EXIT_FAILURE;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    solo5_handle_t h;
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return fail("solo5_block_acquire", 0);
    uint64_t bs = info.block_size, blocks = info.capacity / bs;
    printf("blk: %lu blocks of %lu bytes\n", (unsigned long)blocks,
            (unsigned long)bs);
    if (bs == 0 || bs > MAX_BLOCK || info.capacity % bs)
        return fail("unexpected geometry", 0);

    for (uint64_t b = 0; b < blocks; b++) {
        fill(wbuf, bs, b);
        if (solo5_block_write(h, b * bs, wbuf, bs) != SOLO5_R_OK)
            return fail("write", b);
    }
    for (uint64_t b = 0; b < blocks; b++) {
        memset(rbuf, 0, bs);
        if (solo5_block_read(h, b * bs, rbuf, bs) != SOLO5_R_OK)
            return fail("read", b);
        fill(wbuf, bs, b);
        if (memcmp(wbuf, rbuf, bs) != 0)
            return fail("data read back differs", b);
    }

    /* Requests the API promises to refuse. */
    if (solo5_block_read(h, info.capacity, rbuf, bs) != SOLO5_R_EINVAL)
        return fail("read past the end accepted", blocks);
    if (solo5_block_write(h, info.capacity - bs + 1, wbuf, bs) != SOLO5_R_EINVAL)
        return fail("misaligned write accepted", blocks - 1);
    if (solo5_block_read(h, 0, rbuf, bs / 2) != SOLO5_R_EINVAL)
        return fail("short read accepted", 0);
    if (solo5_block_write(h, 0, wbuf, bs * 2) != SOLO5_R_EINVAL)
        return fail("multi-block write accepted", 0);
    if (solo5_block_read(h, UINT64_MAX - bs + 1, rbuf, bs) != SOLO5_R_EINVAL)
        return fail("read at an overflowing offset accepted", 0);
    if (solo5_block_read(h + 1, 0, rbuf, bs) != SOLO5_R_EINVAL)
        return fail("read from a bad handle accepted", 0);
    if (solo5_block_acquire("nosuchdevice", &h, &info) != SOLO5_R_EINVAL)
        return fail("acquired a device that does not exist", 0);

    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
