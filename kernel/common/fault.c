/*
 * fault.c: the fault report (include/ukvm_ext.h) that a fatal ending hands
 * the monitor as HALT's cookie, so that it can write a core file or stop in
 * its debugger.
 *
 * One static report: a fatal ending happens once, and a cookie on the stack
 * could lie within UKVM_HALT_COOKIE_MAX bytes of the top of memory, which a
 * monitor rightly refuses.
 */

#include "kernel.h"

_Static_assert(UKVM_FAULT_STATUS == SOLO5_EXIT_ABORT, "a fault ends with 255");

static struct ukvm_fault_cookie report;

struct ukvm_fault_cookie *fault_cookie(uint32_t kind, uint32_t vector)
{
    memset(&report, 0, sizeof report);
    report.magic = UKVM_FAULT_MAGIC;
    report.version = UKVM_FAULT_VERSION;
    report.kind = kind;
    report.vector = vector;
    return &report;
}
