/*
 * ip.c: IPv4 (RFC 791) and ICMP echo (RFC 792), and the Internet checksum
 * (RFC 1071). Packets with options or fragments are refused (dropped and
 * counted): the server needs neither, and refusing them keeps reassembly
 * and option parsing, and their attacks, out of the stack.
 */

#include "httpd.h"

/*
 * Sums 32-bit words in the machine's (little-endian) order: the one's
 * complement sum is byte-order independent (RFC 1071 section 2), so the
 * folded result is swapped once at the end.
 */
uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        uint32_t a, b;
        __builtin_memcpy(&a, p, 4);
        __builtin_memcpy(&b, p + 4, 4);
        sum += (uint64_t)a + b;
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        __builtin_memcpy(&w, p, 2);
        sum += w;
        p += 2;
        len -= 2;
    }
    if (len)
        sum += p[0]; /* the low byte of a little-endian word */
    return sum;
}

uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t s = (uint16_t)~sum;
    return (uint16_t)(s << 8 | s >> 8);
}

uint64_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    uint8_t ph[12];
    put32(ph, src);
    put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    put16(ph + 10, (uint16_t)len);
    return csum_add(0, ph, sizeof ph);
}

static uint16_t ip_id;

void ip_send(uint8_t *f, size_t payload_len, uint8_t proto, uint32_t dst,
        const uint8_t *hint)
{
    uint8_t *ip = f + ETH_HLEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(IP_HLEN + payload_len));
    put16(ip + 4, ip_id++);
    put16(ip + 6, 0x4000); /* DF: we never fragment */
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, netif.ip);
    put32(ip + 16, dst);
    put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
    eth_send_ipv4(f, IP_HLEN + payload_len, dst, hint);
}

static void icmp_input(const uint8_t *ip, const uint8_t *icmp, size_t len,
        const uint8_t *mac)
{
    /* Echo requests only, checked; the reply carries the same data. */
    if (len < 8 || icmp[0] != 8 || icmp[1] != 0 ||
            csum_fold(csum_add(0, icmp, len)) != 0 ||
            len > netif.mtu - IP_HLEN) {
        stats.rx_dropped++;
        return;
    }
    static uint8_t f[ETH_HLEN + 9216];
    uint8_t *out = f + ETH_HLEN + IP_HLEN;
    memcpy(out, icmp, len);
    out[0] = 0;
    put16(out + 2, 0);
    put16(out + 2, csum_fold(csum_add(0, out, len)));
    stats.icmp_echoes++;
    ip_send(f, len, IP_ICMP, get32(ip + 12), mac);
}

void ip_input(const uint8_t *ip, size_t len, const uint8_t *mac)
{
    if (len < IP_HLEN || ip[0] != 0x45) {
        stats.rx_dropped++; /* not IPv4, or options (IHL > 5) */
        return;
    }
    size_t total = get16(ip + 2);
    uint16_t frag = get16(ip + 6);
    uint32_t src = get32(ip + 12), dst = get32(ip + 16);
    if (total < IP_HLEN || total > len || (frag & 0xbfff) != 0 ||
            csum_fold(csum_add(0, ip, IP_HLEN)) != 0 || dst != netif.ip) {
        /* Truncated, padded beyond its length is fine (Ethernet minimum),
         * fragments (MF or an offset; the reserved bit too), bad sums. */
        stats.rx_dropped++;
        return;
    }
    /* Sources that cannot answer: broadcast, multicast, loopback, zero. */
    if (src == 0 || src == 0xffffffff || (src >> 28) == 0xe ||
            (src >> 24) == 127 || src == netif.ip ||
            (netif.mask < 0xfffffffe && ((src ^ netif.ip) & netif.mask) == 0 &&
             (src | netif.mask) == 0xffffffff)) {
        stats.rx_dropped++;
        return;
    }
    if (ip[9] == IP_TCP)
        tcp_input(ip, IP_HLEN, total, mac);
    else if (ip[9] == IP_ICMP)
        icmp_input(ip, ip + IP_HLEN, total - IP_HLEN, mac);
    else
        stats.rx_dropped++;
}
