/*
 * eth.c: Ethernet framing and ARP (RFC 826): answers requests for our
 * address, keeps a small cache of neighbours, and picks the next hop's MAC
 * for outgoing IPv4 (the gateway's for addresses off our subnet).
 */

#include "httpd.h"

#define ARP_LEN 28
#define ARP_SLOTS 32
#define ARP_TTL_NS (300ULL * 1000000000ULL)

struct netif netif;

static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct {
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    uint64_t stamp; /* when learnt; 0 = empty */
} cache[ARP_SLOTS];

/* Learns ip at mac: refreshes its entry or takes the oldest one. */
static void arp_learn(uint32_t ip, const uint8_t mac[ETH_ALEN])
{
    unsigned victim = 0;
    for (unsigned i = 0; i < ARP_SLOTS; i++) {
        if (cache[i].stamp && cache[i].ip == ip) {
            victim = i;
            break;
        }
        if (cache[i].stamp < cache[victim].stamp)
            victim = i;
    }
    cache[victim].ip = ip;
    memcpy(cache[victim].mac, mac, ETH_ALEN);
    cache[victim].stamp = plat_now() | 1;
}

static const uint8_t *arp_lookup(uint32_t ip)
{
    uint64_t now = plat_now();
    for (unsigned i = 0; i < ARP_SLOTS; i++)
        if (cache[i].stamp && cache[i].ip == ip &&
                now - cache[i].stamp < ARP_TTL_NS)
            return cache[i].mac;
    return NULL;
}

static void arp_send(uint16_t op, const uint8_t *dst_mac, uint32_t target_ip,
        const uint8_t *target_mac)
{
    uint8_t f[ETH_HLEN + ARP_LEN + 18];
    memset(f, 0, sizeof f);
    memcpy(f, dst_mac, ETH_ALEN);
    memcpy(f + 6, netif.mac, ETH_ALEN);
    put16(f + 12, ETH_ARP);
    uint8_t *a = f + ETH_HLEN;
    put16(a, 1);          /* Ethernet */
    put16(a + 2, ETH_IPV4);
    a[4] = ETH_ALEN;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, netif.mac, ETH_ALEN);
    put32(a + 14, netif.ip);
    memcpy(a + 18, target_mac, ETH_ALEN);
    put32(a + 24, target_ip);
    plat_net_send(f, sizeof f); /* padded to Ethernet's 60-byte minimum */
}

static void arp_input(const uint8_t *a, size_t len)
{
    if (len < ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_IPV4 ||
            a[4] != ETH_ALEN || a[5] != 4) {
        stats.rx_dropped++;
        return;
    }
    uint16_t op = get16(a + 6);
    uint32_t sender = get32(a + 14), target = get32(a + 24);
    const uint8_t *sender_mac = a + 8;
    if (sender_mac[0] & 1) {
        stats.rx_dropped++; /* a multicast sender is a lie */
        return;
    }
    /* RFC 826: update an entry we have; add one only if we are the target. */
    if (target == netif.ip || arp_lookup(sender))
        if (sender != 0)
            arp_learn(sender, sender_mac);
    if (op == 1 && target == netif.ip) {
        stats.arp_replies++;
        arp_send(2, sender_mac, sender, sender_mac);
    }
}

void eth_input(const uint8_t *f, size_t len)
{
    stats.rx_frames++;
    if (len < ETH_HLEN) {
        stats.rx_dropped++;
        return;
    }
    bool to_us = memcmp(f, netif.mac, ETH_ALEN) == 0;
    if (!to_us && memcmp(f, broadcast, ETH_ALEN) != 0) {
        stats.rx_dropped++;
        return;
    }
    uint16_t type = get16(f + 12);
    if (type == ETH_ARP)
        arp_input(f + ETH_HLEN, len - ETH_HLEN);
    else if (type == ETH_IPV4 && to_us && !(f[6] & 1))
        ip_input(f + ETH_HLEN, len - ETH_HLEN, f + 6);
    else
        stats.rx_dropped++; /* IPv6, VLAN tags, broadcast IP: not ours */
}

void eth_send_ipv4(uint8_t *f, size_t len, uint32_t dst,
        const uint8_t *hint)
{
    uint32_t hop = ((dst ^ netif.ip) & netif.mask) ? netif.gw : dst;
    const uint8_t *mac = arp_lookup(hop);
    if (!mac) {
        /* Ask, and meanwhile answer the MAC the peer's frame came from. */
        static uint64_t last_ask;
        uint64_t now = plat_now();
        if (now - last_ask > 100000000ULL) {
            last_ask = now;
            arp_send(1, broadcast, hop, (const uint8_t[ETH_ALEN]){ 0 });
        }
        mac = hint;
    }
    memcpy(f, mac, ETH_ALEN);
    memcpy(f + 6, netif.mac, ETH_ALEN);
    put16(f + 12, ETH_IPV4);
    size_t total = ETH_HLEN + len;
    if (total < 60) {
        memset(f + total, 0, 60 - total);
        total = 60;
    }
    stats.tx_frames++;
    plat_net_send(f, total);
}
