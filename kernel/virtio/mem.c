/*
 * mem.c: boot-time allocation of device memory (virtqueues, buffers).
 *
 * A bump allocator between the end of the image and the heap: whatever it
 * hands out is never freed, and kernel_main() starts the application's heap
 * at mem_end(). Allocations are page aligned because legacy virtio wants
 * its rings at a page frame number.
 */

#include "virtio.h"

static uint64_t next;
static uint64_t limit;

void mem_init(uint64_t start, uint64_t mem_size)
{
    next = ALIGN_UP(start, PAGE_SIZE);
    limit = ALIGN_DOWN(mem_size, PAGE_SIZE) - UKVM_STACK_RESERVE;
}

void *mem_alloc(size_t size)
{
    uint64_t bytes = ALIGN_UP(size, PAGE_SIZE);
    if (next > limit || bytes > limit - next) {
        log(LOG_ERROR, "virtio: out of memory allocating %lu bytes for "
                "devices (give QEMU more memory: -m)\n", (unsigned long)size);
        platform_exit(SOLO5_EXIT_FAILURE, NULL);
    }
    void *p = (void *)(uintptr_t)next;
    next += bytes;
    memset(p, 0, bytes);
    return p;
}

uint64_t mem_end(void)
{
    return next;
}
