/* start.c: the boot sequence common to every backend, after platform setup. */

#include "kernel.h"

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[];

/* The Solo5 logo, unprefixed, in one console write. */
static void banner(void)
{
    static const char logo[] =
        "            |      ___|\n"
        "  __|  _ \\  |  _ \\ __ \\\n"
        "\\__ \\ (   | | (   |  ) |\n"
        "____/\\___/ _|\\___/____/\n";
    if (log_level >= LOG_INFO)
        console_write(logo, sizeof logo - 1);
}

static void print_memory_map(const struct kernel_boot *boot,
        const struct solo5_start_info *si)
{
    log(LOG_INFO, "Memory map: %lu MB addressable:\n",
            (unsigned long)(boot->mem_size >> 20));
    log(LOG_INFO, "  reserved @ (0x0 - 0x%lx)\n",
            (unsigned long)((uintptr_t)__text_start - 1));
    log(LOG_INFO, "      text @ (0x%lx - 0x%lx)\n",
            (unsigned long)(uintptr_t)__text_start,
            (unsigned long)((uintptr_t)__text_end - 1));
    log(LOG_INFO, "    rodata @ (0x%lx - 0x%lx)\n",
            (unsigned long)(uintptr_t)__rodata_start,
            (unsigned long)((uintptr_t)__rodata_end - 1));
    log(LOG_INFO, "      data @ (0x%lx - 0x%lx)\n",
            (unsigned long)(uintptr_t)__data_start,
            (unsigned long)((uintptr_t)__bss_end - 1));
    log(LOG_INFO, "      heap >= 0x%lx < stack < 0x%lx\n",
            (unsigned long)si->heap_start, (unsigned long)boot->mem_size);
}

void kernel_main(const struct kernel_boot *boot)
{
    static BOOT_VAR struct solo5_start_info si;

    console_buffer_boot();

    /* Options first: --solo5:quiet must silence the banner too. */
    si.cmdline = cmdline_parse((char *)boot->cmdline);

    /*
     * The heap runs from the end of the image to below the stack, which
     * grows down from the top of memory.
     */
    uint64_t heap_start = ALIGN_UP(boot->kernel_end, PAGE_SIZE);
    uint64_t top = ALIGN_DOWN(boot->mem_size, PAGE_SIZE);
    if (top < UKVM_STACK_RESERVE || top - UKVM_STACK_RESERVE < heap_start) {
        /* The monitor gave less memory than the image and a 1 MiB stack. */
        console_flush();
        log(LOG_ERROR, "Not enough memory: the image ends at 0x%lx, the stack "
                "needs 1 MiB below 0x%lx\n", (unsigned long)heap_start,
                (unsigned long)top);
        solo5_abort();
    }
    uint64_t heap_end = top - UKVM_STACK_RESERVE;
    si.heap_start = heap_start;
    si.heap_size = heap_end - heap_start;

    banner();
    log(LOG_INFO, "Bindings version %s\n", SOLO5_VERSION);
    print_memory_map(boot, &si);

    console_flush();
    solo5_exit(solo5_app_main(&si));
}
