/*
 * cnetif.c: network interface and tap ioctls (cnetif.h), shared by the
 * monitor's net module and ukvm-oci.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include "cnetif.h"

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

int netif_get_flags(int sock, const char *name, short *flags)
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    *flags = ifr.ifr_flags;
    return 0;
}

int netif_set_flags(int sock, const char *name, short flags)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_flags = flags;
    return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -1 : 0;
}

int netif_get_mtu(int sock, const char *name, int *mtu)
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFMTU, &ifr) < 0)
        return -1;
    *mtu = ifr.ifr_mtu;
    return 0;
}

int netif_set_mtu(int sock, const char *name, int mtu)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_mtu = mtu;
    return ioctl(sock, SIOCSIFMTU, &ifr) < 0 ? -1 : 0;
}

int netif_get_mac(int sock, const char *name, uint8_t mac[6])
{
    struct ifreq ifr;
    if (named(&ifr, name) || ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

int netif_get_ipv4(int sock, const char *name, uint32_t *addr, uint32_t *mask)
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

int netif_tap_attach(int fd, const char *name)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -1 : 0;
}

int netif_tap_attach_vnet(int fd, const char *name)
{
    struct ifreq ifr;
    if (named(&ifr, name))
        return -1;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -1 : 0;
}

int netif_tap_query(int fd, char name[IFNAMSIZ], short *flags)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) < 0)
        return -1;
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = 0;
    *flags = ifr.ifr_flags;
    return 0;
}
