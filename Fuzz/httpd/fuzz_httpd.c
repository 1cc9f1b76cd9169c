/*
 * fuzz_httpd.c: a libFuzzer target on solo5-httpd's packet path: the
 * stack's C files (kernel/apps/httpd, but for platform.c and main.c) with
 * a fake platform: a clock the input drives, a console that discards, a
 * network device that checks every frame the stack sends, and a disk the
 * input can fill.
 *
 * Input: records, each an opcode byte and its operands.
 *   op % 4 == 0  a frame: 2 bytes of length, then the bytes. Bits of op
 *                help the fuzzer past what it cannot guess: 0x04 puts our
 *                MAC and IP as destination, 0x08 makes the checksums
 *                right, 0x10 sets the ACK to the end of what the stack last
 *                sent (plus a signed byte), 0x20 the sequence number to
 *                what it last acknowledged (plus a signed byte).
 *   op % 4 == 1  time passes: a byte of 10 ms steps; the timers run.
 *   op % 4 == 2  a long time passes (61 s: TIME_WAIT, keep-alive).
 *   op % 4 == 3  the rest of the input is a disk image: the store opens it
 *                and looks up paths (the image parser's checks).
 * Bit 0x80 of the first byte gives the device large send (frames up to
 * ETH_HLEN + 65535 bytes, as ukvm's LARGE_SEND extension offers).
 * Every frame sent must be an Ethernet frame within the MTU (or, with large
 * send, a TCP segment of whole MSS up to the large limit) whose IPv4 header
 * and TCP/ICMP checksums are right (but the TCP checksum of a large frame,
 * which the host fills): anything else aborts (a finding).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "httpd.h"

#define OUR_IP 0x0a000002u
#define MTU 1500
static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static uint64_t now_ns;
static uint32_t last_seq_end, last_ack;
static const uint8_t *disk;
static size_t disk_len;
static uint8_t heap[4 << 20] __attribute__((aligned(64)));

uint64_t plat_now(void) { return now_ns; }
uint64_t plat_wall(void) { return 1700000000ULL * 1000000000ULL + now_ns; }
void plat_console(const char *s, size_t n) { (void)s; (void)n; }

bool plat_block_read(uint64_t off, uint8_t *buf, size_t len)
{
    if (off > disk_len || len > disk_len - off)
        return false;
    memcpy(buf, disk + off, len);
    return true;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_httpd: bad frame sent: %s\n", what);
        abort();
    }
}

/* Every frame out is checked, and its TCP numbers kept for the next input. */
void plat_net_send(const uint8_t *f, size_t len)
{
    check(len >= 60 && len <= netif.max_frame, "length");
    check(memcmp(f + 6, our_mac, 6) == 0, "source MAC");
    uint16_t type = get16(f + 12);
    if (type == ETH_ARP)
        return;
    check(type == ETH_IPV4, "ethertype");
    const uint8_t *ip = f + ETH_HLEN;
    size_t total = get16(ip + 2);
    check(ip[0] == 0x45 && total >= IP_HLEN && ETH_HLEN + total <= len,
            "IP header");
    check(csum_fold(csum_add(0, ip, IP_HLEN)) == 0, "IP checksum");
    const uint8_t *p = ip + IP_HLEN;
    size_t plen = total - IP_HLEN;
    if (ip[9] == IP_TCP) {
        check(plen >= 20 && (size_t)(p[12] >> 4) * 4 <= plen, "TCP header");
        uint64_t sum = csum_pseudo(get32(ip + 12), get32(ip + 16), IP_TCP, plen);
        /* A large frame's checksum is the host's to fill. */
        check(len > ETH_HLEN + MTU || csum_fold(csum_add(sum, p, plen)) == 0,
                "TCP checksum");
        size_t hl = (size_t)(p[12] >> 4) * 4;
        if (len > ETH_HLEN + MTU) {
            /* What the host would refuse or cut wrongly: a large frame is
             * data with ACK, no SYN/RST/URG, whole MSS unless it ends the
             * stream (PSH or FIN). */
            size_t data = plen - hl;
            check(hl == 20 && (p[13] & 0x10) && !(p[13] & 0x26) &&
                    (data % (MTU - 40) == 0 || (p[13] & 0x09)), "large frame");
        }
        last_seq_end = get32(p + 4) + (uint32_t)(plen - hl) +
            ((p[13] & 3) ? 1 : 0);
        last_ack = get32(p + 8);
    } else {
        check(ip[9] == IP_ICMP &&
                csum_fold(csum_add(0, p, plen)) == 0, "ICMP");
    }
}

static void fix_frame(uint8_t *f, size_t len, uint8_t op, int8_t dack, int8_t dseq)
{
    if (op & 0x04) {
        memcpy(f, our_mac, 6);
        if (len >= ETH_HLEN + IP_HLEN) {
            put16(f + 12, ETH_IPV4);
            put32(f + ETH_HLEN + 16, OUR_IP);
        }
    }
    if (len < ETH_HLEN + IP_HLEN || get16(f + 12) != ETH_IPV4)
        return;
    uint8_t *ip = f + ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = get16(ip + 2);
    if (ihl < IP_HLEN || ihl > len - ETH_HLEN)
        return;
    if (total > len - ETH_HLEN)
        total = len - ETH_HLEN;
    uint8_t *p = ip + ihl;
    size_t plen = total > ihl ? total - ihl : 0;
    if (ip[9] == IP_TCP && plen >= 20) {
        if (op & 0x10)
            put32(p + 8, last_seq_end + (uint32_t)(int32_t)dack);
        if (op & 0x20)
            put32(p + 4, last_ack + (uint32_t)(int32_t)dseq);
    }
    if (op & 0x08) {
        put16(ip + 10, 0);
        put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
        if (ip[9] == IP_TCP && plen >= 20) {
            put16(p + 16, 0);
            uint64_t sum = csum_pseudo(get32(ip + 12), get32(ip + 16), IP_TCP, plen);
            put16(p + 16, csum_fold(csum_add(sum, p, plen)));
        } else if (ip[9] == IP_ICMP && plen >= 4) {
            put16(p + 2, 0);
            put16(p + 2, csum_fold(csum_add(0, p, plen)));
        }
    }
}

static void reset(bool large)
{
    now_ns = 1000000000ULL;
    last_seq_end = last_ack = 0;
    memcpy(netif.mac, our_mac, 6);
    netif.ip = OUR_IP;
    netif.mask = 0xffffff00u;
    netif.gw = 0x0a000001u;
    netif.mtu = MTU;
    netif.max_frame = large ? ETH_HLEN + 65535 : ETH_HLEN + MTU;
    struct tcp_config c = { .max_conns = 16, .max_half_open = 4, .rbuf_size = 1024 };
    if (!tcp_init(&c, heap, sizeof heap / 2))
        abort();
    store_init(false, 0, 512, NULL, 0);
}

static void try_image(const uint8_t *d, size_t n)
{
    disk = d;
    disk_len = n & ~(size_t)511;
    size_t half = sizeof heap / 2;
    if (store_init(true, disk_len, 512, heap + half, half)) {
        static const char *paths[] = { "/", "/index.html", "/a", "/zzzz" };
        for (size_t i = 0; i < 4; i++) {
            int f = store_lookup(paths[i], strlen(paths[i]));
            if (f >= 0) {
                uint8_t buf[64];
                uint64_t sz = store_size(f);
                store_copy(f, 0, buf, (size_t)(sz < 64 ? sz : 64));
                (void)store_type(f);
            }
        }
    }
    store_init(false, 0, 512, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[ETH_HLEN + 9216];
    reset(size > 0 && (data[0] & 0x80));
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        switch (op & 3) {
        case 0: {
            if (i + 4 > size)
                return 0;
            size_t len = get16(data + i) % (ETH_HLEN + MTU + 64);
            int8_t dack = (int8_t)data[i + 2], dseq = (int8_t)data[i + 3];
            i += 4;
            if (len > size - i)
                len = size - i;
            memcpy(frame, data + i, len);
            i += len;
            fix_frame(frame, len, op, dack, dseq);
            /* The frame is handed up from a buffer of exactly its size, so
             * ASan sees any read past its end. */
            uint8_t *exact = malloc(len ? len : 1);
            memcpy(exact, frame, len);
            eth_input(exact, len);
            free(exact);
            tcp_flush();
            break;
        }
        case 1:
            if (i < size)
                now_ns += (uint64_t)data[i++] * 10000000ULL;
            tcp_timers(now_ns);
            break;
        case 2:
            now_ns += 61000000000ULL;
            tcp_timers(now_ns);
            break;
        default:
            try_image(data + i, size - i);
            return 0;
        }
    }
    return 0;
}
