/*
 * tcp.c: the server side of TCP (RFC 9293) on one listening port.
 *
 * - Passive open only; SYN-ACK with MSS and, if offered, window scaling
 *   (RFC 7323; our own shift is 0, our window is small). Half-open
 *   connections are bounded: past the limit a SYN is answered with a SYN
 *   cookie (RFC 4987 3.6) and costs no state, so a SYN flood neither
 *   exhausts memory nor turns away real clients.
 * - In-order delivery: a segment that does not start at RCV.NXT is dropped
 *   and answered by a duplicate ACK (the sender retransmits it). The
 *   window advertised is the free space of the connection's request buffer.
 * - Nothing sent is copied: the send side is a queue of responses whose
 *   bytes are regenerated from the content store on (re)transmission, so a
 *   connection costs its TCB and its request buffer, whatever it downloads.
 * - Retransmission timer per RFC 6298 (Karn's rule, exponential backoff)
 *   with a 200 ms floor instead of 1 s (as Linux does on LANs, allowed by
 *   RFC 6298 section 2.4's "may"); congestion control per RFC 5681 with
 *   fast retransmit and NewReno-style recovery (RFC 6582) without SACK.
 * - Large send: when the device segments large frames (netif.max_frame
 *   beyond the MTU) and the connection's MSS is our own, a segment carries
 *   up to a whole number of MSS in one frame, which the host cuts into
 *   MSS-sized ones; everything else (windows, retransmission) counts bytes
 *   as before. Fast retransmits resend one MSS.
 * - RST processing per RFC 5961 (challenge ACKs), FIN in every state,
 *   TIME_WAIT (2 MSL) whose slots are recycled oldest first when the pool
 *   is exhausted, and idle connections closed after KEEPALIVE_NS.
 */

#include "httpd.h"

#define HTTP_PORT 80
#define TCP_HLEN 20
#define QLEN 16                          /* responses queued per connection */
#define MSEC 1000000ULL
#define RTO_INIT (1000 * MSEC)
#define RTO_MIN (200 * MSEC)
#define RTO_MAX (60000 * MSEC)
#define RETRIES_MAX 8                    /* then the connection is reset */
#define SYN_RETRIES_MAX 4
#define KEEPALIVE_NS (30000 * MSEC)      /* idle connection: closed */
#define FIN_WAIT_2_NS (30000 * MSEC)
#define TIME_WAIT_NS (60000 * MSEC)      /* 2 MSL, MSL = 30 s */
#define CWND_MAX (1U << 30)

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16, F_URG = 32 };
enum state {
    CLOSED, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2,
    CLOSING, LAST_ACK, TIME_WAIT
};
static const char *const state_names[] = {
    "CLOSED", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSING", "LAST_ACK", "TIME_WAIT"
};
enum { L_FREE, L_SYN, L_LIVE, L_TW, L_COUNT }; /* which list a TCB is on */

struct tcb {
    struct tcb *hnext;          /* hash chain */
    struct tcb *prev, *next;    /* its list (FIFO: the head is the oldest) */
    uint8_t state, list;
    uint8_t mac[ETH_ALEN];      /* where the peer's frames come from */
    uint32_t raddr;
    uint16_t rport, mss;
    uint8_t snd_shift, retries, dupacks;
    bool closing;               /* no more responses: FIN after the queue */
    bool dirty;                 /* on the output list */
    bool need_ack;
    bool rtt_on, recovering;
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t rcv_nxt, cwnd, ssthresh, recover, rtt_seq;
    uint64_t srtt, rttvar, rto, rtt_start; /* ns */
    uint64_t rto_at, timer_at;  /* deadlines, 0 = off */
    uint64_t una_off;           /* stream offset of SND.UNA */
    uint64_t q_off;             /* stream offset of q[qhead] */
    uint64_t end_off;           /* stream offset after the queue */
    struct resp q[QLEN];
    uint8_t qhead, qcount;
    uint32_t rlen;
    uint8_t *rbuf;
};

static struct tcp_config cfg;
static struct tcb *tcbs;
static struct tcb **hash;
static uint32_t hash_mask;
static struct tcb *lists[L_COUNT];
static struct tcb *tails[L_COUNT];
static unsigned counts[L_COUNT];
static struct tcb **dirty;
static unsigned ndirty;
static uint64_t secret;
static uint8_t frame[ETH_HLEN + 65536];

static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint32_t hash_of(uint32_t raddr, uint16_t rport)
{
    return (uint32_t)mix(secret ^ ((uint64_t)raddr << 16 | rport)) & hash_mask;
}

/* --- pool and lists -------------------------------------------------- */

static void list_remove(struct tcb *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        lists[t->list] = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        tails[t->list] = t->prev;
    counts[t->list]--;
    t->prev = t->next = NULL;
}

static void list_append(struct tcb *t, unsigned l)
{
    t->list = (uint8_t)l;
    t->next = NULL;
    t->prev = tails[l];
    if (tails[l])
        tails[l]->next = t;
    else
        lists[l] = t;
    tails[l] = t;
    counts[l]++;
}

static void list_move(struct tcb *t, unsigned l)
{
    list_remove(t);
    list_append(t, l);
}

size_t tcp_init(const struct tcp_config *c, uint8_t *heap, size_t heap_size)
{
    cfg = *c;
    uint32_t buckets = 1;
    while (buckets < cfg.max_conns)
        buckets <<= 1;
    size_t need = (size_t)cfg.max_conns * (sizeof(struct tcb) + cfg.rbuf_size +
            sizeof(struct tcb *)) + buckets * sizeof(struct tcb *) + 64;
    if (need > heap_size || cfg.max_conns == 0 || cfg.rbuf_size < 512)
        return 0;
    uint8_t *p = (uint8_t *)(((uintptr_t)heap + 63) & ~(uintptr_t)63);
    tcbs = (struct tcb *)p;
    p += (size_t)cfg.max_conns * sizeof(struct tcb);
    hash = (struct tcb **)p;
    p += buckets * sizeof(struct tcb *);
    dirty = (struct tcb **)p;
    p += (size_t)cfg.max_conns * sizeof(struct tcb *);
    hash_mask = buckets - 1;
    memset(hash, 0, buckets * sizeof(struct tcb *));
    memset(lists, 0, sizeof lists);
    memset(tails, 0, sizeof tails);
    memset(counts, 0, sizeof counts);
    ndirty = 0;
    for (unsigned i = 0; i < cfg.max_conns; i++) {
        memset(&tcbs[i], 0, sizeof tcbs[i]);
        tcbs[i].rbuf = p;
        p += cfg.rbuf_size;
        list_append(&tcbs[i], L_FREE);
    }
    secret = mix(plat_wall() ^ mix(plat_now()));
    return need;
}

unsigned tcp_active(void)
{
    return cfg.max_conns - counts[L_FREE];
}

static struct tcb *lookup(uint32_t raddr, uint16_t rport)
{
    for (struct tcb *t = hash[hash_of(raddr, rport)]; t; t = t->hnext)
        if (t->raddr == raddr && t->rport == rport)
            return t;
    return NULL;
}

static void tcb_free(struct tcb *t)
{
    struct tcb **pp = &hash[hash_of(t->raddr, t->rport)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
    t->hnext = NULL;
    t->state = CLOSED;
    list_move(t, L_FREE);
}

/* A free TCB, recycling the oldest TIME_WAIT one if none is free. */
static struct tcb *tcb_alloc(void)
{
    if (!lists[L_FREE] && lists[L_TW]) {
        stats.tcp_tw_recycled++;
        tcb_free(lists[L_TW]);
    }
    return lists[L_FREE];
}

static void set_state(struct tcb *t, enum state s)
{
    hlog(LOG_DEBUG, "tcp %u: %s -> %s", (unsigned)t->rport,
            state_names[t->state], state_names[s]);
    t->state = (uint8_t)s;
    unsigned l = s == SYN_RCVD ? L_SYN : s == TIME_WAIT ? L_TW : L_LIVE;
    if (t->list != l)
        list_move(t, l);
}

static void mark_dirty(struct tcb *t)
{
    if (!t->dirty && ndirty < cfg.max_conns) {
        t->dirty = true;
        dirty[ndirty++] = t;
    }
}

/* --- the send stream ------------------------------------------------- */

static uint64_t resp_len(const struct resp *r)
{
    return r->hdr_len + r->body_len;
}

/* Copies len bytes of the stream at off (not yet acknowledged) to dst. */
static void stream_copy(struct tcb *t, uint64_t off, uint8_t *dst, size_t len)
{
    uint64_t base = t->q_off;
    unsigned k = 0;
    while (k < t->qcount && len) {
        const struct resp *r = &t->q[(t->qhead + k) % QLEN];
        uint64_t total = resp_len(r);
        if (off >= base + total) {
            base += total;
            k++;
            continue;
        }
        uint64_t in = off - base;
        size_t n;
        if (in < r->hdr_len) {
            char h[512];
            http_header(r, h, sizeof h);
            n = (size_t)MIN((uint64_t)len, r->hdr_len - in);
            memcpy(dst, h + in, n);
        } else {
            n = (size_t)MIN((uint64_t)len, total - in);
            http_body(r, in - r->hdr_len, dst, n);
        }
        dst += n;
        len -= n;
        off += n;
    }
}

static uint32_t rcv_wnd(const struct tcb *t)
{
    return cfg.rbuf_size - t->rlen;
}

/* The sequence number of our FIN (valid once closing). */
static uint32_t fin_seq(const struct tcb *t)
{
    return t->iss + 1 + (uint32_t)t->end_off;
}

static bool fin_sent(const struct tcb *t)
{
    return t->closing && seq_lt(fin_seq(t), t->snd_max);
}

/* --- segments ---------------------------------------------------------- */

static void send_seg(struct tcb *t, uint32_t seq, uint8_t flags, size_t len)
{
    uint8_t *tcp = frame + ETH_HLEN + IP_HLEN;
    size_t hl = TCP_HLEN;
    if (flags & F_SYN) {
        uint8_t *o = tcp + TCP_HLEN;
        o[0] = 2;   /* MSS */
        o[1] = 4;
        put16(o + 2, (uint16_t)(netif.mtu - IP_HLEN - TCP_HLEN));
        hl += 4;
        if (t->snd_shift != 0xff) {
            o[4] = 1;   /* NOP, then window scale 0 */
            o[5] = 3;
            o[6] = 3;
            o[7] = 0;
            hl += 4;
        }
    }
    put16(tcp, HTTP_PORT);
    put16(tcp + 2, t->rport);
    put32(tcp + 4, seq);
    put32(tcp + 8, t->rcv_nxt);
    tcp[12] = (uint8_t)(hl / 4) << 4;
    tcp[13] = flags | F_ACK;
    put16(tcp + 14, (uint16_t)MIN(rcv_wnd(t), 65535u));
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    if (len)
        stream_copy(t, t->una_off + (seq - t->snd_una), tcp + hl, len);
    /* A large frame's checksum is the host's to fill (solo5_ext.h). */
    if (IP_HLEN + hl + len <= netif.mtu) {
        uint64_t sum = csum_pseudo(netif.ip, t->raddr, IP_TCP, hl + len);
        put16(tcp + 16, csum_fold(csum_add(sum, tcp, hl + len)));
    }
    ip_send(frame, hl + len, IP_TCP, t->raddr, t->mac);
    t->need_ack = false;
}

/* A reset answering a segment that has no connection (RFC 9293 3.10.7.1). */
static void send_reset(const uint8_t *ip, const uint8_t *tcp, size_t seglen,
        const uint8_t *mac)
{
    uint8_t flags = tcp[13];
    if (flags & F_RST)
        return;
    uint8_t *o = frame + ETH_HLEN + IP_HLEN;
    put16(o, get16(tcp + 2));
    put16(o + 2, get16(tcp));
    if (flags & F_ACK) {
        put32(o + 4, get32(tcp + 8));
        put32(o + 8, 0);
        o[13] = F_RST;
    } else {
        put32(o + 4, 0);
        put32(o + 8, get32(tcp + 4) + (uint32_t)seglen);
        o[13] = F_RST | F_ACK;
    }
    o[12] = TCP_HLEN / 4 << 4;
    put16(o + 14, 0);
    put16(o + 16, 0);
    put16(o + 18, 0);
    uint32_t src = get32(ip + 12);
    put16(o + 16, csum_fold(csum_add(csum_pseudo(netif.ip, src, IP_TCP,
            TCP_HLEN), o, TCP_HLEN)));
    stats.tcp_resets_sent++;
    ip_send(frame, TCP_HLEN, IP_TCP, src, mac);
}

/* The earliest deadline armed since the last scan (tcp_timers). */
static uint64_t next_deadline = UINT64_MAX;

uint64_t tcp_deadline(void)
{
    return next_deadline;
}

static void arm_rto(struct tcb *t, uint64_t now)
{
    t->rto_at = now + t->rto;
    if (t->rto_at < next_deadline)
        next_deadline = t->rto_at;
}

static void set_timer(struct tcb *t, uint64_t at)
{
    t->timer_at = at;
    if (at < next_deadline)
        next_deadline = at;
}

/*
 * The most data one segment of t carries: its MSS, or with large send (and
 * the MSS the host will cut at: our own) as many whole MSS as a frame holds.
 */
static size_t seg_max(const struct tcb *t)
{
    size_t frame_max = netif.max_frame - ETH_HLEN - IP_HLEN - TCP_HLEN;
    if (netif.max_frame <= ETH_HLEN + netif.mtu || frame_max <= t->mss ||
            t->mss != netif.mtu - IP_HLEN - TCP_HLEN)
        return t->mss;
    return frame_max - frame_max % t->mss;
}

/* Sends what the windows allow, the FIN after the last response. */
static void output(struct tcb *t)
{
    if (t->state == CLOSED || t->state == SYN_RCVD || t->state == TIME_WAIT) {
        if (t->need_ack && t->state == TIME_WAIT)
            send_seg(t, t->snd_nxt, 0, 0);
        return;
    }
    uint64_t now = plat_now();
    uint32_t wnd = MIN(t->cwnd, t->snd_wnd);
    for (;;) {
        uint32_t inflight = t->snd_nxt - t->snd_una;
        uint64_t nxt_off = t->una_off + inflight;
        if (t->closing && seq_lt(fin_seq(t), t->snd_nxt))
            break; /* the FIN is out */
        uint64_t avail = t->end_off > nxt_off ? t->end_off - nxt_off : 0;
        uint32_t room = wnd > inflight ? wnd - inflight : 0;
        size_t len = (size_t)MIN(avail, (uint64_t)MIN(room, seg_max(t)));
        /* Avoid silly segments while more waits for the window. */
        if (len < avail && len < t->mss && inflight > 0)
            break;
        /* A large segment not at the end: whole MSS only. */
        if (len > t->mss && len < avail)
            len -= len % t->mss;
        bool fin = t->closing && nxt_off + len == t->end_off;
        if (len == 0 && !fin)
            break;
        uint8_t flags = (uint8_t)((fin ? F_FIN : 0) |
            (len && nxt_off + len == t->end_off ? F_PSH : 0));
        bool retransmit = seq_lt(t->snd_nxt, t->snd_max);
        send_seg(t, t->snd_nxt, flags, len);
        if (!t->rtt_on && !retransmit) {
            t->rtt_on = true;
            t->rtt_seq = t->snd_nxt;
            t->rtt_start = now;
        }
        t->snd_nxt += (uint32_t)len + fin;
        if (seq_lt(t->snd_max, t->snd_nxt))
            t->snd_max = t->snd_nxt;
        if (!t->rto_at)
            arm_rto(t, now);
        if (fin) {
            if (t->state == ESTABLISHED)
                set_state(t, FIN_WAIT_1);
            else if (t->state == CLOSE_WAIT)
                set_state(t, LAST_ACK);
            break;
        }
    }
    /* Nothing fits a zero window: the timer probes it. */
    if (t->snd_wnd == 0 && !t->rto_at && t->end_off > t->una_off)
        arm_rto(t, now);
    if (t->need_ack)
        send_seg(t, t->snd_nxt, 0, 0);
}

void tcp_flush(void)
{
    for (unsigned i = 0; i < ndirty; i++) {
        struct tcb *t = dirty[i];
        t->dirty = false;
        if (t->state != CLOSED)
            output(t);
    }
    ndirty = 0;
}

/* --- the application's side -------------------------------------------- */

void tcp_view(struct tcb *t, struct tcp_conn_view *v)
{
    v->data = t->rbuf;
    v->len = t->rlen;
    v->cap = cfg.rbuf_size;
    v->peer_closed = t->state == CLOSE_WAIT || t->state == LAST_ACK ||
        t->state == CLOSING || t->state == TIME_WAIT;
}

void tcp_consume(struct tcb *t, size_t n)
{
    if (n > t->rlen)
        n = t->rlen;
    uint32_t before = rcv_wnd(t);
    memmove(t->rbuf, t->rbuf + n, t->rlen - n);
    t->rlen -= (uint32_t)n;
    /* Tell the peer the window opened, if it was nearly shut. */
    if (before < t->mss && rcv_wnd(t) >= t->mss) {
        t->need_ack = true;
        mark_dirty(t);
    }
}

bool tcp_queue_full(const struct tcb *t)
{
    return t->qcount == QLEN || t->closing;
}

bool tcp_queue(struct tcb *t, const struct resp *r)
{
    if (tcp_queue_full(t))
        return false;
    t->q[(t->qhead + t->qcount) % QLEN] = *r;
    t->qcount++;
    t->end_off += resp_len(r);
    mark_dirty(t);
    return true;
}

void tcp_close(struct tcb *t)
{
    if (t->closing)
        return;
    t->closing = true;
    t->rlen = 0; /* whatever else was sent is not going to be answered */
    mark_dirty(t);
}

/* --- input --------------------------------------------------------------- */

struct seg {
    uint32_t seq, ack, len; /* len: payload bytes */
    uint32_t wnd;
    uint8_t flags;
    const uint8_t *data;
};

/* MSS and window scale from a SYN's options; malformed options end it. */
static void parse_syn_options(struct tcb *t, const uint8_t *o, size_t len)
{
    t->mss = 536;
    t->snd_shift = 0xff; /* no scaling */
    size_t i = 0;
    while (i < len) {
        uint8_t kind = o[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
            break; /* truncated or contradictory: ignore the rest */
        uint8_t olen = o[i + 1];
        if (kind == 2 && olen == 4)
            t->mss = get16(o + i + 2);
        else if (kind == 3 && olen == 3)
            t->snd_shift = MIN(o[i + 2], 14);
        i += olen;
    }
    size_t ours = netif.mtu - IP_HLEN - TCP_HLEN;
    if (t->mss > ours)
        t->mss = (uint16_t)ours;
    if (t->mss < 64)
        t->mss = 64; /* RFC 9293 3.7.1: a tiny MSS is a resource attack */
}

static uint32_t make_iss(uint32_t raddr, uint16_t rport)
{
    /* RFC 6528: a 4 µs clock plus a keyed hash of the connection. */
    return (uint32_t)(plat_now() / 4000) +
        (uint32_t)mix(secret + ((uint64_t)raddr << 16 | rport));
}

/*
 * SYN cookies: the ISS carries a keyed hash of the connection and the
 * client's ISN, a 64-second time slot (5 bits) and the MSS (3 bits, an
 * index into cookie_mss), so the ACK that completes the handshake can be
 * checked and the connection made without state kept since the SYN. The
 * window scale is not kept: such connections run unscaled.
 */
static const uint16_t cookie_mss[8] = { 536, 1200, 1360, 1440, 1460, 4312, 8960, 9000 };

static uint32_t cookie_hash(uint32_t raddr, uint16_t rport, uint32_t isn,
        uint32_t slot, uint32_t mss_idx)
{
    return (uint32_t)mix(mix(secret ^ ((uint64_t)raddr << 16 | rport)) ^
            ((uint64_t)isn << 8 | (slot & 31) << 3 | mss_idx));
}

static uint32_t cookie_slot(void)
{
    return (uint32_t)(plat_now() >> 36); /* 2^36 ns: about 69 s */
}

static uint32_t cookie_make(uint32_t raddr, uint16_t rport, uint32_t isn,
        uint16_t mss)
{
    uint32_t idx = 0;
    while (idx < 7 && cookie_mss[idx + 1] <= mss)
        idx++;
    uint32_t slot = cookie_slot() & 31;
    return (cookie_hash(raddr, rport, isn, slot, idx) & ~0xffU) |
        slot << 3 | idx;
}

/* The MSS the cookie in ack carries, or 0 if it is not ours or too old. */
static uint16_t cookie_check(uint32_t raddr, uint16_t rport, uint32_t seq,
        uint32_t ack)
{
    uint32_t c = ack - 1, slot = (c >> 3) & 31, idx = c & 7, now = cookie_slot();
    if (slot != (now & 31) && slot != ((now - 1) & 31))
        return 0;
    if ((cookie_hash(raddr, rport, seq - 1, slot, idx) & ~0xffU) != (c & ~0xffU))
        return 0;
    return cookie_mss[idx];
}

/* Sends a SYN-ACK for a SYN whose state is not kept (its cookie). */
static void send_cookie(const uint8_t *ip, const uint8_t *tcp, size_t hl,
        const struct seg *s, const uint8_t *mac)
{
    struct tcb tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.raddr = get32(ip + 12);
    tmp.rport = get16(tcp);
    memcpy(tmp.mac, mac, ETH_ALEN);
    parse_syn_options(&tmp, tcp + TCP_HLEN, hl - TCP_HLEN);
    tmp.snd_shift = 0xff;  /* no scaling offered back: it is not kept */
    tmp.rcv_nxt = s->seq + 1;
    stats.tcp_syn_cookies++;
    send_seg(&tmp, cookie_make(tmp.raddr, tmp.rport, s->seq, tmp.mss), F_SYN, 0);
}

/* Fills a fresh TCB for raddr:rport (on the free list) and hashes it. */
static void tcb_setup(struct tcb *t, uint32_t raddr, uint16_t rport,
        const uint8_t *mac)
{
    struct tcb **bucket = &hash[hash_of(raddr, rport)];
    struct tcb *keep = t->prev, *keepn = t->next;
    uint8_t *rbuf = t->rbuf;
    uint8_t list = t->list;
    bool was_dirty = t->dirty; /* it may still be on the output list */
    memset(t, 0, sizeof *t);
    t->dirty = was_dirty;
    t->prev = keep;
    t->next = keepn;
    t->list = list;
    t->rbuf = rbuf;
    t->raddr = raddr;
    t->rport = rport;
    memcpy(t->mac, mac, ETH_ALEN);
    t->hnext = *bucket;
    *bucket = t;
    t->ssthresh = 0x7fffffff;
    t->rto = RTO_INIT;
}

static void conn_input(struct tcb *t, const uint8_t *ip, const uint8_t *tcp,
        struct seg *s, const uint8_t *mac);

/* The ACK of a SYN cookie: the connection is made here, established. */
static bool cookie_accept(const uint8_t *ip, const uint8_t *tcp,
        struct seg *s, const uint8_t *mac)
{
    uint32_t raddr = get32(ip + 12);
    uint16_t rport = get16(tcp);
    if ((s->flags & (F_SYN | F_RST | F_ACK)) != F_ACK)
        return false;
    uint16_t mss = cookie_check(raddr, rport, s->seq, s->ack);
    if (!mss)
        return false;
    struct tcb *t = tcb_alloc();
    if (!t) {
        stats.tcp_refused++;
        return true; /* a valid cookie but no room: dropped, not reset */
    }
    tcb_setup(t, raddr, rport, mac);
    t->mss = (uint16_t)MIN((size_t)mss, netif.mtu - IP_HLEN - TCP_HLEN);
    t->snd_shift = 0xff;
    t->iss = s->ack - 1;
    t->snd_una = t->snd_nxt = t->snd_max = s->ack;
    t->rcv_nxt = s->seq;
    t->snd_wnd = s->wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    t->cwnd = 10 * t->mss;
    set_state(t, ESTABLISHED);
    set_timer(t, plat_now() + KEEPALIVE_NS);
    stats.tcp_accepted++;
    conn_input(t, ip, tcp, s, mac);
    return true;
}

static void listen_input(const uint8_t *ip, const uint8_t *tcp, size_t hl,
        struct seg *s, const uint8_t *mac)
{
    if (s->flags & F_RST)
        return;
    if (s->flags & F_ACK) {
        if (!cookie_accept(ip, tcp, s, mac))
            send_reset(ip, tcp, s->len, mac);
        return;
    }
    if (!(s->flags & F_SYN) || (s->flags & F_FIN))
        return;
    if (counts[L_SYN] >= cfg.max_half_open) {
        send_cookie(ip, tcp, hl, s, mac);
        return;
    }
    struct tcb *t = tcb_alloc();
    if (!t) {
        send_cookie(ip, tcp, hl, s, mac); /* the ACK may find room */
        return;
    }
    uint32_t raddr = get32(ip + 12);
    uint16_t rport = get16(tcp);
    tcb_setup(t, raddr, rport, mac);
    parse_syn_options(t, tcp + TCP_HLEN, hl - TCP_HLEN);
    t->rcv_nxt = s->seq + 1;
    t->iss = make_iss(raddr, rport);
    t->snd_una = t->iss;
    t->snd_nxt = t->snd_max = t->iss + 1;
    t->snd_wnd = s->wnd; /* never scaled in a SYN */
    t->cwnd = 10 * t->mss; /* RFC 6928 */
    set_state(t, SYN_RCVD);
    stats.tcp_accepted++;
    send_seg(t, t->iss, F_SYN, 0);
    arm_rto(t, plat_now());
}

/* RFC 9293 3.10.7.4, first check: is the segment in the window? */
static bool acceptable(const struct tcb *t, const struct seg *s)
{
    uint32_t wnd = rcv_wnd(t);
    uint32_t len = s->len + !!(s->flags & F_SYN) + !!(s->flags & F_FIN);
    if (len == 0)
        return wnd == 0 ? s->seq == t->rcv_nxt :
            seq_le(t->rcv_nxt, s->seq) && seq_lt(s->seq, t->rcv_nxt + wnd);
    if (wnd == 0)
        return false;
    uint32_t last = s->seq + len - 1;
    return (seq_le(t->rcv_nxt, s->seq) && seq_lt(s->seq, t->rcv_nxt + wnd)) ||
        (seq_le(t->rcv_nxt, last) && seq_lt(last, t->rcv_nxt + wnd));
}

static void rtt_sample(struct tcb *t, uint64_t now)
{
    uint64_t r = now - t->rtt_start;
    if (t->srtt == 0) {
        t->srtt = r;
        t->rttvar = r / 2;
    } else {
        uint64_t d = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    t->rto = t->srtt + MAX(4 * t->rttvar, MSEC);
    t->rto = MAX(t->rto, RTO_MIN);
    t->rto = MIN(t->rto, RTO_MAX);
    t->rtt_on = false;
}

/* Drops the responses the peer has acknowledged in full. */
static void pop_acked(struct tcb *t)
{
    while (t->qcount && t->una_off >= t->q_off + resp_len(&t->q[t->qhead])) {
        t->q_off += resp_len(&t->q[t->qhead]);
        t->qhead = (t->qhead + 1) % QLEN;
        t->qcount--;
    }
}

/* A new cumulative ACK: advance, time, grow the window (RFC 5681). */
static void ack_advance(struct tcb *t, uint32_t ack, uint64_t now)
{
    uint32_t acked = ack - t->snd_una;
    uint32_t data = acked;
    if (t->closing && seq_lt(fin_seq(t), ack))
        data--; /* the FIN's sequence number is no byte */
    t->una_off += data;
    t->snd_una = ack;
    if (seq_lt(t->snd_nxt, ack))
        t->snd_nxt = ack;
    if (t->rtt_on && seq_lt(t->rtt_seq, ack))
        rtt_sample(t, now);
    t->retries = 0;
    if (t->recovering) {
        if (seq_lt(ack, t->recover)) {
            /* A partial ACK: the next hole is lost too. */
            send_seg(t, t->snd_una, 0, (size_t)MIN((uint64_t)t->mss,
                    t->end_off - t->una_off));
            t->cwnd = t->cwnd > acked ? t->cwnd - acked + t->mss : t->mss;
        } else {
            t->recovering = false;
            t->cwnd = t->ssthresh;
        }
    } else if (t->cwnd < t->ssthresh) {
        /* Per segment the peer saw: a large one is many (RFC 3465). */
        t->cwnd = MIN(t->cwnd + MIN(acked, (uint32_t)seg_max(t)), CWND_MAX);
    } else {
        t->cwnd = MIN(t->cwnd + MAX(1u, t->mss * t->mss / t->cwnd), CWND_MAX);
    }
    t->dupacks = 0;
    pop_acked(t);
    if (t->snd_una == t->snd_max)
        t->rto_at = 0;
    else
        arm_rto(t, now);
}

static void dup_ack(struct tcb *t)
{
    if (t->snd_una == t->snd_max || ++t->dupacks < 3) {
        if (t->recovering)
            t->cwnd += t->mss;
        return;
    }
    if (t->dupacks == 3 && !t->recovering) {
        uint32_t flight = t->snd_max - t->snd_una;
        t->ssthresh = MAX(flight / 2, 2u * t->mss);
        t->recover = t->snd_max;
        t->recovering = true;
        t->cwnd = t->ssthresh + 3u * t->mss;
        t->rtt_on = false;
        stats.tcp_retransmits++;
        uint64_t left = t->end_off - t->una_off;
        send_seg(t, t->snd_una, 0, (size_t)MIN((uint64_t)t->mss, left));
    } else if (t->recovering) {
        t->cwnd += t->mss;
    }
}

enum ack_result {
    ACK_OK,     /* go on with the segment's data */
    ACK_DROP,   /* drop it (an ACK may be due) */
    ACK_RESET,  /* answer with a reset */
    ACK_FREED   /* the connection ended (our FIN acknowledged in LAST_ACK) */
};

/* The ACK field of a segment on a synchronized connection. */
static enum ack_result ack_input(struct tcb *t, const struct seg *s, uint64_t now)
{
    if (t->state == SYN_RCVD) {
        if (!seq_lt(t->snd_una, s->ack) || seq_lt(t->snd_max, s->ack))
            return ACK_RESET;
        t->snd_una = s->ack;
        t->snd_wl1 = s->seq;
        t->snd_wl2 = s->ack;
        t->snd_wnd = s->wnd;
        t->rto_at = 0;
        t->retries = 0;
        set_timer(t, now + KEEPALIVE_NS);
        set_state(t, ESTABLISHED);
        return ACK_OK;
    }
    if (seq_lt(t->snd_max, s->ack)) {
        t->need_ack = true; /* acknowledges what we never sent */
        return ACK_DROP;
    }
    if (seq_lt(t->snd_una, s->ack))
        ack_advance(t, s->ack, now);
    else if (s->ack == t->snd_una && s->len == 0 &&
            !(s->flags & F_FIN) && s->wnd == t->snd_wnd)
        dup_ack(t);
    if (seq_lt(t->snd_wl1, s->seq) ||
            (t->snd_wl1 == s->seq && seq_le(t->snd_wl2, s->ack))) {
        t->snd_wnd = s->wnd;
        t->snd_wl1 = s->seq;
        t->snd_wl2 = s->ack;
    }
    /* A peer answering our window probes is alive: probing goes on. */
    if (t->snd_wnd == 0 && s->ack == t->snd_una)
        t->retries = 0;
    if (fin_sent(t) && t->snd_una == t->snd_max) {
        if (t->state == FIN_WAIT_1) {
            set_state(t, FIN_WAIT_2);
            set_timer(t, now + FIN_WAIT_2_NS);
        } else if (t->state == CLOSING) {
            set_state(t, TIME_WAIT);
            set_timer(t, now + TIME_WAIT_NS);
        } else if (t->state == LAST_ACK) {
            tcb_free(t);
            return ACK_FREED;
        }
    }
    return ACK_OK;
}

/* Payload and FIN, in order only. Returns true if the app has news. */
static bool data_input(struct tcb *t, struct seg *s, uint64_t now)
{
    bool news = false;
    if (s->len && (t->state == ESTABLISHED || t->state == FIN_WAIT_1 ||
            t->state == FIN_WAIT_2)) {
        uint32_t skip = seq_lt(s->seq, t->rcv_nxt) ? t->rcv_nxt - s->seq : 0;
        if (skip >= s->len) {
            t->need_ack = true; /* all old: a retransmission */
            return false;
        }
        if (s->seq + skip != t->rcv_nxt) {
            t->need_ack = true; /* out of order: dropped, dup ACK */
            return false;
        }
        uint32_t n = MIN(s->len - skip, rcv_wnd(t));
        if (!t->closing) {
            memcpy(t->rbuf + t->rlen, s->data + skip, n);
            t->rlen += n;
        }
        t->rcv_nxt += n;
        t->need_ack = true;
        news = true;
        if (n < s->len - skip)
            return news; /* beyond the window: the FIN waits too */
    }
    if ((s->flags & F_FIN) && s->seq + s->len == t->rcv_nxt &&
            t->state != CLOSE_WAIT && t->state != CLOSING &&
            t->state != LAST_ACK) {
        if (t->state == TIME_WAIT) {
            t->need_ack = true; /* a retransmitted FIN: ACK, restart */
            set_timer(t, now + TIME_WAIT_NS);
            return false;
        }
        t->rcv_nxt++;
        t->need_ack = true;
        news = true;
        if (t->state == ESTABLISHED) {
            set_state(t, CLOSE_WAIT);
        } else if (t->state == FIN_WAIT_1) {
            set_state(t, CLOSING);
        } else if (t->state == FIN_WAIT_2) {
            set_state(t, TIME_WAIT);
            set_timer(t, now + TIME_WAIT_NS);
        }
    } else if ((s->flags & F_FIN) && t->state == TIME_WAIT) {
        t->need_ack = true;
        set_timer(t, now + TIME_WAIT_NS);
    }
    return news;
}

static void conn_input(struct tcb *t, const uint8_t *ip, const uint8_t *tcp,
        struct seg *s, const uint8_t *mac)
{
    uint64_t now = plat_now();
    /* A new SYN on a TIME_WAIT pair may reopen it (RFC 9293 3.10.7.4). */
    if (t->state == TIME_WAIT && (s->flags & F_SYN) && !(s->flags & F_ACK) &&
            seq_lt(t->rcv_nxt, s->seq)) {
        tcb_free(t);
        listen_input(ip, tcp, (size_t)(tcp[12] >> 4) * 4, s, mac);
        return;
    }
    if (t->state == SYN_RCVD && (s->flags & F_SYN) && !(s->flags & F_ACK) &&
            s->seq + 1 == t->rcv_nxt) {
        send_seg(t, t->iss, F_SYN, 0); /* our SYN-ACK was lost */
        return;
    }
    if (!acceptable(t, s)) {
        if (!(s->flags & F_RST)) {
            t->need_ack = true;
            mark_dirty(t);
        }
        return;
    }
    if (s->flags & F_RST) {
        if (s->seq == t->rcv_nxt) {
            hlog(LOG_DEBUG, "tcp %u: reset by peer", (unsigned)t->rport);
            tcb_free(t);
        } else {
            t->need_ack = true; /* RFC 5961 3.2: a challenge ACK */
            mark_dirty(t);
        }
        return;
    }
    if (s->flags & F_SYN) {
        t->need_ack = true; /* RFC 5961 4.2 */
        mark_dirty(t);
        return;
    }
    if (!(s->flags & F_ACK))
        return;
    if (t->snd_shift != 0xff)
        s->wnd <<= t->snd_shift; /* every window after the SYNs is scaled */
    enum ack_result r = ack_input(t, s, now);
    if (r != ACK_OK) {
        if (r == ACK_RESET)
            send_reset(ip, tcp, s->len, mac);
        else if (r == ACK_DROP)
            mark_dirty(t);
        return;
    }
    if (t->state == ESTABLISHED || t->state == CLOSE_WAIT)
        set_timer(t, now + KEEPALIVE_NS);
    memcpy(t->mac, mac, ETH_ALEN);
    if (data_input(t, s, now) || t->rlen)
        http_process(t);
    mark_dirty(t);
}

void tcp_input(const uint8_t *ip, size_t ihl, size_t total, const uint8_t *mac)
{
    size_t len = total - ihl;
    const uint8_t *tcp = ip + ihl;
    if (len < TCP_HLEN) {
        stats.rx_dropped++;
        return;
    }
    size_t hl = (size_t)(tcp[12] >> 4) * 4;
    uint32_t src = get32(ip + 12);
    if (hl < TCP_HLEN || hl > len ||
            csum_fold(csum_add(csum_pseudo(src, netif.ip, IP_TCP, len),
                    tcp, len)) != 0) {
        stats.rx_dropped++;
        return;
    }
    struct seg s = {
        .seq = get32(tcp + 4), .ack = get32(tcp + 8),
        .len = (uint32_t)(len - hl), .wnd = get16(tcp + 14),
        .flags = tcp[13] & 0x3f, .data = tcp + hl,
    };
    if (get16(tcp + 2) != HTTP_PORT) {
        send_reset(ip, tcp, s.len + !!(s.flags & F_SYN) + !!(s.flags & F_FIN),
                mac);
        return;
    }
    struct tcb *t = lookup(src, get16(tcp));
    if (t)
        conn_input(t, ip, tcp, &s, mac);
    else
        listen_input(ip, tcp, hl, &s, mac);
}

/* --- timers ---------------------------------------------------------- */

static void abort_conn(struct tcb *t)
{
    hlog(LOG_DEBUG, "tcp %u: aborted in %s", (unsigned)t->rport,
            state_names[t->state]);
    if (t->state != SYN_RCVD) {
        t->need_ack = false;
        send_seg(t, t->snd_nxt, F_RST, 0);
        stats.tcp_resets_sent++;
    }
    tcb_free(t);
}

static void on_rto(struct tcb *t, uint64_t now)
{
    t->rto_at = 0;
    unsigned limit = t->state == SYN_RCVD ? SYN_RETRIES_MAX : RETRIES_MAX;
    if (++t->retries > limit) {
        abort_conn(t);
        return;
    }
    t->rto = MIN(t->rto * 2, RTO_MAX);
    t->rtt_on = false;
    stats.tcp_retransmits++;
    if (t->state == SYN_RCVD) {
        send_seg(t, t->iss, F_SYN, 0);
        arm_rto(t, now);
        return;
    }
    if (t->snd_wnd == 0 && seq_le(t->snd_max, t->snd_una + 1) &&
            t->end_off > t->una_off) {
        /* A window probe: one byte beyond the closed window (again). */
        send_seg(t, t->snd_una, 0, 1);
        t->snd_nxt = t->snd_max = t->snd_una + 1;
        arm_rto(t, now);
        return;
    }
    if (t->snd_una == t->snd_max)
        return;
    uint32_t flight = t->snd_max - t->snd_una;
    t->ssthresh = MAX(flight / 2, 2u * t->mss);
    t->cwnd = t->mss;
    t->recovering = false;
    t->dupacks = 0;
    t->snd_nxt = t->snd_una; /* go back: resend from the first hole */
    arm_rto(t, now);
    output(t);
}

static void on_timer(struct tcb *t)
{
    t->timer_at = 0;
    if (t->state == ESTABLISHED || t->state == CLOSE_WAIT) {
        hlog(LOG_DEBUG, "tcp %u: idle, closing", (unsigned)t->rport);
        tcp_close(t);
    } else if (t->state == FIN_WAIT_2 || t->state == TIME_WAIT) {
        tcb_free(t);
    }
}

void tcp_timers(uint64_t now)
{
    if (now < next_deadline)
        return;
    next_deadline = UINT64_MAX;
    for (unsigned l = L_SYN; l < L_COUNT; l++) {
        struct tcb *next;
        for (struct tcb *t = lists[l]; t; t = next) {
            next = t->next;
            if (t->rto_at && now >= t->rto_at)
                on_rto(t, now);
            else if (t->timer_at && now >= t->timer_at)
                on_timer(t);
            /* What is still armed (on_* may have re-armed or freed). */
            if (t->state != CLOSED) {
                if (t->rto_at && t->rto_at < next_deadline)
                    next_deadline = t->rto_at;
                if (t->timer_at && t->timer_at < next_deadline)
                    next_deadline = t->timer_at;
            }
        }
    }
    tcp_flush();
}
