/* platform.c: exit and debug traps for ukvm, one hypercall each. */

#include "ukvm.h"

static BOOT_VAR bool debug_traps; /* the monitor's debugger takes #DB and #BP */

void debug_init(uint32_t features)
{
    debug_traps = features & UKVM_HOST_FEATURE_DEBUG;
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


/*
 * HALT with the trap's report, without flushing network frames: the
 * monitor's debugger resumes the trapped context (ukvm_ext.h), and the
 * guest must run on as if nothing happened.
 */
void platform_debug_trap(const struct ukvm_fault_cookie *cookie)
{
    if (!debug_traps)
        return;
    struct ukvm_hc_halt arg = {
        .cookie = (uintptr_t)cookie,
        .exit_status = SOLO5_EXIT_ABORT,
    };
    ukvm_hypercall(UKVM_HYPERCALL_HALT, &arg);
    for (;;)
        ; /* the monitor resumes the trapped context, never here */
}
