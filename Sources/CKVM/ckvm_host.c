/*
 * ckvm_host.c: the host calls of ckvm_host.h, compiled with _GNU_SOURCE.
 */
#include <malloc.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <linux/kvm.h>
#include "ckvm_host.h"

int ckvm_ppoll_mask(struct pollfd *fds, unsigned long nfds,
                    const struct timespec *timeout, const sigset_t *sigmask)
{
    return ppoll(fds, (nfds_t)nfds, timeout, sigmask);
}

int ckvm_timerfd_create(void)
{
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

int ckvm_timerfd_arm(int fd, uint64_t ns)
{
    struct itimerspec spec = {
        .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
                      .tv_nsec = (long)(ns % 1000000000u) },
    };
    return timerfd_settime(fd, 0, &spec, NULL);
}

ssize_t ckvm_read_nowait(int fd, void *buf, size_t len)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    return preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
}

ssize_t ckvm_write_nowait(int fd, const void *buf, size_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
}

int ckvm_set_vcpu_signal_mask(int vcpufd, const sigset_t *mask)
{
    /* The kernel's sigset is 8 bytes on x86_64, glibc's sigset_t 128. */
    union {
        struct kvm_signal_mask head;
        uint8_t bytes[sizeof(struct kvm_signal_mask) + 8];
    } arg;
    arg.head.len = 8;
    memcpy(arg.head.sigset, mask, 8);
    return ioctl(vcpufd, KVM_SET_SIGNAL_MASK, &arg);
}

int ckvm_dup3(int oldfd, int newfd, int flags)
{
    return dup3(oldfd, newfd, flags);
}

void ckvm_malloc_trim(void)
{
    (void)malloc_trim(0);
}
