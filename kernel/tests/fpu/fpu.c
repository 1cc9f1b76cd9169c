/*
 * fpu: SSE works. Built with SSE enabled (APP_FPU in the Makefile): packed
 * single-precision arithmetic and a double-precision square root, checked
 * against exact results.
 */

#include "test.h"

typedef float v4sf __attribute__((vector_size(16)));

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    volatile v4sf a = { 1.5f, 2.5f, 3.5f, 4.5f };
    volatile v4sf b = { 2.0f, 4.0f, 8.0f, 16.0f };
    v4sf c = a * b + a; /* mulps, addps */
    const float want[4] = { 4.5f, 12.5f, 31.5f, 76.5f };
    for (int i = 0; i < 4; i++) {
        if (c[i] != want[i]) {
            puts("FAILURE: packed float arithmetic\n");
            return SOLO5_EXIT_FAILURE;
        }
    }
    volatile double x = 2.25;
    double r;
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"((double)x));
    if (r != 1.5) {
        puts("FAILURE: sqrtsd\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
