/*
 * test.h: helpers for the test unikernels.
 *
 * Applications use only solo5.h; the tests also borrow the kernel's printf
 * (declared here) to keep them short.
 */
#ifndef TEST_H
#define TEST_H

#include "solo5.h"

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline void puts(const char *s)
{
    solo5_console_write(s, strlen(s));
}

/* Parses a decimal number at the start of s; def if there is none. */
static inline uint64_t parse_u64(const char *s, uint64_t def)
{
    uint64_t v = 0;
    int digits = 0;
    while (*s == ' ')
        s++;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        v = v * 10 + (uint64_t)(*s - '0');
    return digits ? v : def;
}

/* Prints "what: n/d" as a decimal with two fractional digits. */
static inline void print_ratio(const char *what, uint64_t n, uint64_t d)
{
    uint64_t hundredths = d ? (n * 100 + d / 2) / d : 0;
    printf("%s: %lu.%02lu\n", what, (unsigned long)(hundredths / 100),
            (unsigned long)(hundredths % 100));
}

#endif /* TEST_H */
