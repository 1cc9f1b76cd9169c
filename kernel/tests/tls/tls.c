/*
 * tls: solo5_set_tls_base() sets the FS base: %fs-relative loads then read
 * the block it points at. Works at CPL 3 on our monitor (WRFSBASE) and at
 * CPL 0 elsewhere (WRMSR).
 */

#include "test.h"

static uint64_t block_a[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
static uint64_t block_b[4] = { 0xaaaa, 0xbbbb, 0xcccc, 0xdddd };

static uint64_t fs_load(unsigned index)
{
    uint64_t v;
    __asm__ __volatile__("movq %%fs:(%1), %0" : "=r"(v) : "r"((uint64_t)index * 8));
    return v;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    if (solo5_set_tls_base((uintptr_t)block_a) != SOLO5_R_OK) {
        puts("FAILURE: solo5_set_tls_base\n");
        return SOLO5_EXIT_FAILURE;
    }
    if (fs_load(0) != 0x1111 || fs_load(3) != 0x4444) {
        puts("FAILURE: %fs does not point at block a\n");
        return SOLO5_EXIT_FAILURE;
    }
    if (solo5_set_tls_base((uintptr_t)block_b) != SOLO5_R_OK || fs_load(2) != 0xcccc) {
        puts("FAILURE: %fs does not point at block b\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
