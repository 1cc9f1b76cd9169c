/*
 * wx MODE: tries what W^X must stop, saying first what and where:
 *
 *   text     write to its own code          rodata   write to its read-only data
 *   data     call code copied into .data    heap     call code copied to the heap
 *   stack    call code copied to its stack
 *
 * Stopped, it never gets further: the kernel reports the page fault and
 * aborts, or the monitor ends the run. Not stopped, it says so and exits 3.
 */

#include "test.h"

/* Initialised, so that it lies in .data (writable, not executable). */
static uint8_t data_code[64] = { 0xcc };
static const uint8_t rodata_bytes[64] = { 1, 2, 3 };

/* The write, at a labelled instruction the tests find in the image. */
__attribute__((noinline)) static void write_byte(volatile uint8_t *p)
{
    __asm__ __volatile__(".globl wx_write\nwx_write: movb $0x90, (%0)" : : "r"(p) : "memory");
}

__attribute__((noinline)) static void victim(void)
{
    __asm__ __volatile__("" : : : "memory");
}

static int write_to(const char *what, volatile uint8_t *p)
{
    printf("wx: writing to %s at 0x%lx\n", what, (unsigned long)(uintptr_t)p);
    write_byte(p);
    printf("wx: wrote to %s: not stopped\n", what);
    return 3;
}

static int call(const char *what, uint8_t *p)
{
    p[0] = 0xc3; /* ret */
    printf("wx: calling %s at 0x%lx\n", what, (unsigned long)(uintptr_t)p);
    ((void (*)(void))(uintptr_t)p)();
    printf("wx: came back from %s: not stopped\n", what);
    return 3;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *mode = si->cmdline;
    uint8_t stack_code[64];
    if (!memcmp(mode, "text", 5))
        return write_to("text", (volatile uint8_t *)(uintptr_t)&victim);
    if (!memcmp(mode, "rodata", 7))
        return write_to("rodata", (volatile uint8_t *)(uintptr_t)rodata_bytes);
    if (!memcmp(mode, "data", 5))
        return call("data", data_code);
    if (!memcmp(mode, "heap", 5))
        return call("heap", (uint8_t *)si->heap_start);
    if (!memcmp(mode, "stack", 6)) {
        int r = call("stack", stack_code);
        __asm__ __volatile__("" : : "r"(stack_code) : "memory");
        return r;
    }
    puts("wx: MODE is text, rodata, data, heap or stack\n");
    return SOLO5_EXIT_FAILURE;
}
