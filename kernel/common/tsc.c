/*
 * tsc.c: the clocks: monotonic from the TSC, wall from one reading of the
 * host's clock advanced by the monotonic clock, so reading either costs no
 * exit. Where that reading costs an exit (ukvm's WALLTIME), it is taken the
 * first time the wall clock is read: most unikernels' boots never read it.
 *
 * ns = (tsc - base) * mult >> 32, with mult = 10^9 * 2^32 / freq computed
 * once: no division on the clock path, and the 64x64->128 multiply is a
 * single instruction (no SSE, no libgcc call).
 */

#include "kernel.h"

static BOOT_VAR uint64_t base;
static BOOT_VAR uint64_t mult;
static BOOT_VAR uint64_t wall_at_boot;
static BOOT_VAR uint64_t (*wall_source)(void);

void tsc_init(uint64_t freq_hz)
{
    assert(freq_hz >= 1000000); /* a TSC slower than 1 MHz is a bug */
    mult = (1000000000ULL << 32) / freq_hz;
    base = cpu_rdtsc();
}

uint64_t tsc_monotonic(void)
{
    uint64_t delta = cpu_rdtsc() - base;
    return (uint64_t)(((unsigned __int128)delta * mult) >> 32);
}

void tsc_set_wall(uint64_t wall_ns)
{
    uint64_t now = tsc_monotonic();
    wall_at_boot = wall_ns > now ? wall_ns - now : 0;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return tsc_monotonic();
}

void tsc_set_wall_source(uint64_t (*read_wall_ns)(void))
{
    wall_source = read_wall_ns;
}

solo5_time_t solo5_clock_wall(void)
{
    if (wall_source) {
        uint64_t (*read_wall_ns)(void) = wall_source;
        wall_source = NULL;
        tsc_set_wall(read_wall_ns());
    }
    return wall_at_boot + tsc_monotonic();
}
