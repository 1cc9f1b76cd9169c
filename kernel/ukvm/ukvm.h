/*
 * ukvm.h: the ukvm backend's internals (supersedes kernel/common/kernel.h).
 */
#ifndef UKVM_H
#define UKVM_H

/* Bytes of the console buffer (console.c); extensions.S names it in the
 * console note, so it is the one definition here assembly may include.
 * 2 KiB: a boot's messages, and room left on the same page for the
 * command line's first 1,280 bytes (ukvm.lds). */
#define UKVM_CONSOLE_SIZE 2048

#ifndef __ASSEMBLER__

#include "kernel.h"
#include "ukvm_abi.h"
#include "ukvm_ext.h"

/*
 * One hypercall: a single `outl` of the argument struct's address. Works at
 * CPL 0 and, with IOPL 3, at CPL 3. The struct lives on our stack or in our
 * data, both identity mapped below 4 GiB, so the 32-bit port value is its
 * guest-physical address.
 */
static inline void ukvm_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
            :
            : "a"((uint32_t)(uintptr_t)arg),
              "d"((uint16_t)UKVM_HYPERCALL_PIO(nr))
            : "memory");
}

/* platform.c: features = the usable host_features (start.c): whether the
 * monitor's debugger takes #DB and #BP. */
void debug_init(uint32_t features);

/* tls.c: features = the usable host_features (start.c): whether the
 * monitor sets the FS base for us (platform_set_fs_base). */
void tls_init(uint32_t features);

/* console.c: the buffer the console note names (extensions.S), and
 * features = the usable host_features (start.c): whether the monitor drains
 * it. */
struct ukvm_console_storage {
    struct ukvm_console_buffer header;
    char data[UKVM_CONSOLE_SIZE - UKVM_CONSOLE_HEADER];
};
extern struct ukvm_console_storage ukvm_console_buffer;
void console_init(uint32_t features);

/* time.c */
void time_init(const struct ukvm_boot_info *bi);

/* block.c: features = the usable host_features (start.c). */
void block_init(uint32_t features);

/* net.c */
void net_init(const struct ukvm_boot_info *bi, uint32_t features);
/* True when network I/O goes through NETIO batches (see net.c). */
bool net_batched(void);
/* solo5_yield() for the batched path. */
void net_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);
/* Hands queued frames to the monitor. */
void net_flush(void);

/* ring.c: upstream's network ring, when NETIO is not offered */
void ring_init(const struct ukvm_boot_info *bi);
bool ring_active(void);
/* The largest frame ring_write() takes: a jumbo frame and its header. A
 * larger one goes by the NET_WRITE hypercall, as on upstream's kernels. */
#define RING_TX_MAX 9216
solo5_result_t ring_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size);
/* Waits until the monitor has taken every entry: a frame sent by hypercall
 * after it leaves after the ring's (a large one, for instance). */
void ring_drain(void);
solo5_result_t ring_read(solo5_handle_t handle, uint8_t *buf, size_t size,
        size_t *read_size);

#endif /* !__ASSEMBLER__ */
#endif /* UKVM_H */
