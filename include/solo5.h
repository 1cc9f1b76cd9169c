/*
 * solo5.h: the public API that a unikernel application is written against.
 *
 * Source compatible with upstream Solo5: an application defines
 * solo5_app_main() and calls only what is declared here. The same
 * application links unchanged against the ukvm and the virtio kernels.
 */
#ifndef SOLO5_H
#define SOLO5_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Result of every call that can fail. */
typedef enum {
    SOLO5_R_OK = 0,      /* done */
    SOLO5_R_AGAIN = 1,   /* nothing to do now; try after solo5_yield() */
    SOLO5_R_EINVAL = 2,  /* bad argument (handle, offset, size, buffer) */
    SOLO5_R_EUNSPEC = 3  /* anything else */
} solo5_result_t;

/* What the kernel hands the application at start. */
struct solo5_start_info {
    const char *cmdline;  /* arguments after the kernel, --solo5:* removed */
    uintptr_t heap_start; /* first byte the application may use freely */
    size_t heap_size;     /* bytes from heap_start, below the stack */
};

/* The application's entry point; its return value is the exit status. */
int solo5_app_main(const struct solo5_start_info *info);

#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT 255

/* End the unikernel with status (the monitor's exit code). */
void solo5_exit(int status) __attribute__((noreturn));
/* End the unikernel abnormally (status SOLO5_EXIT_ABORT). */
void solo5_abort(void) __attribute__((noreturn));

/* Time in nanoseconds. */
typedef uint64_t solo5_time_t;
/* Monotonic clock: ns since an arbitrary point at boot. */
solo5_time_t solo5_clock_monotonic(void);
/* Wall clock: ns since the Unix epoch. */
solo5_time_t solo5_clock_wall(void);

/* A device is named by a handle: its index in the manifest. */
typedef uint64_t solo5_handle_t;
/* Bit i set = device with handle i. */
typedef uint64_t solo5_handle_set_t;

/*
 * Sleep until the monotonic clock reaches deadline or until a device becomes
 * ready; *ready_set tells which (0 on timeout).
 */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

/* Write size bytes to the console. */
void solo5_console_write(const char *buf, size_t size);

/* Network devices. */
#define SOLO5_NET_ALEN 6
#define SOLO5_NET_HLEN 14 /* Ethernet header */

struct solo5_net_info {
    uint8_t mac_address[SOLO5_NET_ALEN];
    size_t mtu; /* payload bytes, without the Ethernet header */
};

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_net_info *info);
/* Send one frame of size bytes (header included). */
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size);
/* Receive one frame; SOLO5_R_AGAIN when none is queued. */
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf,
        size_t size, size_t *read_size);

/*
 * Block devices. A request starts at an offset that is a multiple of the
 * block size and covers one or more whole blocks, at most
 * SOLO5_BLOCK_IO_MAX bytes, all inside the device; anything else is
 * SOLO5_R_EINVAL. A request that fails otherwise (SOLO5_R_EUNSPEC) may have
 * written part of its range.
 */
typedef uint64_t solo5_off_t;

#define SOLO5_BLOCK_IO_MAX 0x100000 /* 1 MiB: largest request, in bytes */

struct solo5_block_info {
    solo5_off_t capacity;   /* bytes */
    solo5_off_t block_size; /* bytes */
};

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_block_info *info);
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size);
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size);

/* Set the base of thread-local storage (the FS segment base). */
solo5_result_t solo5_set_tls_base(uintptr_t base);

#endif /* SOLO5_H */
