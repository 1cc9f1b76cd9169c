/*
 * platform.c: exit through QEMU's isa-debug-exit device.
 *
 * isa-debug-exit (-device isa-debug-exit,iobase=0xf4,iosize=0x04) makes
 * QEMU exit at once with status (value << 1) | 1: always odd, so only 128
 * process statuses can carry a guest status. QEMU itself exits 1 when it
 * fails to start, so a guest value of 0 (QEMU status 1) is never used, and
 * a failing QEMU cannot pass for a successful guest:
 *
 *   guest status s        value written    QEMU exit status
 *   0 <= s <= 125         s + 1            2s + 3  (3 .. 253)
 *   anything else (255)   127              255
 *
 * scripts/virtio-run maps back: QEMU status q odd and 3 <= q <= 253 gives
 * (q - 3) / 2, 255 gives 255 (abort), 1 is a QEMU failure, 0 means QEMU
 * stopped without the device (e.g. a triple fault under -no-reboot).
 */

#include "virtio.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_MAX_STATUS 125
#define DEBUG_EXIT_ABNORMAL 127

void platform_exit(int status, const void *cookie)
{
    virtio_net_flush();
    intr_report();
    uint32_t value = (status >= 0 && status <= DEBUG_EXIT_MAX_STATUS) ?
        (uint32_t)status + 1 : DEBUG_EXIT_ABNORMAL;
    outl(DEBUG_EXIT_PORT, value);

    /* No isa-debug-exit (another VMM, real hardware): stop here. */
    static const char msg[] = "Solo5: halted\n";
    platform_puts(msg, sizeof msg - 1);
    for (;;)
        __asm__ __volatile__("cli; hlt");
}

/* Never called: under QEMU the kernel runs at CPL 0, where WRMSR works. */
solo5_result_t platform_set_fs_base(uintptr_t base)
{
    (void)base;
    return SOLO5_R_EUNSPEC;
}

/* No debugger takes traps under QEMU: #DB and #BP are fatal like any other. */
void platform_debug_trap(const struct ukvm_fault_cookie *cookie)
{
    (void)cookie;
}
