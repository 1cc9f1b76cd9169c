/*
 * virtq.c: the legacy (virtio 0.9.5) PCI transport and split virtqueues.
 *
 * QEMU's virtio-*-pci devices are "transitional" by default: next to the
 * modern interface they keep the legacy one, a block of registers in I/O
 * BAR 0 (see virtio.h), which needs no capability parsing and no MMIO.
 * A legacy ring lives in one physically contiguous, page-aligned block:
 *
 *   desc[num]            16 bytes each
 *   avail                flags, idx, ring[num], used_event
 *   (pad to a page)
 *   used                 flags, idx, ring[num] (8 bytes each), avail_event
 *
 * and the device is told its page frame number.
 */

#include "virtio.h"

#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_NUM 32768

uint32_t virtio_pci_begin(uint16_t iobase, uint32_t wanted)
{
    outb(iobase + VIRTIO_PCI_STATUS, 0);    /* reset */
    outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    outb(iobase + VIRTIO_PCI_STATUS,
            VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint32_t features = inl(iobase + VIRTIO_PCI_HOST_FEATURES) & wanted;
    outl(iobase + VIRTIO_PCI_GUEST_FEATURES, features);
    return features;
}

void virtio_pci_ready(uint16_t iobase)
{
    outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
            VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

bool virtq_init(struct virtq *q, uint16_t iobase, uint16_t index,
        bool interrupts)
{
    outw(iobase + VIRTIO_PCI_QUEUE_SEL, index);
    uint16_t num = inw(iobase + VIRTIO_PCI_QUEUE_NUM);
    if (num == 0 || num > VIRTQ_MAX_NUM || (num & (num - 1)))
        return false;

    size_t avail_end = 16 * (size_t)num + 6 + 2 * (size_t)num;
    size_t used_off = ALIGN_UP(avail_end, PAGE_SIZE);
    size_t size = used_off + ALIGN_UP(6 + 8 * (size_t)num, PAGE_SIZE);
    uint8_t *ring = mem_alloc(size);

    q->iobase = iobase;
    q->index = index;
    q->num = num;
    q->avail_idx = 0;
    q->used_idx = 0;
    q->desc = (volatile struct virtq_desc *)ring;
    q->avail = (volatile struct virtq_avail *)(ring + 16 * (size_t)num);
    q->used = (volatile struct virtq_used *)(ring + used_off);
    q->avail->flags = interrupts ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;

    outl(iobase + VIRTIO_PCI_QUEUE_PFN, (uint32_t)((uintptr_t)ring >> 12));
    return true;
}

void virtq_push(struct virtq *q, uint16_t head)
{
    q->avail->ring[q->avail_idx & (q->num - 1)] = head;
    mb();   /* the entry before the index that publishes it */
    q->avail_idx++;
    q->avail->idx = q->avail_idx;
}

void virtq_notify(struct virtq *q)
{
    mb();   /* the index before the device can look at it */
    if (!(q->used->flags & VIRTQ_USED_F_NO_NOTIFY))
        outw(q->iobase + VIRTIO_PCI_QUEUE_NOTIFY, q->index);
}

uint16_t virtq_pop(struct virtq *q, uint32_t *len)
{
    mb();   /* used->idx (read by the caller) before the entry */
    volatile struct virtq_used_elem *e =
        &q->used->ring[q->used_idx & (q->num - 1)];
    uint16_t head = (uint16_t)e->id;
    if (len)
        *len = e->len;
    q->used_idx++;
    return head;
}
