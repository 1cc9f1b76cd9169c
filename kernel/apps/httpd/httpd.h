/*
 * httpd.h: the HTTP unikernel's shared declarations: byte-order helpers,
 * the platform layer (platform.c on Solo5, a fake one for the fuzzer), and
 * the interface of each layer (eth.c, ip.c, tcp.c, http.c, store.c, log.c).
 *
 * The stack is single-threaded and event-driven: main.c reads one frame,
 * hands it up through eth_input(), and lets the TCP layer send what became
 * sendable. Every buffer comes from static pools or the Solo5 heap, sized
 * once at start: memory is bounded whatever the traffic.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* The freestanding C subset the kernel provides (and libc, for the fuzzer). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Network byte order. */
static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
        (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* --- platform.c (or the fuzzer's fake) ---------------------------------- */
uint64_t plat_now(void);             /* monotonic ns */
uint64_t plat_wall(void);            /* ns since the Unix epoch */
void plat_console(const char *s, size_t n);
void plat_net_send(const uint8_t *frame, size_t len);
/* Reads len bytes at off of the block device; false on failure. */
bool plat_block_read(uint64_t off, uint8_t *buf, size_t len);

/* --- log.c ------------------------------------------------------------- */
enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int hlog_level;
/* printf-like: %s %c %d %u %x %lu %lx %ld %zu %%, with widths like %02u. */
void hlog(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* snprintf with the same conversions; returns the length written. */
size_t fmt(char *buf, size_t size, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
/* "a.b.c.d" of a host-order address, into buf (16 bytes). */
const char *ip_str(uint32_t ip, char buf[16]);
/* Counters, printed at debug level and by the fuzzer. */
struct stats {
    uint64_t rx_frames, rx_dropped, tx_frames, arp_replies, icmp_echoes;
    uint64_t tcp_accepted, tcp_resets_sent, tcp_retransmits, tcp_syn_cookies;
    uint64_t tcp_tw_recycled, tcp_refused, http_requests, http_errors;
};
extern struct stats stats;

/* --- eth.c: Ethernet and ARP ------------------------------------------ */
#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
struct netif {
    uint8_t mac[ETH_ALEN];
    uint32_t ip, mask, gw; /* host order */
    size_t mtu;            /* IP bytes per frame */
    /* The largest frame the device takes: ETH_HLEN + mtu, or up to
     * ETH_HLEN + 65535 when it segments large TCP frames (large send). */
    size_t max_frame;
};
extern struct netif netif;
void eth_input(const uint8_t *frame, size_t len);
/*
 * Sends an IPv4 packet of len bytes at frame + ETH_HLEN (the caller leaves
 * room for the Ethernet header) to the next hop for dst. hint is the MAC
 * the peer's last frame came from, used when ARP has no entry yet.
 */
void eth_send_ipv4(uint8_t *frame, size_t len, uint32_t dst,
        const uint8_t *hint);

/* --- ip.c: IPv4, ICMP and the Internet checksum ------------------------ */
#define IP_HLEN 20
#define IP_TCP 6
#define IP_ICMP 1
/* Sum of 16-bit words, for csum_fold; len even except for the last piece. */
uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len);
/* The checksum field's value (put16 it) from a sum; 0 verifies a sum. */
uint16_t csum_fold(uint64_t sum);
uint64_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
void ip_input(const uint8_t *pkt, size_t len, const uint8_t *src_mac);
/* Fills the IP header at frame + ETH_HLEN for a payload of len and sends. */
void ip_send(uint8_t *frame, size_t payload_len, uint8_t proto, uint32_t dst,
        const uint8_t *hint);

/* --- tcp.c --------------------------------------------------------------- */
struct tcp_config {
    unsigned max_conns;     /* connection slots (static after start) */
    unsigned max_half_open; /* SYN_RCVD at once; the oldest goes first */
    unsigned rbuf_size;     /* request buffer per connection */
};
/* Returns the bytes of heap used, or 0 if heap_size cannot hold them. */
size_t tcp_init(const struct tcp_config *cfg, uint8_t *heap, size_t heap_size);
void tcp_input(const uint8_t *ip, size_t ihl, size_t len,
        const uint8_t *src_mac);
void tcp_flush(void);           /* send what became sendable */
void tcp_timers(uint64_t now);  /* retransmissions and state timers */
uint64_t tcp_deadline(void);    /* the earliest timer, or UINT64_MAX */
unsigned tcp_active(void);      /* connections in use */

/* The application side of a connection, used by http.c. */
struct tcb;
struct tcp_conn_view {
    uint8_t *data;   /* received bytes not consumed yet */
    size_t len;
    size_t cap;      /* the buffer's size: len == cap means full */
    bool peer_closed;
};
void tcp_view(struct tcb *t, struct tcp_conn_view *v);
void tcp_consume(struct tcb *t, size_t n);
/* A response: header (regenerated on demand from desc) then body. */
struct resp {
    uint64_t body_len;   /* 0 for HEAD and bodiless statuses */
    uint64_t date;       /* wall-clock seconds, for the Date header */
    uint32_t file;       /* store index (or an error body) */
    uint16_t hdr_len;
    uint8_t status;      /* enum http_status */
    uint8_t flags;       /* RESP_* */
};
#define RESP_CLOSE 1     /* "Connection: close"; the last response */
#define RESP_KEEPALIVE 2 /* "Connection: keep-alive" (an HTTP/1.0 client) */
#define RESP_HEAD 4      /* header only */
/* Queues r; false if the connection's queue is full. */
bool tcp_queue(struct tcb *t, const struct resp *r);
bool tcp_queue_full(const struct tcb *t);
/* No more responses: FIN once the queue is sent. */
void tcp_close(struct tcb *t);

/* --- http.c -------------------------------------------------------------- */
enum http_status { ST_200, ST_400, ST_404, ST_405, ST_431, ST_505, ST_COUNT };
/* Parses what the connection holds and queues responses. */
void http_process(struct tcb *t);
/* Writes the header of r into buf (at least 512 bytes); its length. */
size_t http_header(const struct resp *r, char *buf, size_t size);
/* Copies len bytes of the response's body at off into dst. */
void http_body(const struct resp *r, uint64_t off, uint8_t *dst, size_t len);

/* --- store.c: content ---------------------------------------------------- */
/* Opens the image on the block device if any; otherwise built-in pages. */
bool store_init(bool have_disk, uint64_t capacity, uint64_t block_size,
        uint8_t *mem, size_t mem_size);
/* The file for a decoded path, or -1. */
int store_lookup(const char *path, size_t len);
uint64_t store_size(int file);
/* The built-in body of an error status (http.c's pages). */
#define STORE_ERROR_BASE 0x40000000
const char *store_type(int file);
void store_copy(int file, uint64_t off, uint8_t *dst, size_t len);
unsigned store_count(void);

#endif /* HTTPD_H */
