/*
 * net.c: network devices for ukvm.
 *
 * Three paths. The base hvt ABI costs one exit per frame read, per frame
 * written and per yield. Upstream's network ring (ring.c), when the monitor
 * offers it, moves frames without exits but for yields. When the monitor
 * offers NETIO (ukvm_ext.h), frames
 * are batched instead: writes are queued here and received frames wait in
 * buffers here, and one NETIO exit per yield (or per read that finds nothing
 * queued) moves both ways. A request/response loop then costs one exit.
 *
 * Queued writes go out at the next yield, read that misses, full queue or
 * exit, whichever comes first.
 */

#include "ukvm.h"

#define SLOTS 16
#define SLOT_SIZE 9216 /* a jumbo frame and its header */

static bool netio;          /* the monitor offers NETIO, for a net device */

/* Receive buffers and what they hold. */
static uint8_t rx_buf[SLOTS][SLOT_SIZE];
static struct {
    uint64_t handle, len, seq;
    bool full;
} rx_slot[SLOTS];
static uint64_t rx_seq;
static struct ukvm_netio_frame rx_desc[SLOTS];
static uint8_t rx_desc_slot[SLOTS];

/* Frames written and not yet handed to the monitor. */
static uint8_t tx_buf[SLOTS][SLOT_SIZE];
static struct ukvm_netio_frame tx_desc[SLOTS];
static unsigned tx_pending;

/* Defined by extensions.S; absent (address 0) in the base-ABI variants. */
extern const uint8_t ukvm_netio_allowed __attribute__((weak));

/*
 * NETIO when the monitor offers it, the application has a network device,
 * and a slot holds the largest frame of every device: a received one (the
 * monitor refuses smaller buffers) and a sent one (solo5_net_write copies
 * up to ukvm_net_tx_max() bytes into a slot).
 */
void net_init(const struct ukvm_boot_info *bi)
{
    const struct mft *mft = (const struct mft *)(uintptr_t)bi->mft;
    bool fits = true;
    unsigned devices = 0;
    for (uint32_t i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        devices++;
        if (ukvm_net_tx_max(e->u.net_basic.mtu) > SLOT_SIZE)
            fits = false;
    }
    netio = &ukvm_netio_allowed && ukvm_netio_allowed &&
        (bi->host_features & UKVM_HOST_FEATURE_NETIO) && devices && fits;
    if (netio)
        log(LOG_DEBUG, "net: batched I/O (NETIO)\n");
    else if (devices)
        ring_init(bi);
}

bool net_batched(void)
{
    return netio;
}

/*
 * One NETIO exit: send the queued frames, receive into every free buffer,
 * and wait up to timeout if nothing arrived. Returns the monitor's ready set.
 */
static uint64_t exchange(uint64_t timeout)
{
    unsigned n = 0;
    for (unsigned i = 0; i < SLOTS; i++) {
        if (rx_slot[i].full)
            continue;
        rx_desc[n] = (struct ukvm_netio_frame){
            .data = (uintptr_t)rx_buf[i], .len = SLOT_SIZE };
        rx_desc_slot[n++] = (uint8_t)i;
    }
    struct ukvm_hc_netio arg = {
        .tx = (uintptr_t)tx_desc, .rx = (uintptr_t)rx_desc,
        .tx_count = tx_pending, .rx_count = n, .timeout_nsecs = timeout,
        .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_NETIO, &arg);
    unsigned sent = tx_pending;
    tx_pending = 0;
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
    for (unsigned k = 0; k < arg.rx_filled && k < n; k++) {
        unsigned i = rx_desc_slot[k];
        rx_slot[i].handle = rx_desc[k].handle;
        rx_slot[i].len = rx_desc[k].len;
        rx_slot[i].seq = rx_seq++;
        rx_slot[i].full = true;
    }
    return arg.ready_set;
}

static uint64_t queued_set(void)
{
    uint64_t set = 0;
    for (unsigned i = 0; i < SLOTS; i++)
        if (rx_slot[i].full)
            set |= 1ULL << rx_slot[i].handle;
    return set;
}

void net_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    uint64_t queued = queued_set(), ready = 0;
    if (!queued || tx_pending) {
        solo5_time_t now = solo5_clock_monotonic();
        uint64_t timeout = (queued || deadline <= now) ? 0 : deadline - now;
        ready = exchange(timeout);
    }
    if (ready_set)
        *ready_set = ready | queued_set();
}

void net_flush(void)
{
    if (tx_pending)
        exchange(0);
}

/* The oldest queued frame of handle, or -1. */
static int oldest(solo5_handle_t handle)
{
    int best = -1;
    for (int i = 0; i < SLOTS; i++)
        if (rx_slot[i].full && rx_slot[i].handle == handle &&
                (best < 0 || rx_slot[i].seq < rx_slot[best].seq))
            best = i;
    return best;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    if (!net_check_write(handle, buf, size))
        return SOLO5_R_EINVAL;
    if (!netio && ring_active())
        return ring_write(handle, buf, size);
    if (!netio) {
        struct ukvm_hc_net_write arg = {
            .handle = handle, .data = (uintptr_t)buf, .len = size,
            .ret = UKVM_EUNSPEC,
        };
        ukvm_hypercall(UKVM_HYPERCALL_NET_WRITE, &arg);
        return (solo5_result_t)arg.ret;
    }
    if (tx_pending == SLOTS)
        exchange(0);
    memcpy(tx_buf[tx_pending], buf, size);
    tx_desc[tx_pending] = (struct ukvm_netio_frame){
        .handle = handle, .data = (uintptr_t)tx_buf[tx_pending], .len = size };
    tx_pending++;
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
    int i = oldest(handle);
    if (i < 0) {
        exchange(0);
        i = oldest(handle);
        if (i < 0)
            return SOLO5_R_AGAIN;
    }
    if (rx_slot[i].len > size) {
        rx_slot[i].full = false; /* larger than MTU + header: dropped */
        return SOLO5_R_EINVAL;
    }
    memcpy(buf, rx_buf[i], rx_slot[i].len);
    *read_size = rx_slot[i].len;
    rx_slot[i].full = false;
    return SOLO5_R_OK;
}
