/*
 * badcalls: a hostile guest. Issues raw hypercalls (bypassing the kernel's
 * own checks) with arguments the monitor must refuse. ukvm-only.
 *
 *   badcalls einval   bad handles, buffers outside memory, bad offsets and
 *                     lengths: each must return EINVAL; prints SUCCESS
 *   badcalls puts     PUTS of a buffer outside guest memory: a guest fault
 *   badcalls struct   a hypercall whose argument struct is outside memory
 *   badcalls port     an `out` to a port that is no hypercall
 *   badcalls wrap     PUTS whose address + length wraps around 2^64
 *   badcalls console  a console buffer whose length is beyond its size
 *                     (when the monitor drains it: ukvm_ext.h)
 */

#include "test.h"
#include "ukvm_abi.h"

static void hypercall(unsigned nr, uint32_t arg)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(arg),
            "d"((uint16_t)UKVM_HYPERCALL_PIO(nr)) : "memory");
}

static int strcmp_(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a - *b;
}

static uint8_t buf[512];

/* The kernel's console buffer (kernel/ukvm/console.c): its first word is
 * the length the monitor reads at every exit. */
extern uint32_t ukvm_console_buffer[];
static int failures;

static void expect(const char *what, int32_t got)
{
    if (got != UKVM_EINVAL) {
        printf("FAILURE: %s returned %d, not EINVAL\n", what, got);
        failures++;
    }
}

static int32_t block_read(uint64_t handle, uint64_t offset, uint64_t data,
        uint64_t len)
{
    struct ukvm_hc_block_read a = { handle, offset, data, len, -1, 0 };
    hypercall(UKVM_HYPERCALL_BLOCK_READ, (uint32_t)(uintptr_t)&a);
    return a.ret;
}

static int32_t block_write(uint64_t handle, uint64_t offset, uint64_t data,
        uint64_t len)
{
    struct ukvm_hc_block_write a = { handle, offset, data, len, -1, 0 };
    hypercall(UKVM_HYPERCALL_BLOCK_WRITE, (uint32_t)(uintptr_t)&a);
    return a.ret;
}

static int einval(void)
{
    solo5_handle_t h;
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return SOLO5_EXIT_FAILURE;
    uint64_t bs = info.block_size, data = (uintptr_t)buf;

    expect("read, reserved handle 0", block_read(0, 0, data, bs));
    expect("read, handle past the manifest", block_read(63, 0, data, bs));
    expect("read, huge handle", block_read(UINT64_MAX, 0, data, bs));
    expect("read, buffer outside memory", block_read(h, 0, 0xfffff000ULL << 8, bs));
    expect("read, buffer wrapping around", block_read(h, 0, UINT64_MAX - 10, bs));
    expect("write, buffer in the NULL page", block_write(h, 0, 0, bs));
    expect("read, offset past the end", block_read(h, info.capacity, data, bs));
    expect("read, offset + len overflowing", block_read(h, UINT64_MAX - bs + 1, data, bs));
    expect("write, misaligned offset", block_write(h, 1, data, bs));
    expect("write, zero length", block_write(h, 0, data, 0));
    expect("write, partial block", block_write(h, 0, data, bs - 1));

    struct ukvm_hc_net_write nw = { h, data, 60, -1, 0 };
    hypercall(UKVM_HYPERCALL_NET_WRITE, (uint32_t)(uintptr_t)&nw);
    expect("net write to a block device", nw.ret);
    struct ukvm_hc_net_read nr = { h, data, sizeof buf, -1, 0 };
    hypercall(UKVM_HYPERCALL_NET_READ, (uint32_t)(uintptr_t)&nr);
    expect("net read from a block device", nr.ret);

    /* The monitor survived and the device still works. */
    if (block_write(h, 0, data, bs) != UKVM_OK || block_read(h, 0, data, bs) != UKVM_OK) {
        puts("FAILURE: valid requests fail after the bad ones\n");
        failures++;
    }
    if (failures)
        return SOLO5_EXIT_FAILURE;
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *mode = si->cmdline;
    if (!strcmp_(mode, "einval"))
        return einval();
    puts("badcalls: now misbehaving\n");
    if (!strcmp_(mode, "puts")) {
        struct ukvm_hc_puts a = { 0x7ffff0000000ULL, 16 };
        hypercall(UKVM_HYPERCALL_PUTS, (uint32_t)(uintptr_t)&a);
    } else if (!strcmp_(mode, "wrap")) {
        struct ukvm_hc_puts a = { (uintptr_t)buf, UINT64_MAX - 100 };
        hypercall(UKVM_HYPERCALL_PUTS, (uint32_t)(uintptr_t)&a);
    } else if (!strcmp_(mode, "struct")) {
        hypercall(UKVM_HYPERCALL_WALLTIME, 0xfffffff8U);
    } else if (!strcmp_(mode, "console")) {
        ukvm_console_buffer[0] = 0xffffffffU;
        hypercall(UKVM_HYPERCALL_WALLTIME, (uint32_t)(uintptr_t)buf);
    } else if (!strcmp_(mode, "port")) {
        hypercall(UKVM_HYPERCALL_MAX, (uint32_t)(uintptr_t)buf);
    } else {
        puts("usage: badcalls einval|puts|wrap|struct|port|console\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts("FAILURE: the monitor let that pass\n");
    return SOLO5_EXIT_FAILURE;
}
