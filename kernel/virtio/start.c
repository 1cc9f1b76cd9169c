/*
 * start.c: the virtio boot sequence, from boot/multiboot.S to kernel_main().
 */

#include "virtio.h"

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_LEGACY_MIN 0x1000    /* transitional device IDs */
#define VIRTIO_PCI_LEGACY_MAX 0x103f

/* Our own manifest, bracketed by the labels of MFT_NOTE_BEGIN/END
 * (mft_abi.h) in the note that solo5-elftool gen-manifest generates. */
extern const struct mft solo5_mft;
extern const uint8_t solo5_mft_end[];

extern char __bss_end[];

/* Our copy of the manifest: the note is read-only, attachment is noted here. */
static union {
    struct mft m;
    uint8_t bytes[sizeof(struct mft) +
        MFT_MAX_ENTRIES * sizeof(struct mft_entry)];
} manifest;

static NORETURN void fail(const char *why)
{
    log(LOG_ERROR, "virtio: %s\n", why);
    platform_exit(SOLO5_EXIT_FAILURE, NULL);
}

/* Copies the manifest out of our own ELF note, checking it as a monitor
 * would: no monitor has checked it for us. */
static void manifest_load(void)
{
    const struct mft *m = &solo5_mft;
    size_t size = (size_t)(solo5_mft_end - (const uint8_t *)m);
    if (size < sizeof(struct mft) || m->version != MFT_VERSION ||
            m->entries < 1 || m->entries > MFT_MAX_ENTRIES ||
            size != mft_size(m->entries))
        fail("the manifest is malformed or of another version");
    memcpy(&manifest.m, m, size);
}

static void pci_found(const struct pci_dev *d)
{
    if (d->vendor != VIRTIO_PCI_VENDOR || d->device < VIRTIO_PCI_LEGACY_MIN ||
            d->device > VIRTIO_PCI_LEGACY_MAX)
        return;
    if (!virtio_net_probe(d))
        (void)virtio_blk_probe(d);
}

/* The n-th device of a type in the manifest gets the n-th such device in
 * PCI order (QEMU: the order of the -device options). As with a monitor,
 * every declared device must be there. */
static void devices_attach(void)
{
    unsigned next_net = 0, next_blk = 0;
    for (uint32_t i = 1; i < manifest.m.entries; i++) {
        struct mft_entry *e = &manifest.m.e[i];
        e->name[MFT_NAME_SIZE - 1] = '\0';
        switch (e->type) {
        case MFT_DEV_NET_BASIC:
            if (next_net == virtio_net_count()) {
                log(LOG_ERROR, "virtio: no virtio-net device left for '%s'\n",
                        e->name);
                platform_exit(SOLO5_EXIT_FAILURE, NULL);
            }
            virtio_net_attach(next_net++, e, i);
            break;
        case MFT_DEV_BLOCK_BASIC:
            if (next_blk == virtio_blk_count()) {
                log(LOG_ERROR, "virtio: no virtio-blk device left for '%s'\n",
                        e->name);
                platform_exit(SOLO5_EXIT_FAILURE, NULL);
            }
            virtio_blk_attach(next_blk++, e, i);
            break;
        default:
            log(LOG_ERROR, "virtio: device '%s' has unknown type %u\n",
                    e->name, e->type);
            platform_exit(SOLO5_EXIT_FAILURE, NULL);
        }
    }
}

/* Moves the stack to the top of memory, where kernel_main() expects it
 * (UKVM_STACK_RESERVE below mem_size), and enters it. */
static NORETURN void enter_kernel(const struct kernel_boot *boot)
{
    uint64_t top = ALIGN_DOWN(boot->mem_size, 16);
    __asm__ __volatile__(
        "movq %0, %%rsp\n\t"
        "xorl %%ebp, %%ebp\n\t"
        "call kernel_main"
        : : "r"(top), "D"(boot) : "memory");
    __builtin_unreachable();
}

/* Built without the stack protector: it sets the canary. */
__attribute__((no_stack_protector))
void virtio_start(uint32_t mbi)
{
    static struct kernel_boot boot;
    struct multiboot_facts mb;

    ssp_init(false, 0);                 /* before any protected function returns */
    serial_init();              /* the console, for every message below */
    cpu_init();                 /* our GDT, TSS and IDT: traps are reported */
    multiboot_parse(mbi, &mb);  /* before mem_alloc() reuses its memory */
    /* --solo5: options now, so that they apply to boot messages too; the
     * second pass in kernel_main() finds none left. */
    boot.cmdline = cmdline_parse((char *)mb.cmdline);
    mem_init((uintptr_t)__bss_end, mb.mem_size);
    clock_init();               /* TSC frequency, wall clock */
    intr_init();                /* PIC and PIT, for solo5_yield() */
    manifest_load();
    pci_enumerate(pci_found);   /* resets and sets up virtio devices */
    devices_attach();
    mft_init(&manifest.m);

    boot.mem_size = mb.mem_size;
    boot.kernel_end = mem_end();
    enter_kernel(&boot);
}
