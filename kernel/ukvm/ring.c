/*
 * ring.c: upstream's network ring (ukvm_abi.h, "The network ring"), the
 * guest's side. Used when the monitor offers the ring and not NETIO: on
 * upstream's solo5-hvt, or on ours with --x-no-netio. A frame written is
 * copied into one of our send slots and handed over without an exit; a read
 * is handed over with the caller's buffer, and we wait for its commit. The
 * monitor's thread serves the ring; we kick it through port
 * UKVM_RING_KICK_PIO (an ioeventfd: no exit to the monitor) only when it
 * said it is about to sleep.
 */

#include "ukvm.h"

#define TX_SLOTS 16

static BOOT_VAR volatile struct ukvm_ring *ring;
static uint32_t next_id;
static uint8_t tx_buf[TX_SLOTS][RING_TX_MAX];

/* x86 keeps stores in order and loads in order: only the compiler must
 * be kept from moving them; a load after a store needs mfence. */
static inline void barrier(void) { __asm__ __volatile__("" ::: "memory"); }
static inline void full_barrier(void) { __asm__ __volatile__("mfence" ::: "memory"); }

void ring_init(const struct ukvm_boot_info *bi)
{
    if (!(bi->host_features & UKVM_HOST_FEATURE_RING_IO) || !bi->net_ring)
        return;
    ring = (volatile struct ukvm_ring *)(uintptr_t)bi->net_ring;
    log(LOG_DEBUG, "net: ring at 0x%lx\n", (unsigned long)bi->net_ring);
}

bool ring_active(void)
{
    return ring != NULL;
}

/* Publishes the entry at ent_tail, and kicks the monitor if it sleeps. */
static void submit(uint32_t op, solo5_handle_t handle, const void *data,
        size_t len)
{
    uint32_t tail = ring->ent_tail;
    volatile struct ukvm_ring_entry *e = &ring->entries[tail % UKVM_RING_SLOTS];
    e->operation = op;
    e->handle = (uint32_t)handle;
    e->data = (uintptr_t)data;
    e->len = (uint32_t)len;
    e->id = next_id++;
    barrier();
    ring->ent_tail = tail + 1;
    full_barrier();
    if (ring->needs_kick)
        __asm__ __volatile__("outl %0, %1"
                : : "a"((uint32_t)0), "d"((uint16_t)UKVM_RING_KICK_PIO));
}

solo5_result_t ring_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    assert(size <= RING_TX_MAX); /* net.c sends larger ones by hypercall */
    /* A send slot is free once the monitor has taken the entry that used it
     * TX_SLOTS entries ago. */
    while (ring->ent_tail - ring->ent_head >= TX_SLOTS)
        __asm__ __volatile__("pause");
    uint8_t *slot = tx_buf[ring->ent_tail % TX_SLOTS];
    memcpy(slot, buf, size);
    submit(UKVM_RING_NET_WRITE, handle, slot, size);
    return SOLO5_R_OK;
}

void ring_drain(void)
{
    while (ring->ent_head != ring->ent_tail)
        __asm__ __volatile__("pause");
}

solo5_result_t ring_read(solo5_handle_t handle, uint8_t *buf, size_t size,
        size_t *read_size)
{
    uint32_t id = next_id;
    submit(UKVM_RING_NET_READ, handle, buf, size);
    while (ring->com_head == ring->com_tail)
        __asm__ __volatile__("pause");
    barrier();
    volatile struct ukvm_ring_commit *c =
        &ring->commits[ring->com_head % UKVM_RING_SLOTS];
    solo5_result_t r = (solo5_result_t)c->ret;
    uint32_t len = c->len, cid = c->id;
    barrier();
    ring->com_head++;
    if (cid != id)
        return SOLO5_R_EUNSPEC;     /* not ours: the ring is out of step */
    if (r == SOLO5_R_OK)
        *read_size = len;
    return r;
}
