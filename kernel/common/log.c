/* log.c: the console API and kernel messages filtered by level. */

#include "kernel.h"

enum log_level log_level = LOG_INFO;

void solo5_console_write(const char *buf, size_t size)
{
    platform_puts(buf, size);
}

/* Kernel messages are prefixed "Solo5: " like upstream's, in one write. */
void log(enum log_level level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char buf[512] = "Solo5: ";
    size_t prefix = 7;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + prefix, sizeof buf - prefix, fmt, ap);
    va_end(ap);
    size_t len = prefix + ((n < 0) ? 0 :
            ((size_t)n < sizeof buf - prefix ? (size_t)n : sizeof buf - prefix - 1));
    platform_puts(buf, len);
}
