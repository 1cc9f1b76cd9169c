/*
 * main.c: solo5-httpd's entry point: the command line, the memory plan,
 * and the event loop.
 *
 *   httpd IP/PREFIX [GATEWAY] [--log=error|warn|info|debug] [--conns=N]
 *
 * Exit status: 1 bad command line, 2 bad content image, 3 no network
 * device or not enough memory (docs/httpd.md).
 */

#include "solo5.h"
#include "httpd.h"
#include "platform.h"

#define EXIT_USAGE 1
#define EXIT_IMAGE 2
#define EXIT_RESOURCES 3
#define RBUF_SIZE 4096
#define IDLE_WAKE_NS 1000000000ULL

struct args {
    uint32_t ip, gw;
    unsigned prefix;
    unsigned conns;
};

static uint8_t rx_frame[ETH_HLEN + 9216];

/* Parses "a.b.c.d" at *s; advances past it. */
static bool parse_ip(const char **s, uint32_t *ip)
{
    const char *p = *s;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned n = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            n = n * 10 + (unsigned)(*p - '0');
        if (!digits || n > 255 || (i < 3 && *p++ != '.'))
            return false;
        v = v << 8 | n;
    }
    *s = p;
    *ip = v;
    return true;
}

static bool parse_uint(const char **s, unsigned max, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0, digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
        v = v * 10 + (unsigned)(*p - '0');
    if (!digits || v > max)
        return false;
    *s = p;
    *out = v;
    return true;
}

static bool word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return memcmp(s, w, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

static bool parse_option(const char **s)
{
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    const char *p = *s;
    if (memcmp(p, "--log=", 6) == 0) {
        for (int i = 0; i < 4; i++) {
            if (word_is(p + 6, levels[i])) {
                hlog_level = i;
                *s = p + 6 + strlen(levels[i]);
                return true;
            }
        }
        return false;
    }
    return false;
}

static const char *parse_args(const char *s, struct args *a)
{
    bool have_ip = false, have_gw = false;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        if (s[0] == '-') {
            if (memcmp(s, "--conns=", 8) == 0) {
                s += 8;
                if (!parse_uint(&s, 1000000, &a->conns) || a->conns < 16)
                    return "--conns=N: a number of connections, 16 or more";
            } else if (!parse_option(&s)) {
                return "unknown option (--log=error|warn|info|debug, "
                    "--conns=N)";
            }
        } else if (!have_ip) {
            if (!parse_ip(&s, &a->ip) || *s++ != '/' ||
                    !parse_uint(&s, 32, &a->prefix))
                return "IP/PREFIX expected first, e.g. 10.0.0.2/24";
            have_ip = true;
        } else if (!have_gw) {
            if (!parse_ip(&s, &a->gw))
                return "GATEWAY: an IPv4 address expected";
            have_gw = true;
        } else {
            return "too many arguments";
        }
        if (*s != ' ' && *s != '\0')
            return "garbage after an argument";
    }
    return have_ip ? NULL : "IP/PREFIX missing, e.g. 10.0.0.2/24";
}

static void usage(const char *why)
{
    hlog(LOG_ERROR, "%s", why);
    hlog(LOG_ERROR, "usage: httpd IP/PREFIX [GATEWAY] "
            "[--log=error|warn|info|debug] [--conns=N]");
}

static void serve_forever(void)
{
    uint64_t last_report = plat_now();
    for (;;) {
        uint64_t now = plat_now();
        tcp_timers(now);
        uint64_t deadline = MIN(tcp_deadline(), now + IDLE_WAKE_NS);
        plat_poll(deadline, rx_frame, sizeof rx_frame);
        tcp_flush();
        if (hlog_level >= LOG_DEBUG && now - last_report > 10 * IDLE_WAKE_NS) {
            last_report = now;
            hlog(LOG_DEBUG, "%u connections, %lu accepted, %lu requests, "
                    "%lu retransmits, %lu frames dropped", tcp_active(),
                    (unsigned long)stats.tcp_accepted,
                    (unsigned long)stats.http_requests,
                    (unsigned long)stats.tcp_retransmits,
                    (unsigned long)stats.rx_dropped);
        }
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct args a = { .conns = 4096 };
    const char *why = parse_args(si->cmdline, &a);
    if (why) {
        usage(why);
        return EXIT_USAGE;
    }
    size_t mtu;
    if (!plat_net_open(netif.mac, &mtu)) {
        hlog(LOG_ERROR, "no network device 'service0' (attach one with "
                "--net:service0=TAP)");
        return EXIT_RESOURCES;
    }
    netif.ip = a.ip;
    netif.mask = a.prefix ? ~0U << (32 - a.prefix) : 0;
    netif.gw = a.gw;
    netif.mtu = MIN(mtu, (size_t)9000);
    if (netif.mtu < 576) {
        hlog(LOG_ERROR, "MTU %lu is below IPv4's 576", (unsigned long)mtu);
        return EXIT_RESOURCES;
    }
    /* Large send only where the host cuts at our MSS: the device's MTU. */
    netif.max_frame = ETH_HLEN + netif.mtu;
    if (netif.mtu == mtu && plat_net_max_frame() > netif.max_frame)
        netif.max_frame = MIN(plat_net_max_frame(), (size_t)ETH_HLEN + 65535);
    struct tcp_config tc = {
        .max_conns = a.conns, .max_half_open = MAX(a.conns / 8, 16u),
        .rbuf_size = RBUF_SIZE,
    };
    uint8_t *heap = (uint8_t *)si->heap_start;
    size_t used = tcp_init(&tc, heap, si->heap_size);
    if (!used) {
        hlog(LOG_ERROR, "%u connections do not fit in %lu MiB of heap "
                "(use --mem or --conns)", a.conns,
                (unsigned long)(si->heap_size >> 20));
        return EXIT_RESOURCES;
    }
    uint64_t capacity = 0, block_size = 0;
    bool disk = plat_block_open(&capacity, &block_size);
    used = (used + 4095) & ~(size_t)4095;
    if (!store_init(disk, capacity, block_size, heap + used,
            si->heap_size - used))
        return EXIT_IMAGE;
    char ip[16], gw[16];
    hlog(LOG_INFO, "serving %u %s on %s/%u port 80 (gateway %s), "
            "%u connections, frames up to %zu bytes%s", store_count(),
            disk ? "files from the disk" : "built-in page", ip_str(a.ip, ip),
            a.prefix, a.gw ? ip_str(a.gw, gw) : "none", a.conns,
            netif.max_frame, netif.max_frame > ETH_HLEN + netif.mtu ?
            " (large send)" : "");
    serve_forever();
    return 0;
}
