/*
 * net.c: network devices for ukvm.
 *
 * Three paths. The base hvt ABI costs one exit per frame read, per frame
 * written and per yield. Upstream's network ring (ring.c), when the monitor
 * offers it and not NETIO, moves frames without exits but for yields. When
 * the monitor offers NETIO (ukvm_ext.h), frames move in batches instead:
 * solo5_net_write queues a frame here, and one NETIO exit sends every
 * queued frame and receives every frame that is waiting (up to the free
 * buffers), which solo5_net_read then serves from here without an exit. A
 * request/response loop costs one exit per batch: with one frame in
 * flight, one exit per request and reply; with many, one exit for all of
 * them.
 *
 * When the exchange happens (docs/io.md):
 *   - solo5_yield with no received frame left: send, receive, and wait
 *     until the deadline if nothing came;
 *   - solo5_yield with received frames still queued returns at once, unless
 *     frames wait to be sent and either the application read nothing since
 *     its last yield (it is not draining the queue) or the oldest has waited
 *     TX_HOLD_NS: then it exchanges without waiting;
 *   - solo5_net_read that finds nothing queued for its device;
 *   - solo5_net_write that finds the send queue full; and exit.
 *
 * Large send (ukvm_ext.h): when the monitor offers it, solo5_net_write
 * takes IPv4/TCP frames of up to UKVM_NET_LARGE_MAX bytes, checked by
 * net_check_write as the monitor checks them. Sent frames are packed into
 * the send pool one after the other, so a large one costs its size only.
 */

#include "ukvm.h"

#define BATCH UKVM_NETIO_MAX_FRAMES /* frames per direction per exchange */
#define POOL_SIZE (128 * 1024)      /* receive buffer bytes */
#define TX_POOL_SIZE (512 * 1024)   /* send buffer bytes: 7 large frames */
#define SLOT_ALIGN 64
#define TX_HOLD_NS 200000           /* longest a frame waits while reads go on */
#define NONE 0xff                   /* end of a list of slots */

_Static_assert(BATCH < NONE, "slot numbers fit a byte");
_Static_assert(TX_POOL_SIZE >= UKVM_NET_LARGE_MAX + SLOT_ALIGN,
        "a large frame fits the send pool");

static BOOT_VAR bool netio;     /* the monitor offers NETIO, for a net device */
static BOOT_VAR size_t slot_size; /* the largest frame of any device, aligned */
static BOOT_VAR unsigned slots;   /* buffers per direction: at most BATCH */

/*
 * Received frames: POOL_SIZE bytes of buffers in slots. A full slot is on
 * its device's list (oldest first), a free one on the free stack.
 */
static uint8_t rx_pool[POOL_SIZE] __attribute__((aligned(SLOT_ALIGN)));
static struct {
    uint64_t len;
    uint8_t next;           /* the device's next frame, or NONE */
} rx_slot[BATCH];
static uint8_t rx_head[MFT_MAX_ENTRIES], rx_tail[MFT_MAX_ENTRIES];
static uint64_t rx_queued;  /* bit h: device h has frames here */
static uint8_t rx_free[BATCH];
static unsigned rx_nfree;
static struct ukvm_netio_frame rx_desc[BATCH];
static uint8_t rx_desc_slot[BATCH]; /* the slot behind each descriptor */
static bool rx_progress;    /* a frame was read since the last yield */

/* Frames written and not yet handed to the monitor: tx_used bytes of the
 * pool, each frame's start aligned. */
static uint8_t tx_pool[TX_POOL_SIZE] __attribute__((aligned(SLOT_ALIGN)));
static struct ukvm_netio_frame tx_desc[BATCH];
static BOOT_VAR unsigned tx_pending; /* read at every exit (net_flush) */
static size_t tx_used;
static solo5_time_t tx_since; /* when the oldest of them was queued */

static uint8_t *rx_buf(unsigned slot)
{
    return rx_pool + slot * slot_size;
}

/*
 * NETIO when the monitor offers it (and the image may use it), the
 * application has a network device, and a slot holds the largest frame of
 * every device: a received one (the monitor refuses smaller buffers) and a
 * sent one (solo5_net_write copies up to ukvm_net_tx_max() bytes).
 */
void net_init(const struct ukvm_boot_info *bi, uint32_t features)
{
    const struct mft *mft = (const struct mft *)(uintptr_t)bi->mft;
    uint64_t largest = 0;
    unsigned devices = 0;
    for (uint32_t i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        devices++;
        if (ukvm_net_tx_max(e->u.net_basic.mtu) > largest)
            largest = ukvm_net_tx_max(e->u.net_basic.mtu);
    }
    slot_size = ALIGN_UP(largest, SLOT_ALIGN);
    slots = devices ? POOL_SIZE / slot_size : 0;
    if (slots > BATCH)
        slots = BATCH;
    netio = (features & UKVM_HOST_FEATURE_NETIO) && devices && slots > 0;
    net_large_send = (features & UKVM_HOST_FEATURE_LARGE_SEND) && devices;
    if (net_large_send)
        log(LOG_DEBUG, "net: large send, frames up to %lu bytes\n",
                (unsigned long)UKVM_NET_LARGE_MAX);
    if (!netio) {
        if (devices)
            ring_init(bi);
        return;
    }
    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++)
        rx_head[i] = rx_tail[i] = NONE;
    for (unsigned i = 0; i < slots; i++)
        rx_free[rx_nfree++] = (uint8_t)(slots - 1 - i);
    log(LOG_DEBUG, "net: batched I/O (NETIO), %u frames of %lu bytes\n",
            slots, (unsigned long)slot_size);
}

bool net_batched(void)
{
    return netio;
}

/* Queues a received frame in slot on its device's list. */
static void rx_append(unsigned slot, uint64_t handle, uint64_t len)
{
    rx_slot[slot].len = len;
    rx_slot[slot].next = NONE;
    if (rx_head[handle] == NONE)
        rx_head[handle] = (uint8_t)slot;
    else
        rx_slot[rx_tail[handle]].next = (uint8_t)slot;
    rx_tail[handle] = (uint8_t)slot;
    rx_queued |= 1ULL << handle;
}

/*
 * One NETIO exit: send the queued frames, receive into every free buffer,
 * and wait up to timeout if nothing arrived. Returns the monitor's ready set.
 */
static uint64_t exchange(uint64_t timeout)
{
    /* Every free slot is offered; what comes back unused is freed again. */
    unsigned n = 0;
    while (rx_nfree) {
        unsigned slot = rx_free[--rx_nfree];
        rx_desc_slot[n] = (uint8_t)slot;
        rx_desc[n].data = (uintptr_t)rx_buf(slot);
        rx_desc[n++].len = slot_size;
    }
    struct ukvm_hc_netio arg = {
        .tx = (uintptr_t)tx_desc, .rx = (uintptr_t)rx_desc,
        .tx_count = tx_pending, .rx_count = n, .timeout_nsecs = timeout,
        .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_NETIO, &arg);
    unsigned sent = tx_pending;
    tx_pending = 0;
    tx_used = 0;
    unsigned filled = 0;
    if (arg.ret == UKVM_OK)
        filled = arg.rx_filled < n ? arg.rx_filled : n;
    for (unsigned k = 0; k < n; k++) {
        uint64_t h = rx_desc[k].handle;
        /* The bounds hold for any correct monitor; a frame that fails them
         * is dropped rather than trusted. */
        if (k < filled && h < MFT_MAX_ENTRIES && rx_desc[k].len <= slot_size)
            rx_append(rx_desc_slot[k], h, rx_desc[k].len);
        else
            rx_free[rx_nfree++] = rx_desc_slot[k];
    }
    if (arg.ret != UKVM_OK) {
        log(LOG_WARN, "net: NETIO refused (%d), %u frames dropped\n", arg.ret,
                sent);
        return 0;
    }
    /* Frames the host could not take are lost, as a busy network loses
     * them; say so once, since solo5_net_write() already said OK. */
    static bool warned;
    for (unsigned k = 0; k < sent && !warned; k++) {
        if (tx_desc[k].ret != UKVM_OK) {
            log(LOG_WARN, "net: host dropped a frame (%d)\n", tx_desc[k].ret);
            warned = true;
        }
    }
    return arg.ready_set;
}

void net_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    uint64_t ready = 0;
    solo5_time_t now = solo5_clock_monotonic();
    bool stalled = tx_pending &&
        (!rx_progress || now - tx_since >= TX_HOLD_NS);
    rx_progress = false;
    if (!rx_queued || stalled) {
        uint64_t timeout = (rx_queued || deadline <= now) ? 0 : deadline - now;
        ready = exchange(timeout);
    }
    if (ready_set)
        *ready_set = ready | rx_queued;
}

void net_flush(void)
{
    if (tx_pending)
        exchange(0);
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    if (!net_check_write(handle, buf, size))
        return SOLO5_R_EINVAL;
    if (!netio && ring_active()) {
        if (size <= RING_TX_MAX)
            return ring_write(handle, buf, size);
        ring_drain(); /* in order: the ring's frames go first */
    }
    if (!netio) {
        struct ukvm_hc_net_write arg = {
            .handle = handle, .data = (uintptr_t)buf, .len = size,
            .ret = UKVM_EUNSPEC,
        };
        ukvm_hypercall(UKVM_HYPERCALL_NET_WRITE, &arg);
        return (solo5_result_t)arg.ret;
    }
    if (tx_pending == BATCH || tx_used + size > TX_POOL_SIZE)
        exchange(0);
    if (tx_pending == 0)
        tx_since = solo5_clock_monotonic();
    struct ukvm_netio_frame *f = &tx_desc[tx_pending++];
    f->data = (uintptr_t)(tx_pool + tx_used);
    tx_used += ALIGN_UP(size, SLOT_ALIGN);
    memcpy((void *)(uintptr_t)f->data, buf, size);
    f->handle = handle;
    f->len = size;
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf,
        size_t size, size_t *read_size)
{
    if (!net_check_read(handle, buf, size, read_size))
        return SOLO5_R_EINVAL;
    if (!netio && ring_active())
        return ring_read(handle, buf, size, read_size);
    if (!netio) {
        struct ukvm_hc_net_read arg = {
            .handle = handle, .data = (uintptr_t)buf, .len = size,
            .ret = UKVM_EUNSPEC,
        };
        ukvm_hypercall(UKVM_HYPERCALL_NET_READ, &arg);
        if (arg.ret == UKVM_OK)
            *read_size = arg.len;
        return (solo5_result_t)arg.ret;
    }
    if (rx_head[handle] == NONE) {
        exchange(0);
        if (rx_head[handle] == NONE)
            return SOLO5_R_AGAIN;
    }
    unsigned slot = rx_head[handle];
    rx_head[handle] = rx_slot[slot].next;
    if (rx_head[handle] == NONE)
        rx_queued &= ~(1ULL << handle);
    rx_free[rx_nfree++] = (uint8_t)slot;
    rx_progress = true;
    uint64_t len = rx_slot[slot].len;
    if (len > size)
        return SOLO5_R_EINVAL; /* larger than MTU + header: dropped */
    memcpy(buf, rx_buf(slot), len);
    *read_size = len;
    return SOLO5_R_OK;
}
