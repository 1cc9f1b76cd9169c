/*
 * net: ping-serve. Answers ARP requests and ICMP echo requests for its IPv4
 * address on each network device of its manifest ("service0", "service1",
 * ...). Command line: IP [IP1 ...] [-n COUNT]: one address per device; with
 * -n it exits 0 after answering COUNT echo requests in all.
 *
 * One frame is read per wake-up: pending frames make the next yield return
 * at once. On ukvm with NETIO a request and its reply cost one exit (the
 * yield); on the base hvt ABI, three (yield, read, write).
 */

#include "test.h"

#define MAX_DEVICES 4
#define ETH_ARP 0x0806
#define ETH_IPV4 0x0800
#define FRAME_MAX 9018

struct device {
    solo5_handle_t handle;
    struct solo5_net_info info;
    uint8_t ip[4];
};

static struct device devices[MAX_DEVICES];
static int ndevices;
static uint8_t frame[FRAME_MAX];
static uint64_t echoes, limit;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

/* The Internet checksum of len bytes. */
static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (; len > 1; p += 2, len -= 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static bool parse_ip(const char **s, uint8_t ip[4])
{
    const char *p = *s;
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
            v = v * 10 + (unsigned)(*p - '0');
        if (!digits || v > 255 || (i < 3 && *p++ != '.'))
            return false;
        ip[i] = (uint8_t)v;
    }
    if (*p && *p != ' ')
        return false;
    *s = p;
    return true;
}

/* Turns the frame around: the reply goes back to whoever sent it. */
static void swap_eth(uint8_t *f, const struct device *d)
{
    memcpy(f, f + 6, 6);
    memcpy(f + 6, d->info.mac_address, 6);
}

static bool handle_arp(uint8_t *f, size_t len, const struct device *d)
{
    uint8_t *a = f + 14;
    if (len < 14 + 28 || get16(a) != 1 || get16(a + 2) != ETH_IPV4 ||
            a[4] != 6 || a[5] != 4 || get16(a + 6) != 1 ||
            memcmp(a + 24, d->ip, 4) != 0)
        return false;
    swap_eth(f, d);
    put16(a + 6, 2); /* reply */
    memcpy(a + 18, a + 8, 10);               /* target = the asker */
    memcpy(a + 8, d->info.mac_address, 6);   /* sender = us */
    memcpy(a + 14, d->ip, 4);
    return true;
}

static bool handle_ipv4(uint8_t *f, size_t len, const struct device *d)
{
    uint8_t *ip = f + 14;
    if (len < 14 + 20 || (ip[0] >> 4) != 4)
        return false;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || 14 + total > len || ip[9] != 1 ||
            memcmp(ip + 16, d->ip, 4) != 0 || checksum(ip, ihl) != 0)
        return false;
    uint8_t *icmp = ip + ihl;
    size_t icmp_len = total - ihl;
    if (icmp[0] != 8 || checksum(icmp, icmp_len) != 0)
        return false; /* only well-formed echo requests */
    swap_eth(f, d);
    memcpy(ip + 16, ip + 12, 4);
    memcpy(ip + 12, d->ip, 4);
    ip[8] = 64;
    put16(ip + 10, 0);
    put16(ip + 10, checksum(ip, ihl));
    icmp[0] = 0; /* echo reply */
    put16(icmp + 2, 0);
    put16(icmp + 2, checksum(icmp, icmp_len));
    echoes++;
    return true;
}

/* Reads one frame from d and answers it if it asks for us. */
static void serve(const struct device *d)
{
    size_t len;
    if (solo5_net_read(d->handle, frame, sizeof frame, &len) != SOLO5_R_OK)
        return;
    if (len < 14)
        return;
    uint16_t type = get16(frame + 12);
    bool reply = (type == ETH_ARP && handle_arp(frame, len, d)) ||
        (type == ETH_IPV4 && handle_ipv4(frame, len, d));
    if (reply && solo5_net_write(d->handle, frame, len) != SOLO5_R_OK)
        puts("net: write failed\n");
}

static bool parse_cmdline(const char *s)
{
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            return ndevices > 0;
        if (s[0] == '-' && s[1] == 'n') {
            limit = parse_u64(s + 2, 0);
            if (!limit)
                return false;
            while (*s && *s != ' ' && *s != '\0')
                s++;
            while (*s == ' ')
                s++;
            while (*s >= '0' && *s <= '9')
                s++;
            continue;
        }
        if (ndevices == MAX_DEVICES || !parse_ip(&s, devices[ndevices].ip))
            return false;
        ndevices++;
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    if (!parse_cmdline(si->cmdline)) {
        puts("usage: net IP [IP1 ...] [-n COUNT]\n");
        return SOLO5_EXIT_FAILURE;
    }
    for (int i = 0; i < ndevices; i++) {
        char name[16];
        snprintf(name, sizeof name, "service%d", i);
        struct device *d = &devices[i];
        if (solo5_net_acquire(name, &d->handle, &d->info) != SOLO5_R_OK) {
            printf("FAILURE: cannot acquire %s\n", name);
            return SOLO5_EXIT_FAILURE;
        }
        printf("net: %s: %u.%u.%u.%u mac %02x:%02x:%02x:%02x:%02x:%02x mtu %lu\n",
                name, d->ip[0], d->ip[1], d->ip[2], d->ip[3],
                d->info.mac_address[0], d->info.mac_address[1],
                d->info.mac_address[2], d->info.mac_address[3],
                d->info.mac_address[4], d->info.mac_address[5],
                (unsigned long)d->info.mtu);
    }
    puts("net: serving\n");
    while (!limit || echoes < limit) {
        solo5_handle_set_t ready = 0;
        solo5_yield(solo5_clock_monotonic() + 1000000000ULL, &ready);
        for (int i = 0; i < ndevices; i++)
            if (ready & (1ULL << devices[i].handle))
                serve(&devices[i]);
    }
    printf("net: answered %lu echo requests\n", (unsigned long)echoes);
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
