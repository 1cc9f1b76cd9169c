/*
 * multiboot.c: reads the multiboot (v1) information the loader left us.
 *
 * QEMU places the information structure and the command line right after
 * our .bss, where mem_alloc() later puts device memory, so everything
 * needed is copied out here, first.
 */

#include "virtio.h"

#define MB_INFO_MEMORY   (1U << 0)  /* mem_lower, mem_upper valid */
#define MB_INFO_CMDLINE  (1U << 2)
#define MB_INFO_MMAP     (1U << 6)  /* mmap_length, mmap_addr valid */
#define MB_MMAP_RAM      1

#define KERNEL_BASE      0x100000ULL
#define MEM_MAX          (4ULL << 30) /* the boot page tables map 4 GiB */

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower;     /* KiB below 1 MiB */
    uint32_t mem_upper;     /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
    uint32_t size;          /* of the rest of the entry, not counting this */
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed));

static char cmdline[UKVM_CMDLINE_SIZE];

/* The top of the RAM region holding the image, from the memory map. */
static uint64_t mmap_top(const struct mb_info *mbi)
{
    uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
    while (p + sizeof(struct mb_mmap_entry) <= end) {
        const struct mb_mmap_entry *e = (const void *)(uintptr_t)p;
        if (e->type == MB_MMAP_RAM && e->addr <= KERNEL_BASE &&
                e->len > KERNEL_BASE - e->addr)
            return e->addr + e->len;
        p += (uint64_t)e->size + sizeof e->size;
    }
    return 0;
}

/* The loader's command line starts with the kernel's own path (QEMU and
 * GRUB both do this): drop that first word. */
static void copy_cmdline(const char *src)
{
    while (*src && !isspace(*src))
        src++;
    while (*src && isspace(*src))
        src++;
    copy_string(cmdline, src, sizeof cmdline);
}

void multiboot_parse(uint32_t mbi_addr, struct multiboot_facts *facts)
{
    const struct mb_info *mbi = (const void *)(uintptr_t)mbi_addr;
    uint64_t top = 0;
    if (mbi->flags & MB_INFO_MMAP)
        top = mmap_top(mbi);
    if (!top && (mbi->flags & MB_INFO_MEMORY))
        top = KERNEL_BASE + (uint64_t)mbi->mem_upper * 1024;
    if (!top) {
        log(LOG_ERROR, "virtio: the loader gave no memory size\n");
        platform_exit(SOLO5_EXIT_FAILURE, NULL);
    }
    if (top > MEM_MAX)
        top = MEM_MAX;
    facts->mem_size = ALIGN_DOWN(top, PAGE_SIZE);

    if ((mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline)
        copy_cmdline((const char *)(uintptr_t)mbi->cmdline);
    facts->cmdline = cmdline;
}
