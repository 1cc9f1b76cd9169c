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
#include <netinet/in.h>
#include <linux/if_tun.h>
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

static int named(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof *ifr);
    if (strlen(name) >= IFNAMSIZ) {
        errno = EINVAL;
        return -1;
    }
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
    return 0;
}

int coci_if_get_flags(int sock, const char *name, short *flags)
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    *flags = ifr.ifr_flags;
    return 0;
}

int coci_if_set_flags(int sock, const char *name, short flags)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_flags = flags;
    return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -1 : 0;
}

int coci_if_get_mtu(int sock, const char *name, int *mtu)
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFMTU, &ifr) < 0)
        return -1;
    *mtu = ifr.ifr_mtu;
    return 0;
}

int coci_if_set_mtu(int sock, const char *name, int mtu)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_mtu = mtu;
    return ioctl(sock, SIOCSIFMTU, &ifr) < 0 ? -1 : 0;
}

int coci_if_get_mac(int sock, const char *name, uint8_t mac[6])
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

int coci_if_get_ipv4(int sock, const char *name, uint32_t *addr, uint32_t *mask)
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFADDR, &ifr) < 0)
        return -1;
    *addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFNETMASK, &ifr) < 0)
        return -1;
    *mask = ((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr;
    return 0;
}

int coci_tap_attach(int fd, const char *name)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -1 : 0;
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
