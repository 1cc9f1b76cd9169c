/*
 * start.c: the ukvm entry point.
 *
 * The monitor enters _start in 64-bit mode with RDI = boot info and the
 * stack at the top of memory. On our monitor the image carries the CPL3
 * note and starts at CPL 3 with the descriptor tables in place; on any other
 * hvt monitor it starts at CPL 0 and builds them itself.
 */

#include "ukvm.h"

/* The boot info page is read-only; the command line is parsed in place. */
static char cmdline[UKVM_CMDLINE_SIZE] __attribute__((section(".bss.boot.cmdline")));

/* Defined by extensions.S; absent (address 0) in the base-ABI variants. */
extern const uint32_t ukvm_ext_features __attribute__((weak));

/* The host features of ours this kernel uses: offered by the monitor, and
 * allowed by the image (the base-ABI variants use none). */
__attribute__((no_stack_protector))
static uint32_t usable_features(const struct ukvm_boot_info *bi)
{
    uint32_t allowed = &ukvm_ext_features ? ukvm_ext_features : 0;
    return bi->host_features & allowed;
}

/* Built without the stack protector: it sets the canary. */
__attribute__((no_stack_protector, noreturn, used))
void _start(const struct ukvm_boot_info *bi)
{
    /*
     * Traps: at CPL 3 the monitor loaded IDTR with cpu_idt; fill it first,
     * so that a debugger's breakpoint or single step (which arrive as
     * traps at CPL 3) works from here on. cpu_fill_idt() has no stack
     * canary to check.
     */
    unsigned cpl = cpu_cpl();
    if (cpl == 3)
        cpu_fill_idt();

    /* Canary next, before any protected function returns (usable_features
     * is built without the protector), from the monitor's entropy when it
     * gives some (no CPUID: an exit under PVM). */
    uint32_t features = usable_features(bi);
    ssp_init(features & UKVM_HOST_FEATURE_ENTROPY, bi->entropy);

    if (cpl == 0)
        cpu_init();
    console_init(features);
    debug_init(features);
    tls_init(features);

    /* --solo5: options first, so that they apply to the messages below;
     * kernel_main()'s second pass finds none left. */
    const char *src = (const char *)(uintptr_t)bi->cmdline;
    if (src)
        copy_string(cmdline, src, sizeof cmdline);
    const char *args = cmdline_parse(cmdline);

    time_init(bi);
    mft_init((const struct mft *)(uintptr_t)bi->mft);
    /* After the manifest: NETIO only with a network device. */
    net_init(bi, features);
    block_init(features);

    struct kernel_boot boot = {
        .cmdline = args,
        .mem_size = bi->mem_size,
        .kernel_end = bi->kernel_end,
    };
    kernel_main(&boot);
}
