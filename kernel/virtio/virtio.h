/*
 * virtio.h: the virtio backend's internals (supersedes kernel/common/kernel.h).
 *
 * The virtio kernel runs on a PC-like machine (QEMU's "pc", with TCG or KVM):
 * a multiboot loader starts it (boot/multiboot.S), the console is COM1, the
 * clock is the TSC, devices are legacy virtio-pci, and exit goes through
 * QEMU's isa-debug-exit device. Everything runs at CPL 0.
 *
 * Physical memory (identity mapped by boot/multiboot.S, first 4 GiB):
 *
 *   0x000000 - 0x000fff  not present (NULL guard)
 *   0x001000 - 0x09ffff  BIOS data; QEMU puts the multiboot memory map here
 *   0x0a0000 - 0x0fffff  VGA window, option ROMs, BIOS
 *   0x100000             image: multiboot header, text, rodata and notes,
 *                        data, bss (boot page tables and boot stack)
 *   __bss_end            multiboot info and command line (QEMU), copied out
 *                        at boot, then overwritten by:
 *                        virtqueues and device buffers (mem_alloc)
 *   kernel_end           heap (the application's)
 *   mem_size - 1 MiB     stack, growing down from mem_size
 *
 * mem_size is the top of the RAM region containing 0x100000, at most 4 GiB.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "kernel.h"

/* ---- Port I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Orders our stores to shared rings against the device (and loads after). */
static inline void mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- start.c: the boot sequence ---- */
/* Called by boot/multiboot.S in long mode with the multiboot info address. */
void virtio_start(uint32_t mbi) NORETURN;

/* ---- mem.c: boot-time allocation after the image ---- */
/* Starts allocating at start (the first free byte after the image). */
void mem_init(uint64_t start, uint64_t mem_size);
/* size bytes, zeroed, aligned to a page; fatal when memory runs out. Only
 * before kernel_main(): the heap starts where the allocations end. */
void *mem_alloc(size_t size);
/* The first byte after the last allocation. */
uint64_t mem_end(void);

/* ---- multiboot.c: what the loader tells us ---- */
struct multiboot_facts {
    uint64_t mem_size;      /* top of the RAM region containing 0x100000 */
    const char *cmdline;    /* arguments only (kernel path removed); a copy */
};
/* Fails (platform_exit) when the information lacks a memory size. */
void multiboot_parse(uint32_t mbi, struct multiboot_facts *facts);

/* ---- serial.c: COM1 (and platform_puts) ---- */
void serial_init(void);

/* ---- clock.c: TSC calibration, RTC, PIT ---- */
/* Calibrates the TSC (tsc_init) and reads the RTC for the wall clock. */
void clock_init(void);
/* PIT channel 0 interrupts (IRQ 0) once after ns (at most 50 ms). */
void pit_oneshot(uint64_t ns);

/* ---- intr.c: the legacy PICs; interrupts only end a hlt ---- */
/* Remaps the PICs to vectors 32-47, masks all but IRQ 0, installs the
 * handler. Interrupts stay disabled except while halted in intr_wait(). */
void intr_init(void);
/* Unmasks the (level-triggered) IRQs in irqs, bit n for IRQ n, for a PCI
 * device; the handler reads ack_port (a legacy virtio ISR register) on
 * every interrupt. False if there is none to unmask. */
bool intr_enable_irqs(uint16_t irqs, uint16_t ack_port);
/* Enables interrupts and halts until one arrives, atomically (sti; hlt;
 * an interrupt taken before the hlt ends the wait too). */
void intr_wait(void);
/* At exit, with --solo5:debug: how many waits ended by an interrupt taken
 * before their hlt (a hypervisor that loses sti's interrupt shadow). */
void intr_report(void);

/* ---- pci.c: configuration space through ports 0xcf8/0xcfc ---- */
struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint16_t subsys_id;     /* virtio: the device type */
    uint8_t irq;            /* interrupt line the firmware wrote, 0xff none */
};
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
/* The I/O port base of BAR bar, 0 if it is not an I/O BAR. */
uint16_t pci_io_bar(const struct pci_dev *d, unsigned bar);
/* The ISA IRQs the device's INTx may arrive on (bit n: IRQ n). */
uint16_t pci_intx_irqs(const struct pci_dev *d);
/* Enables I/O decoding and bus mastering (DMA). */
void pci_enable(const struct pci_dev *d);
/* Calls found() for every function, in bus/device/function order. */
void pci_enumerate(void (*found)(const struct pci_dev *d));

/* ---- virtq.c: the legacy virtio-pci transport and split virtqueues ---- */
/* Legacy I/O BAR 0 registers. */
#define VIRTIO_PCI_HOST_FEATURES  0x00  /* 32 */
#define VIRTIO_PCI_GUEST_FEATURES 0x04  /* 32 */
#define VIRTIO_PCI_QUEUE_PFN      0x08  /* 32: ring address >> 12 */
#define VIRTIO_PCI_QUEUE_NUM      0x0c  /* 16: ring size, read-only */
#define VIRTIO_PCI_QUEUE_SEL      0x0e  /* 16 */
#define VIRTIO_PCI_QUEUE_NOTIFY   0x10  /* 16 */
#define VIRTIO_PCI_STATUS         0x12  /* 8 */
#define VIRTIO_PCI_ISR            0x13  /* 8: read to acknowledge */
#define VIRTIO_PCI_CONFIG         0x14  /* device config (MSI-X off) */

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FAILED      128

#define VIRTQ_DESC_F_NEXT   1
#define VIRTQ_DESC_F_WRITE  2   /* device writes (else reads) the buffer */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

struct virtq {
    uint16_t iobase;        /* the device's legacy I/O BAR */
    uint16_t index;         /* queue number */
    uint16_t num;           /* entries, a power of 2 */
    uint16_t avail_idx;     /* our copy of avail->idx */
    uint16_t used_idx;      /* next used entry we have not consumed */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
};

/* Resets the device and negotiates: returns the accepted features
 * (wanted & offered), after ACKNOWLEDGE|DRIVER. */
uint32_t virtio_pci_begin(uint16_t iobase, uint32_t wanted);
/* Sets DRIVER_OK: the device is live. */
void virtio_pci_ready(uint16_t iobase);
/* Allocates and registers queue index; false if the device has none. When
 * interrupts is false the device is asked not to interrupt for it. */
bool virtq_init(struct virtq *q, uint16_t iobase, uint16_t index,
        bool interrupts);
/* Makes descriptor chain head available (does not notify). */
void virtq_push(struct virtq *q, uint16_t head);
/* Tells the device to look at the available ring. */
void virtq_notify(struct virtq *q);
/* True if the device has returned a chain we have not consumed. */
static inline bool virtq_has_used(const struct virtq *q)
{
    return q->used->idx != q->used_idx;
}
/* Takes the next used chain: its head and the length the device wrote.
 * Call only when virtq_has_used(). */
uint16_t virtq_pop(struct virtq *q, uint32_t *len);

/* ---- virtio_net.c ---- */
/* Claims a virtio-net device; false if it cannot be used. */
bool virtio_net_probe(const struct pci_dev *d);
unsigned virtio_net_count(void);
/* Binds device i to manifest entry e (handle h): fills mac and mtu. */
void virtio_net_attach(unsigned i, struct mft_entry *e, solo5_handle_t h);
/* The set of handles with a received frame waiting. */
solo5_handle_set_t virtio_net_pending(void);
/* True if some device cannot interrupt: solo5_yield() must poll. */
bool virtio_net_polled(void);
/* Waits (up to 100 ms) until the devices have taken every frame written:
 * QEMU exiting at once would drop those still queued. */
void virtio_net_flush(void);

/* ---- virtio_blk.c ---- */
bool virtio_blk_probe(const struct pci_dev *d);
unsigned virtio_blk_count(void);
/* Binds device i to manifest entry e: fills capacity and block_size. */
void virtio_blk_attach(unsigned i, struct mft_entry *e, solo5_handle_t h);

/* yield.c (solo5_yield) and platform.c (platform_exit, solo5_set_tls_base)
 * define only what solo5.h and kernel.h declare. */

#endif /* VIRTIO_H */
