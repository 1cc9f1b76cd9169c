/*
 * virtio_blk.c: virtio-blk devices (legacy interface), and solo5_block_*.
 *
 * One request at a time, synchronously: a chain of descriptors (request
 * header, the caller's buffer in one or more segments, status byte) on
 * queue 0, then we halt until the device's interrupt (or a 1 ms timer, in
 * case it never comes) and check the used ring. The caller's buffer is used
 * in place: memory is identity mapped, so its address is what the device
 * needs, and a buffer of many blocks is one descriptor, unless the device
 * limits a segment's size (F_SIZE_MAX). A solo5 request larger than the
 * device takes in one (F_SEG_MAX segments, and the queue's length) becomes
 * several, one after the other.
 */

#include "virtio.h"

#define VIRTIO_ID_BLOCK         2
#define VIRTIO_BLK_F_SIZE_MAX   (1U << 1)
#define VIRTIO_BLK_F_SEG_MAX    (1U << 2)
#define VIRTIO_BLK_F_RO         (1U << 5)
#define VIRTIO_BLK_F_BLK_SIZE   (1U << 6)
#define VIRTIO_BLK_F_FLUSH      (1U << 9)
#define VIRTIO_BLK_CFG_CAPACITY 0       /* u64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8       /* u32, with F_SIZE_MAX */
#define VIRTIO_BLK_CFG_SEG_MAX  12      /* u32, with F_SEG_MAX */
#define VIRTIO_BLK_CFG_BLK_SIZE 20      /* u32, with F_BLK_SIZE */
#define VIRTIO_BLK_T_IN         0       /* read */
#define VIRTIO_BLK_T_OUT        1       /* write */
#define VIRTIO_BLK_S_OK         0
#define SECTOR_SIZE             512     /* virtio's unit, whatever blk_size */
#define BLK_MAX                 8
#define WAIT_SLICE_NS           1000000 /* if the interrupt never comes */

struct blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
    uint8_t status;     /* written by the device */
};

struct blk_dev {
    uint16_t iobase;
    bool read_only;
    bool attached;
    solo5_handle_t handle;
    uint64_t capacity;      /* bytes, a multiple of block_size */
    uint32_t block_size;
    uint32_t seg_size;      /* the most bytes one data descriptor holds */
    uint32_t max_request;   /* bytes per device request, whole blocks */
    struct virtq q;
    volatile struct blk_req *req;
};

static struct blk_dev devs[BLK_MAX];
static unsigned n_devs;

/*
 * How much one device request carries: segments of at most size_max bytes
 * (else one segment holds anything up to SOLO5_BLOCK_IO_MAX), at most
 * seg_max of them and no more than the queue holds beside the header and
 * the status. False if that is less than a block.
 */
static bool set_limits(struct blk_dev *b, uint16_t io, uint32_t features)
{
    uint32_t seg_size = SOLO5_BLOCK_IO_MAX, segs = b->q.num - 2u;
    if (features & VIRTIO_BLK_F_SIZE_MAX) {
        uint32_t v = inl(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_SIZE_MAX);
        if (v && v < seg_size)
            seg_size = v;
    }
    if (features & VIRTIO_BLK_F_SEG_MAX) {
        uint32_t v = inl(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_SEG_MAX);
        if (v && v < segs)
            segs = v;
    }
    uint64_t most = (uint64_t)seg_size * segs;
    if (most > SOLO5_BLOCK_IO_MAX)
        most = SOLO5_BLOCK_IO_MAX;
    b->seg_size = seg_size;
    b->max_request = (uint32_t)ALIGN_DOWN(most, b->block_size);
    return b->max_request >= b->block_size;
}

bool virtio_blk_probe(const struct pci_dev *d)
{
    if (d->subsys_id != VIRTIO_ID_BLOCK || n_devs == BLK_MAX)
        return false;
    uint16_t io = pci_io_bar(d, 0);
    if (!io) {
        log(LOG_WARN, "virtio: block device %02x:%02x.%x has no legacy I/O "
                "BAR (modern-only?), ignored\n", d->bus, d->dev, d->fn);
        return false;
    }
    pci_enable(d);
    struct blk_dev *b = &devs[n_devs];
    b->iobase = io;
    /* F_FLUSH only keeps QEMU's write cache on: without it QEMU syncs
     * every write to disk (writethrough). We never send a flush, as a
     * ukvm monitor never fsyncs: written means handed to the host. */
    uint32_t features = virtio_pci_begin(io,
            VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
            VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX);
    if (!virtq_init(&b->q, io, 0, true) || b->q.num < 3) {
        outb(io + VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
        log(LOG_WARN, "virtio: block device %02x:%02x.%x has no usable "
                "queue, ignored\n", d->bus, d->dev, d->fn);
        return false;
    }
    b->read_only = features & VIRTIO_BLK_F_RO;
    b->block_size = SECTOR_SIZE;
    if (features & VIRTIO_BLK_F_BLK_SIZE) {
        uint32_t bs = inl(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_BLK_SIZE);
        /* The manifest holds it in 16 bits. */
        if (bs >= SECTOR_SIZE && bs <= 32768 && !(bs & (bs - 1)))
            b->block_size = bs;
    }
    uint64_t sectors =
        inl(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_CAPACITY) |
        (uint64_t)inl(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4)
            << 32;
    b->capacity = ALIGN_DOWN(sectors * SECTOR_SIZE, b->block_size);
    if (!set_limits(b, io, features)) {
        outb(io + VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
        log(LOG_WARN, "virtio: block device %02x:%02x.%x cannot take a "
                "whole block per request, ignored\n", d->bus, d->dev, d->fn);
        return false;
    }

    b->req = mem_alloc(sizeof *b->req);
    /* The header heads every chain; data and status follow per request. */
    b->q.desc[0] = (struct virtq_desc){
        .addr = (uintptr_t)b->req, .len = 16, .flags = VIRTQ_DESC_F_NEXT,
        .next = 1,
    };
    virtio_pci_ready(io);
    (void)intr_enable_irqs(pci_intx_irqs(d), io + VIRTIO_PCI_ISR);
    log(LOG_DEBUG, "virtio: block %02x:%02x.%x io 0x%x capacity %lu "
            "block size %u, %u bytes per request%s\n", d->bus, d->dev, d->fn,
            io, (unsigned long)b->capacity, b->block_size, b->max_request,
            b->read_only ? " read-only" : "");
    n_devs++;
    return true;
}

unsigned virtio_blk_count(void)
{
    return n_devs;
}

void virtio_blk_attach(unsigned i, struct mft_entry *e, solo5_handle_t h)
{
    assert(i < n_devs);
    devs[i].attached = true;
    devs[i].handle = h;
    e->u.block_basic.capacity = devs[i].capacity;
    e->u.block_basic.block_size = (uint16_t)devs[i].block_size;
    e->attached = 1;
}

/* The device behind handle if the request passes the common checks
 * (whole, aligned blocks inside the device); else NULL. */
static struct blk_dev *check_request(solo5_handle_t handle,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    if (!block_check_request(handle, offset, buf, size))
        return NULL;
    for (unsigned i = 0; i < n_devs; i++)
        if (devs[i].attached && devs[i].handle == handle)
            return &devs[i];
    return NULL;
}

/* One device request of size bytes (at most b->max_request): the header,
 * the buffer in segments of at most b->seg_size, the status; waits for it. */
static solo5_result_t device_request(struct blk_dev *b, uint32_t type,
        solo5_off_t offset, uintptr_t buf, uint32_t size)
{
    b->req->type = type;
    b->req->reserved = 0;
    b->req->sector = offset / SECTOR_SIZE;
    b->req->status = 0xff;
    uint16_t data_flags = VIRTQ_DESC_F_NEXT |
        (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0);
    uint16_t i = 1;
    for (uint32_t done = 0; done < size; i++) {
        uint32_t n = size - done < b->seg_size ? size - done : b->seg_size;
        b->q.desc[i] = (struct virtq_desc){
            .addr = buf + done, .len = n, .flags = data_flags,
            .next = (uint16_t)(i + 1),
        };
        done += n;
    }
    b->q.desc[i] = (struct virtq_desc){
        .addr = (uintptr_t)&b->req->status, .len = 1,
        .flags = VIRTQ_DESC_F_WRITE,
    };
    virtq_push(&b->q, 0);
    virtq_notify(&b->q);
    while (!virtq_has_used(&b->q)) {
        pit_oneshot(WAIT_SLICE_NS);
        intr_wait();
    }
    (void)virtq_pop(&b->q, NULL);
    return b->req->status == VIRTIO_BLK_S_OK ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

/* A checked solo5 request: as few device requests as the device allows. */
static solo5_result_t request(struct blk_dev *b, uint32_t type,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    for (size_t done = 0; done < size; ) {
        uint32_t n = size - done < b->max_request ? (uint32_t)(size - done)
            : b->max_request;
        solo5_result_t r = device_request(b, type, offset + done,
                (uintptr_t)buf + done, n);
        if (r != SOLO5_R_OK)
            return r;
        done += n;
    }
    return SOLO5_R_OK;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    struct blk_dev *b = check_request(handle, offset, buf, size);
    if (!b)
        return SOLO5_R_EINVAL;
    if (b->read_only)
        return SOLO5_R_EUNSPEC;
    return request(b, VIRTIO_BLK_T_OUT, offset, buf, size);
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size)
{
    struct blk_dev *b = check_request(handle, offset, buf, size);
    if (!b)
        return SOLO5_R_EINVAL;
    return request(b, VIRTIO_BLK_T_IN, offset, buf, size);
}
