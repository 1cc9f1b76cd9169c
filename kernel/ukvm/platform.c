/* platform.c: console and exit for ukvm, one hypercall each. */

#include "ukvm.h"

void platform_puts(const char *buf, size_t n)
{
    struct ukvm_hc_puts arg = { .data = (uintptr_t)buf, .len = n };
    ukvm_hypercall(UKVM_HYPERCALL_PUTS, &arg);
}

void platform_exit(int status, const void *cookie)
{
    net_flush(); /* frames the application wrote must not be lost */
    struct ukvm_hc_halt arg = {
        .cookie = (uintptr_t)cookie,
        .exit_status = status,
    };
    ukvm_hypercall(UKVM_HYPERCALL_HALT, &arg);
    for (;;)
        ; /* the monitor does not return from HALT */
}

