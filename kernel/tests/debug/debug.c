/*
 * debug: the unikernel the gdb tests drive. It prints a global that a
 * debugger changes (answer: 41 unless changed; the exit status says which)
 * and calls a function a debugger steps into. With "spin" it first spins
 * until a debugger sets `release`: something to interrupt.
 */

#include "test.h"

volatile int answer = 41;
volatile uint64_t counter;
volatile int release;

__attribute__((noipa)) static uint64_t add(uint64_t a, uint64_t b)
{
    return a + b;
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    if (streq(si->cmdline, "spin")) {
        uint64_t spins = 0;
        puts("debug: spinning\n");
        while (!release)
            spins++;
        printf("debug: released after %s spins\n", spins ? "some" : "no");
    }
    counter = add(counter, 1);
    printf("debug: answer=%d counter=%lu\n", answer, (unsigned long)counter);
    return answer == 42 ? SOLO5_EXIT_SUCCESS : 3;
}
