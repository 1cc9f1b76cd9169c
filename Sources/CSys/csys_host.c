/*
 * csys_host.c: the host calls of csys_host.h, compiled with _GNU_SOURCE.
 */
#include <malloc.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include "csys_host.h"

int csys_ppoll_mask(struct pollfd *fds, unsigned long nfds,
                    const struct timespec *timeout, const sigset_t *sigmask)
{
    return ppoll(fds, (nfds_t)nfds, timeout, sigmask);
}

int csys_timerfd_create(void)
{
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

int csys_timerfd_arm(int fd, uint64_t ns)
{
    struct itimerspec spec = {
        .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
                      .tv_nsec = (long)(ns % 1000000000u) },
    };
    return timerfd_settime(fd, 0, &spec, NULL);
}

ssize_t csys_read_nowait(int fd, void *buf, size_t len)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    return preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
}

ssize_t csys_write_nowait(int fd, const void *buf, size_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
}

ssize_t csys_readv_nowait(int fd, const struct iovec *iov, int count)
{
    return preadv2(fd, iov, count, -1, RWF_NOWAIT);
}

ssize_t csys_writev_nowait(int fd, const struct iovec *iov, int count)
{
    return pwritev2(fd, iov, count, -1, RWF_NOWAIT);
}

int csys_dup3(int oldfd, int newfd, int flags)
{
    return dup3(oldfd, newfd, flags);
}

void csys_malloc_trim(void)
{
    (void)malloc_trim(0);
}

long csys_getrandom(void *buf, unsigned long n)
{
    return getrandom(buf, n, 0);
}
