/* globals: initialised data, zeroed bss and read-only data load correctly. */

#include "test.h"

static int data_word = 0x12345678;
static char data_str[] = "initialised data";
static uint64_t bss_words[512];
static const char rodata_str[] = "read-only data";

static int check(void)
{
    if (data_word != 0x12345678)
        return 1;
    if (data_str[0] != 'i' || data_str[sizeof data_str - 2] != 'a')
        return 2;
    for (size_t i = 0; i < sizeof bss_words / sizeof bss_words[0]; i++)
        if (bss_words[i])
            return 3;
    if (rodata_str[0] != 'r' || strlen(rodata_str) != 14)
        return 4;
    return 0;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    int bad = check();
    if (bad) {
        printf("FAILURE: check %d\n", bad);
        return SOLO5_EXIT_FAILURE;
    }
    /* Writable means writable. */
    data_word++;
    bss_words[511] = 7;
    if (*(volatile int *)&data_word != 0x12345679 ||
            *(volatile uint64_t *)&bss_words[511] != 7) {
        puts("FAILURE: writes to data/bss\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
