/* log.c: the console, and kernel messages filtered by level. */

#include "kernel.h"

enum log_level log_level = LOG_INFO;

/*
 * During boot, kernel messages are gathered here and written in one go when
 * the application starts: on ukvm every console write is an exit, and the
 * banner and memory map would otherwise cost ten of them.
 */
static char boot_buf[2048];
static BOOT_VAR size_t boot_len;
static BOOT_VAR bool buffering;
static BOOT_VAR bool backend_gathers;

void console_gathered_by_backend(void)
{
    backend_gathers = true;
}

void console_buffer_boot(void)
{
    buffering = !backend_gathers;
}

void console_flush(void)
{
    buffering = false;
    if (boot_len) {
        platform_puts(boot_buf, boot_len);
        boot_len = 0;
    }
}

void console_write(const char *buf, size_t n)
{
    if (buffering && n <= sizeof boot_buf - boot_len) {
        memcpy(boot_buf + boot_len, buf, n);
        boot_len += n;
        return;
    }
    console_flush();
    platform_puts(buf, n);
}

void solo5_console_write(const char *buf, size_t size)
{
    console_write(buf, size);
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
    console_write(buf, len);
}
