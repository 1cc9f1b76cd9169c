/*
 * largesend: a hostile guest of the large-send extension (ukvm_ext.h).
 * Writes large frames that break each of its rules, through raw NET_WRITE
 * and NETIO hypercalls (bypassing the kernel's own checks) and through
 * solo5_net_write: every one must be refused with EINVAL. One good large
 * frame must be taken. ukvm-only.
 *
 *   largesend offered   large send is offered: prints SUCCESS if every bad
 *                       frame is refused and the good one sent
 *   largesend withheld  it is not (--x-no-large-send): the largest frame
 *                       is MTU + 14 and even a good large frame is refused
 */

#include "test.h"
#include "solo5_ext.h"
#include "ukvm_ext.h"

#define DATA 4000 /* TCP data bytes of the test frames: beyond a 1500 MTU */

static void hypercall(unsigned nr, void *arg)
{
    __asm__ __volatile__("outl %0, %1" : : "a"((uint32_t)(uintptr_t)arg),
            "d"((uint16_t)UKVM_HYPERCALL_PIO(nr)) : "memory");
}

static uint8_t frame[UKVM_NET_LARGE_MAX + 4096] __attribute__((aligned(64)));
static solo5_handle_t net;
static int failures;

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A good large frame: IPv4/TCP, ACK, DATA bytes of data; its length. */
static size_t good(void)
{
    memset(frame, 0, 14 + 40 + DATA);
    memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    put16(frame + 12, 0x0800);
    uint8_t *ip = frame + 14;
    ip[0] = 0x45;
    put16(ip + 2, 40 + DATA);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x55\x00\x02\x0a\x55\x00\x01", 8);
    uint8_t *tcp = ip + 20;
    put16(tcp, 80);
    put16(tcp + 2, 40000);
    tcp[12] = 5 << 4;
    tcp[13] = 0x10;
    put16(tcp + 14, 1000);
    return 14 + 40 + DATA;
}

static int32_t net_write(const uint8_t *data, uint64_t len)
{
    struct ukvm_hc_net_write a = { net, (uintptr_t)data, len, -1, 0 };
    hypercall(UKVM_HYPERCALL_NET_WRITE, &a);
    return a.ret;
}

static int32_t netio_write(const uint8_t *data, uint64_t len)
{
    static struct ukvm_netio_frame tx[2];
    tx[0] = (struct ukvm_netio_frame){ net, (uintptr_t)data, len, -1, 0 };
    struct ukvm_hc_netio a = { .tx = (uintptr_t)tx, .rx = (uintptr_t)tx,
        .tx_count = 1, .ret = -1 };
    hypercall(UKVM_HYPERCALL_NETIO, &a);
    return a.ret == UKVM_OK ? tx[0].ret : a.ret;
}

/* NET_WRITE, NETIO and solo5_net_write each give the frame (of len bytes,
 * made by the caller) the result expected: want, or want_solo5 for the last. */
static void expect(const char *what, size_t len, int32_t want, solo5_result_t want_solo5)
{
    int32_t r1 = net_write(frame, len), r2 = netio_write(frame, len);
    solo5_result_t r3 = solo5_net_write(net, frame, len);
    if (r1 != want || r2 != want || r3 != want_solo5) {
        printf("FAILURE: %s: NET_WRITE %d, NETIO %d, solo5_net_write %d\n",
                what, r1, r2, (int)r3);
        failures++;
    }
}

/* Every path refuses the frame. */
static void refused(const char *what, size_t len)
{
    expect(what, len, UKVM_EINVAL, SOLO5_R_EINVAL);
}

/* Every path takes the frame. */
static void taken(const char *what, size_t len)
{
    expect(what, len, UKVM_OK, SOLO5_R_OK);
}

static void hostile(void)
{
    size_t n = good();
    taken("a good large frame", n);
    uint8_t *ip = frame + 14, *tcp = ip + 20;
    good(); frame[13] = 0xdd; refused("IPv6 Ethernet type", n);
    good(); put16(frame + 12, 0x8100); refused("a VLAN tag", n);
    good(); ip[0] = 0x65; refused("IP version 6", n);
    good(); ip[0] = 0x44; refused("IHL 4", n);
    good(); put16(ip + 2, 40 + DATA - 1); refused("total length short", n);
    good(); put16(ip + 2, 40 + DATA + 1); refused("total length long", n);
    good(); refused("frame longer than its IP length", n + 1);
    good(); put16(ip + 6, 0x2000); refused("MF", n);
    good(); put16(ip + 6, 0x0001); refused("a fragment offset", n);
    good(); ip[9] = 17; refused("UDP", n);
    good(); ip[9] = 1; refused("ICMP", n);
    good(); tcp[12] = 4 << 4; refused("TCP data offset 4", n);
    good(); tcp[13] = 0x12; refused("SYN", n);
    good(); tcp[13] = 0x14; refused("RST", n);
    good(); tcp[13] = 0x30; refused("URG", n);
    good(); tcp[13] = 0x08; refused("no ACK", n);
    /* Headers that claim more than the frame: IHL 15 in a short packet. */
    good(); ip[0] = 0x4f; put16(ip + 2, 60 + 20); refused("IHL past the data", n);
    good(); put16(ip + 2, 65535); refused("oversize (65550 bytes)", 65550);
    good(); refused("oversize (1 MiB)", 1 << 20);
    good(); refused("a zero-length frame", 0);
    /* What passes stays refused beyond guest memory (address 2^40). */
    struct ukvm_hc_net_write a = { net, 1ULL << 40, n, -1, 0 };
    hypercall(UKVM_HYPERCALL_NET_WRITE, &a);
    if (a.ret != UKVM_EINVAL) {
        printf("FAILURE: a frame outside memory: %d\n", a.ret);
        failures++;
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_net_info info;
    if (solo5_net_acquire("service0", &net, &info) != SOLO5_R_OK) {
        puts("FAILURE: no service0\n");
        return 1;
    }
    size_t max = solo5_net_max_frame(net);
    printf("largesend: MTU %lu, largest frame %lu\n", (unsigned long)info.mtu,
            (unsigned long)max);
    if (strcmp(si->cmdline, "offered") == 0) {
        if (max != UKVM_NET_LARGE_MAX) {
            puts("FAILURE: large send is not offered\n");
            return 1;
        }
        hostile();
    } else if (strcmp(si->cmdline, "withheld") == 0) {
        if (max != SOLO5_NET_HLEN + info.mtu) {
            puts("FAILURE: large send is offered\n");
            return 1;
        }
        refused("a good large frame, not offered", good());
    } else {
        puts("usage: largesend offered|withheld\n");
        return 2;
    }
    if (failures)
        return 1;
    puts("SUCCESS\n");
    return 0;
}
