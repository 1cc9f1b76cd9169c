/*
 * tsc.c: a monotonic clock from the TSC.
 *
 * ns = (tsc - base) * mult >> 32, with mult = 10^9 * 2^32 / freq computed
 * once: no division on the clock path, and the 64x64->128 multiply is a
 * single instruction (no SSE, no libgcc call).
 */

#include "kernel.h"

static uint64_t freq;
static uint64_t base;
static uint64_t mult;

void tsc_init(uint64_t freq_hz)
{
    assert(freq_hz >= 1000000); /* a TSC slower than 1 MHz is a bug */
    freq = freq_hz;
    mult = (1000000000ULL << 32) / freq_hz;
    base = cpu_rdtsc();
}

uint64_t tsc_freq(void)
{
    return freq;
}

uint64_t tsc_monotonic(void)
{
    uint64_t delta = cpu_rdtsc() - base;
    return (uint64_t)(((unsigned __int128)delta * mult) >> 32);
}
