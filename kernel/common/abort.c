/*
 * abort.c: exit, abort, assertions and panics.
 *
 * The fatal paths deliberately avoid printf(): they may run on a broken
 * stack or from a trap handler, so they only concatenate constant strings.
 */

#include "kernel.h"

/* Unbuffered, after whatever boot messages are still buffered. */
static void puts_str(const char *s)
{
    console_flush();
    platform_puts(s, strlen(s));
}

void solo5_exit(int status)
{
    log(LOG_INFO, "solo5_exit(%d) called\n", status);
    console_flush();
    platform_exit(status, NULL);
}

/*
 * The aborting paths record where they were called from first, before any
 * call clobbers a register, in the fault report they hand the monitor (a
 * core file then shows the caller's stack).
 */
void solo5_abort(void)
{
    struct ukvm_fault_cookie *c = fault_cookie(UKVM_FAULT_ABORT, 0);
    cpu_save_state(c);
    log(LOG_ERROR, "solo5_abort() called\n");
    console_flush();
    platform_exit(SOLO5_EXIT_ABORT, c);
}

void _abort_with(const char *file, const char *line, const char *msg,
        const struct ukvm_fault_cookie *cookie)
{
    puts_str("Solo5: ABORT: ");
    puts_str(file);
    puts_str(":");
    puts_str(line);
    puts_str(": ");
    puts_str(msg);
    puts_str("\n");
    platform_exit(SOLO5_EXIT_ABORT, cookie);
}

void _abort(const char *file, const char *line, const char *msg)
{
    struct ukvm_fault_cookie *c = fault_cookie(UKVM_FAULT_ABORT, 0);
    cpu_save_state(c);
    _abort_with(file, line, msg, c);
}

void _assert_fail(const char *file, const char *line, const char *expr)
{
    struct ukvm_fault_cookie *c = fault_cookie(UKVM_FAULT_ABORT, 0);
    cpu_save_state(c);
    puts_str("Solo5: ABORT: ");
    puts_str(file);
    puts_str(":");
    puts_str(line);
    puts_str(": Assertion `");
    puts_str(expr);
    puts_str("' failed\n");
    platform_exit(SOLO5_EXIT_ABORT, c);
}
