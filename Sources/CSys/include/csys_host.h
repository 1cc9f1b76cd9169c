/*
 * csys_host.h: host calls Swift's Glibc module does not offer, with fixed
 * signatures: ppoll(2) with a signal mask, timerfd(2), preadv2/pwritev2(2)
 * with RWF_NOWAIT, dup3(2), and malloc_trim(3) (<malloc.h> is not in the
 * Glibc module). Glibc declares some of them only under
 * _GNU_SOURCE, with which Swift's Glibc module is not built; csys_host.c
 * is (Package.swift).
 * Nothing here has logic worth testing.
 */
#ifndef CSYS_HOST_H
#define CSYS_HOST_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

/* ppoll(2): waits with `sigmask` in force (NULL: the current mask). */
int csys_ppoll_mask(struct pollfd *fds, unsigned long nfds,
                    const struct timespec *timeout, const sigset_t *sigmask);

/* getrandom(2) of n bytes into buf, from the kernel's generator (no
 * flags: waits only until it is seeded, early at boot). */
long csys_getrandom(void *buf, unsigned long n);

/* timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK). */
int csys_timerfd_create(void);

/* Arms timerfd `fd` to expire once, `ns` nanoseconds from now (0 disarms:
 * the caller never arms it with 0). */
int csys_timerfd_arm(int fd, uint64_t ns);

/* One read or write of the current file position with RWF_NOWAIT: it
 * does not block whatever the file description's O_NONBLOCK says, so a
 * description shared with another process is never switched to
 * non-blocking mode. -1 with EOPNOTSUPP where the file does not support it. */
ssize_t csys_read_nowait(int fd, void *buf, size_t len);
ssize_t csys_write_nowait(int fd, const void *buf, size_t len);
/* The same, vectored: a virtio-net header and the frame in one call. */
ssize_t csys_readv_nowait(int fd, const struct iovec *iov, int count);
ssize_t csys_writev_nowait(int fd, const struct iovec *iov, int count);

/* dup3(2): `newfd` becomes a copy of `oldfd` (closing what it was). */
int csys_dup3(int oldfd, int newfd, int flags);

/* malloc_trim(0): gives the heap's free pages back to the kernel. */
void csys_malloc_trim(void);

#endif /* CSYS_HOST_H */
