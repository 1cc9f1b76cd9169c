/*
 * memtouch [wait]: writes a pattern into every page of the heap (all the
 * guest memory the kernel hands the application), reads it back, and
 * prints how much it touched; with "wait", it then yields forever, so that
 * a test can read the container's memory figures with the guest's memory
 * all resident. What ukvm-oci's memory policy is tested with: a guest that
 * uses all its memory must not get its container OOM-killed.
 */

#include "../test.h"

#define PAGE 4096UL

int solo5_app_main(const struct solo5_start_info *si)
{
    uint8_t *heap = (uint8_t *)si->heap_start;
    size_t pages = si->heap_size / PAGE;
    for (size_t i = 0; i < pages; i++)
        *(volatile uint64_t *)(heap + i * PAGE) = i ^ 0x5a5a5a5a5a5a5a5aUL;
    for (size_t i = 0; i < pages; i++) {
        if (*(volatile uint64_t *)(heap + i * PAGE) != (i ^ 0x5a5a5a5a5a5a5a5aUL)) {
            printf("FAILURE: page %lu lost its pattern\n", (unsigned long)i);
            return SOLO5_EXIT_FAILURE;
        }
    }
    printf("memtouch: touched %lu MiB\n", (unsigned long)(pages * PAGE >> 20));
    if (strcmp(si->cmdline, "wait") != 0)
        return SOLO5_EXIT_SUCCESS;
    puts("memtouch: waiting\n");
    for (;;)
        solo5_yield(solo5_clock_monotonic() + 1000000000ULL, NULL);
}
