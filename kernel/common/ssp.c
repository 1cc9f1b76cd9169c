/* ssp.c: stack protector support (-fstack-protector-strong). */

#include "kernel.h"

/* The canary. Its initial value matters only until ssp_init(). */
uintptr_t __stack_chk_guard = 0x00000aff0a0d0000UL;

void __stack_chk_fail(void) NORETURN;
void __stack_chk_fail(void)
{
    PANIC("stack smashing detected");
}

static bool cpu_has_rdrand(void)
{
    uint32_t r[4];
    cpu_cpuid(1, 0, r);
    return r[2] & (1U << 30);
}

/*
 * Mixes the monitor's entropy (when it gives some), else RDRAND (when the
 * CPU has it), with the TSC. The low byte stays 0 so that string overflows
 * (which stop at NUL) cannot reproduce the canary.
 */
__attribute__((no_stack_protector)) void ssp_init(bool have_entropy, uint64_t entropy)
{
    uint64_t r = entropy;
    if (!have_entropy && cpu_has_rdrand()) {
        for (int tries = 0; tries < 10; tries++) {
            uint8_t ok;
            __asm__ __volatile__("rdrand %0; setc %1" : "=r"(r), "=qm"(ok));
            if (ok)
                break;
        }
    }
    uint64_t guard = r ^ (cpu_rdtsc() * 0x9e3779b97f4a7c15ULL);
    __stack_chk_guard = guard & ~0xffUL;
}
