/* coci.c: see coci.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <linux/openat2.h>
#include <termios.h>
#include "coci.h"

int coci_setns_net(int fd)
{
    return setns(fd, CLONE_NEWNET);
}

int coci_unshare_net(void)
{
    return unshare(CLONE_NEWNET);
}

int coci_open_in_root(int dirfd, const char *path, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int coci_send_fd(int sock, int fd, const char *name)
{
    char data[256];
    size_t len = strlen(name);
    if (len == 0 || len > sizeof data) {
        data[0] = 0;
        len = 1;
    } else {
        memcpy(data, name, len);
    }
    struct iovec iov = { .iov_base = data, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof control.buf,
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int coci_open_pty(int *master, int *slave)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return -1;
    if (grantpt(m) != 0 || unlockpt(m) != 0)
        goto fail;
    char name[128];
    if (ptsname_r(m, name, sizeof name) != 0)
        goto fail;
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        goto fail;
    *master = m;
    *slave = s;
    return 0;
fail:;
    int e = errno;
    close(m);
    errno = e;
    return -1;
}

int coci_set_controlling_tty(int fd)
{
    return ioctl(fd, TIOCSCTTY, 0);
}

void coci_close_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < max; fd++)
        close((int)fd);
}

int coci_set_process_name(const char *name)
{
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

int coci_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
}

int coci_set_blocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

const int coci_O_PATH = O_PATH;
