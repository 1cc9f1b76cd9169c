/*
 * virtio_net.c: virtio-net devices (legacy interface), and solo5_net_*.
 *
 * Queue 0 receives, queue 1 transmits. Every frame travels as a chain of
 * two descriptors: the 10-byte virtio-net header, then the frame, which
 * any device accepts (a single buffer needs VIRTIO_F_ANY_LAYOUT). Buffer i
 * of either queue owns descriptors 2i and 2i+1 for good, so a chain's head
 * names its buffer.
 *
 * Receive buffers are all posted at start and re-posted as soon as the
 * application has copied a frame out. Transmit copies the frame into a free
 * buffer and returns without waiting; buffers come back as the device
 * finishes with them. Only the receive queue interrupts (to end a hlt in
 * solo5_yield()).
 */

#include "virtio.h"

#define VIRTIO_ID_NET        1
#define VIRTIO_NET_F_MAC     (1U << 5)
#define VIRTIO_NET_HDR_SIZE  10     /* legacy header, no MRG_RXBUF */
#define NET_MTU              1500
#define NET_FRAME_MAX        (NET_MTU + SOLO5_NET_HLEN)
#define NET_BUF_SIZE         2048   /* header + frame, a power of 2 */
#define NET_RX_BUFS          128
#define NET_TX_BUFS          64
#define NET_MAX              8
#define TX_WAIT_NS           1000000000ULL  /* a stuck device, not load */
#define FLUSH_WAIT_NS        100000000ULL
#define RXQ                  0
#define TXQ                  1

struct net_dev {
    uint16_t iobase;
    uint8_t mac[6];
    bool attached;
    solo5_handle_t handle;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs;     /* NET_BUF_SIZE each */
    uint16_t n_rx, n_tx;
    uint16_t tx_free[NET_TX_BUFS];  /* stack of free transmit buffers */
    uint16_t n_tx_free;
};

static struct net_dev devs[NET_MAX];
static unsigned n_devs;
static bool polled;     /* some device has no interrupt line */

/* Chain i: header then frame, both inside buffer i. */
static void set_chain(volatile struct virtq_desc *desc, unsigned i,
        uint8_t *buf, uint16_t write)
{
    desc[2 * i] = (struct virtq_desc){
        .addr = (uintptr_t)buf, .len = VIRTIO_NET_HDR_SIZE,
        .flags = VIRTQ_DESC_F_NEXT | write, .next = 2 * i + 1,
    };
    desc[2 * i + 1] = (struct virtq_desc){
        .addr = (uintptr_t)buf + VIRTIO_NET_HDR_SIZE, .len = NET_FRAME_MAX,
        .flags = write, .next = 0,
    };
}

static uint16_t min16(uint16_t a, uint16_t b)
{
    return a < b ? a : b;
}

bool virtio_net_probe(const struct pci_dev *d)
{
    if (d->subsys_id != VIRTIO_ID_NET || n_devs == NET_MAX)
        return false;
    uint16_t io = pci_io_bar(d, 0);
    if (!io) {
        log(LOG_WARN, "virtio: net device %02x:%02x.%x has no legacy I/O "
                "BAR (modern-only?), ignored\n", d->bus, d->dev, d->fn);
        return false;
    }
    pci_enable(d);
    struct net_dev *n = &devs[n_devs];
    n->iobase = io;
    uint32_t features = virtio_pci_begin(io, VIRTIO_NET_F_MAC);
    if (!virtq_init(&n->rx, io, RXQ, true) ||
            !virtq_init(&n->tx, io, TXQ, false)) {
        outb(io + VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
        log(LOG_WARN, "virtio: net device %02x:%02x.%x has no queues, "
                "ignored\n", d->bus, d->dev, d->fn);
        return false;
    }

    if (features & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < 6; i++)
            n->mac[i] = inb(io + VIRTIO_PCI_CONFIG + i);
    } else {
        /* Locally administered, unicast, from the TSC. */
        uint64_t r = cpu_rdtsc() * 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 6; i++)
            n->mac[i] = (uint8_t)(r >> (8 * i));
        n->mac[0] = (n->mac[0] & 0xfe) | 0x02;
    }

    n->n_rx = min16(NET_RX_BUFS, n->rx.num / 2);
    n->n_tx = min16(NET_TX_BUFS, n->tx.num / 2);
    n->rx_bufs = mem_alloc((size_t)n->n_rx * NET_BUF_SIZE);
    n->tx_bufs = mem_alloc((size_t)n->n_tx * NET_BUF_SIZE);
    for (uint16_t i = 0; i < n->n_rx; i++) {
        set_chain(n->rx.desc, i, n->rx_bufs + i * NET_BUF_SIZE,
                VIRTQ_DESC_F_WRITE);
        virtq_push(&n->rx, 2 * i);
    }
    for (uint16_t i = 0; i < n->n_tx; i++) {
        set_chain(n->tx.desc, i, n->tx_bufs + i * NET_BUF_SIZE, 0);
        n->tx_free[n->n_tx_free++] = i;
    }
    virtio_pci_ready(io);
    virtq_notify(&n->rx);
    if (!intr_enable_irqs(pci_intx_irqs(d), io + VIRTIO_PCI_ISR))
        polled = true;
    log(LOG_DEBUG, "virtio: net %02x:%02x.%x io 0x%x irq %u mac "
            "%02x:%02x:%02x:%02x:%02x:%02x\n", d->bus, d->dev, d->fn, io,
            d->irq, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
            n->mac[5]);
    n_devs++;
    return true;
}

unsigned virtio_net_count(void)
{
    return n_devs;
}

void virtio_net_attach(unsigned i, struct mft_entry *e, solo5_handle_t h)
{
    assert(i < n_devs);
    devs[i].attached = true;
    devs[i].handle = h;
    memcpy(e->u.net_basic.mac, devs[i].mac, 6);
    e->u.net_basic.mtu = NET_MTU;
    e->attached = 1;
}

bool virtio_net_polled(void)
{
    return polled;
}

solo5_handle_set_t virtio_net_pending(void)
{
    solo5_handle_set_t set = 0;
    for (unsigned i = 0; i < n_devs; i++)
        if (devs[i].attached && virtq_has_used(&devs[i].rx))
            set |= 1ULL << devs[i].handle;
    return set;
}

static struct net_dev *dev_by_handle(solo5_handle_t h)
{
    if (!mft_get_by_index(h, MFT_DEV_NET_BASIC))
        return NULL;
    for (unsigned i = 0; i < n_devs; i++)
        if (devs[i].attached && devs[i].handle == h)
            return &devs[i];
    return NULL;
}

/* Takes back the transmit buffers the device is done with. */
static void tx_reclaim(struct net_dev *n)
{
    while (virtq_has_used(&n->tx))
        n->tx_free[n->n_tx_free++] = virtq_pop(&n->tx, NULL) / 2;
}

void virtio_net_flush(void)
{
    solo5_time_t give_up = solo5_clock_monotonic() + FLUSH_WAIT_NS;
    for (unsigned i = 0; i < n_devs; i++) {
        struct net_dev *n = &devs[i];
        tx_reclaim(n);
        while (n->n_tx_free < n->n_tx && solo5_clock_monotonic() < give_up) {
            __asm__ __volatile__("pause");
            tx_reclaim(n);
        }
    }
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    struct net_dev *n = dev_by_handle(handle);
    if (!n || !net_check_write(handle, buf, size) || size > NET_FRAME_MAX)
        return SOLO5_R_EINVAL;
    tx_reclaim(n);
    if (n->n_tx_free == 0) {    /* all in flight: wait for the device */
        solo5_time_t give_up = solo5_clock_monotonic() + TX_WAIT_NS;
        do {
            if (solo5_clock_monotonic() > give_up)
                return SOLO5_R_EUNSPEC;
            __asm__ __volatile__("pause");
            tx_reclaim(n);
        } while (n->n_tx_free == 0);
    }
    uint16_t i = n->tx_free[--n->n_tx_free];
    uint8_t *b = n->tx_bufs + i * NET_BUF_SIZE;
    memset(b, 0, VIRTIO_NET_HDR_SIZE);  /* no offloads */
    memcpy(b + VIRTIO_NET_HDR_SIZE, buf, size);
    n->tx.desc[2 * i + 1].len = (uint32_t)size;
    virtq_push(&n->tx, 2 * i);
    virtq_notify(&n->tx);
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf,
        size_t size, size_t *read_size)
{
    struct net_dev *n = dev_by_handle(handle);
    if (!n || !net_check_read(handle, buf, size, read_size))
        return SOLO5_R_EINVAL;
    if (!virtq_has_used(&n->rx))
        return SOLO5_R_AGAIN;
    uint32_t len;
    uint16_t head = virtq_pop(&n->rx, &len);
    uint16_t i = head / 2;
    size_t frame = len > VIRTIO_NET_HDR_SIZE ? len - VIRTIO_NET_HDR_SIZE : 0;
    solo5_result_t r = SOLO5_R_OK;
    if (frame > size) {
        r = SOLO5_R_EINVAL;     /* the frame is dropped */
    } else {
        memcpy(buf, n->rx_bufs + i * NET_BUF_SIZE + VIRTIO_NET_HDR_SIZE,
                frame);
        *read_size = frame;
    }
    virtq_push(&n->rx, head);
    virtq_notify(&n->rx);
    return r;
}
