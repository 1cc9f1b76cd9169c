/*
 * cnetif.h: network interfaces and taps, for the monitor's net module and
 * for ukvm-oci: the interface ioctls (through any AF_INET socket) and the
 * tun/tap ones, with fixed signatures, since Swift can neither call the
 * variadic ioctl(2) nor evaluate the _IOW() request numbers. Every call
 * returns 0, or -1 with errno set. No logic lives here.
 */
#ifndef CNETIF_H
#define CNETIF_H

#include <stdint.h>
#include <net/if.h>       /* before <linux/if_tun.h>: glibc's ifreq wins */
#include <linux/if_tun.h>
#include <linux/virtio_net.h> /* struct virtio_net_hdr, with IFF_VNET_HDR */

/* Interface ioctls through sock, on the interface called name. */
int netif_get_flags(int sock, const char *name, short *flags);
int netif_set_flags(int sock, const char *name, short flags);
int netif_get_mtu(int sock, const char *name, int *mtu);
int netif_set_mtu(int sock, const char *name, int mtu);
int netif_get_mac(int sock, const char *name, uint8_t mac[6]);
/* The primary IPv4 address and netmask, network byte order. */
int netif_get_ipv4(int sock, const char *name, uint32_t *addr, uint32_t *mask);

/* TUNSETIFF on an open /dev/net/tun: attach to (creating) tap name, no
 * packet information header. */
int netif_tap_attach(int fd, const char *name);
/* The same with IFF_VNET_HDR: every read and write then starts with a
 * struct virtio_net_hdr (10 bytes, the default size). */
int netif_tap_attach_vnet(int fd, const char *name);

/* TUNGETIFF on a tun/tap fd: the interface it is attached to and the
 * flags it was attached with (IFF_TAP, IFF_NO_PI, ...). */
int netif_tap_query(int fd, char name[IFNAMSIZ], short *flags);

#endif /* CNETIF_H */
