/*
 * console.c: the console on ukvm. Each write is a PUTS hypercall, unless
 * the monitor drains the console buffer (UKVM_HOST_FEATURE_CONSOLE_BUFFER,
 * ukvm_ext.h): then text is appended to the buffer the console note names,
 * and the monitor writes it out at the guest's next exit of any kind.
 */

#include "ukvm.h"

/* Named by the console note (extensions.S); its size is in ukvm.h. */
struct ukvm_console_storage ukvm_console_buffer
    __attribute__((aligned(64), section(".bss.boot.console")));

static BOOT_VAR bool buffered;

void console_init(uint32_t features)
{
    buffered = features & UKVM_HOST_FEATURE_CONSOLE_BUFFER;
    if (buffered)
        console_gathered_by_backend();
}

/*
 * The monitor zeroes len while the guest is stopped in an exit, so len is
 * read afresh each time (volatile). Text that does not fit goes by PUTS:
 * the monitor writes the buffer before it, so the order holds.
 */
void platform_puts(const char *buf, size_t n)
{
    if (buffered) {
        volatile uint32_t *len = &ukvm_console_buffer.header.len;
        uint32_t used = *len;
        if (used <= sizeof ukvm_console_buffer.data &&
                n <= sizeof ukvm_console_buffer.data - used) {
            memcpy(ukvm_console_buffer.data + used, buf, n);
            *len = used + (uint32_t)n;
            return;
        }
    }
    struct ukvm_hc_puts arg = { .data = (uintptr_t)buf, .len = n };
    ukvm_hypercall(UKVM_HYPERCALL_PUTS, &arg);
}
