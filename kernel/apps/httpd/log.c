/*
 * log.c: console logging at a chosen level, and the small formatter the
 * stack uses for log lines and HTTP headers (no libc here).
 */

#include <stdarg.h>
#include "httpd.h"

int hlog_level = LOG_INFO;
struct stats stats;

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, unsigned width,
        char pad, bool neg)
{
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (width > n) {
        put(o, pad);
        width--;
    }
    while (n)
        put(o, tmp[--n]);
}

static void vfmt(struct out *o, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            put(o, *f);
            continue;
        }
        f++;
        char pad = ' ';
        unsigned width = 0;
        if (*f == '0')
            pad = '0';
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (unsigned)(*f++ - '0');
        bool lng = false;
        while (*f == 'l' || *f == 'z') {
            lng = true;
            f++;
        }
        switch (*f) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n = strlen(s);
            for (; width > n; width--)
                put(o, ' ');
            while (*s)
                put(o, *s++);
            break;
        }
        case 'c':
            put(o, (char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(o, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, pad,
                    v < 0);
            break;
        }
        case 'u':
        case 'x':
            put_num(o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
                    *f == 'u' ? 10 : 16, width, pad, false);
            break;
        case '\0':
            return;
        default:
            put(o, *f);
        }
    }
}

size_t fmt(char *buf, size_t size, const char *f, ...)
{
    struct out o = { buf, size, 0 };
    va_list ap;
    va_start(ap, f);
    vfmt(&o, f, ap);
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len < size ? o.len : size - 1;
}

void hlog(int level, const char *f, ...)
{
    if (level > hlog_level)
        return;
    static const char *const names[] = { "error", "warn", "info", "debug" };
    char line[256];
    struct out o = { line, sizeof line, 0 };
    const char *p = "httpd: ";
    while (*p)
        put(&o, *p++);
    if (level != LOG_INFO) {
        for (p = names[level]; *p; p++)
            put(&o, *p);
        put(&o, ':');
        put(&o, ' ');
    }
    va_list ap;
    va_start(ap, f);
    vfmt(&o, f, ap);
    va_end(ap);
    size_t n = o.len < sizeof line ? o.len : sizeof line - 1;
    if (n && line[n - 1] != '\n' && n < sizeof line)
        line[n++] = '\n';
    plat_console(line, n);
}

const char *ip_str(uint32_t ip, char buf[16])
{
    fmt(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
            ip & 0xff);
    return buf;
}
