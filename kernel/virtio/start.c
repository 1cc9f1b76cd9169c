/*
 * start.c: the virtio boot sequence, from boot/multiboot.S to kernel_main().
 */

#include "virtio.h"

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_LEGACY_MIN 0x1000    /* transitional device IDs */
#define VIRTIO_PCI_LEGACY_MAX 0x103f

/* The manifest note (scripts/mftgen): header, name "Solo5\0\0\0", then the
 * descriptor: 4 bytes of padding and struct mft. */
extern const uint8_t solo5_manifest_note[];
#define NOTE_HDR_SIZE   12
#define NOTE_NAME_SIZE  8
#define NOTE_DESC_PAD   4

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
 * would. */
static void manifest_load(void)
{
    const uint32_t *hdr = (const uint32_t *)solo5_manifest_note;
    uint32_t namesz = hdr[0], descsz = hdr[1], type = hdr[2];
    const char *name = (const char *)solo5_manifest_note + NOTE_HDR_SIZE;
    if (namesz != sizeof SOLO5_NOTE_NAME || type != SOLO5_NOTE_MANIFEST ||
            memcmp(name, SOLO5_NOTE_NAME, sizeof SOLO5_NOTE_NAME) != 0 ||
            descsz < NOTE_DESC_PAD + sizeof(struct mft))
        fail("the manifest note is malformed");
    const struct mft *m = (const struct mft *)(solo5_manifest_note +
            NOTE_HDR_SIZE + NOTE_NAME_SIZE + NOTE_DESC_PAD);
    if (m->version != MFT_VERSION || m->entries < 1 ||
            m->entries > MFT_MAX_ENTRIES ||
            descsz != NOTE_DESC_PAD + sizeof(struct mft) +
                m->entries * sizeof(struct mft_entry))
        fail("the manifest is malformed or of another version");
    memcpy(&manifest.m, m, sizeof(struct mft) +
            m->entries * sizeof(struct mft_entry));
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
 * (KERNEL_STACK_RESERVE below mem_size), and enters it. */
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

    ssp_init();                 /* before any protected function returns */
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
