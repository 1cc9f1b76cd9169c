/*
 * pci.c: PCI configuration space through the legacy ports 0xcf8/0xcfc.
 *
 * Enumeration starts at bus 0 and follows PCI-to-PCI bridges, instead of
 * probing all 256 buses: on QEMU's pc machine that is one bus and a few
 * dozen reads. It collects every function first, so that I/O BARs the
 * firmware left unassigned (qboot assigns none) can be placed above all
 * assigned ones, and so that the interrupt router is known.
 *
 * A device's interrupt line register is only what the firmware believed
 * about the board's wiring, and qboot believes wrongly on QEMU's pc (it
 * writes 11 where the device raises 10). So a driver listens on every IRQ
 * a PIRQ line is routed to (pci_intx_irqs): extra interrupts cost one
 * wake-up each, a missed one a whole timer period.
 */

#include "virtio.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_ENABLE         0x80000000U

#define PCI_ID             0x00    /* vendor (low), device (high) */
#define PCI_COMMAND        0x04
#define PCI_HEADER         0x0c    /* header type in bits 16-23 */
#define PCI_BAR0           0x10
#define PCI_BUSES          0x18    /* bridge: primary, secondary, subordinate */
#define PCI_SUBSYSTEM      0x2c    /* subsystem vendor (low), id (high) */
#define PCI_INTERRUPT      0x3c    /* line in bits 0-7 */

#define PCI_COMMAND_IO     0x1
#define PCI_COMMAND_MASTER 0x4
#define PCI_HEADER_MULTIFN 0x80
#define PCI_HEADER_BRIDGE  0x01
#define PCI_BAR_IO         0x1
#define PCI_BARS           6
#define PCI_MAX_FUNCTIONS  64
#define IO_ALLOC_BASE      0xc000  /* the PC's usual PCI I/O window */
#define IO_ALLOC_END       0x10000

/* PCI interrupt routers: PIRQ[A-D] route registers at 0x60 (and E-H at
 * 0x68 on ICH9), one byte each: the ISA IRQ, bit 7 = not routed. */
#define PIRQ_ROUTE_A       0x60
#define PIRQ_ROUTE_E       0x68
#define PIRQ_DISABLED      0x80

static uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t fn,
        uint8_t off)
{
    return PCI_ENABLE | ((uint32_t)bus << 16) | ((uint32_t)dev << 11) |
        ((uint32_t)fn << 8) | (off & 0xfc);
}

static uint32_t read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, fn, off));
    return inl(PCI_CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
    return read32(d->bus, d->dev, d->fn, off);
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    outl(PCI_CONFIG_DATA, v);
}

static uint32_t io_next = IO_ALLOC_BASE;

/* Sizes an unassigned I/O BAR and places it at io_next; 0 if none fits. */
static uint16_t assign_io_bar(const struct pci_dev *d, uint8_t off)
{
    pci_write32(d, off, 0xffffffff);
    uint32_t size = ~(pci_read32(d, off) & ~3U) + 1;
    size &= 0xffff;
    if (size == 0 || (size & (size - 1)))
        return 0;
    uint32_t base = ALIGN_UP(io_next, size);
    if (base + size > IO_ALLOC_END)
        return 0;
    io_next = base + size;
    pci_write32(d, off, base | PCI_BAR_IO);
    return (uint16_t)base;
}

uint16_t pci_io_bar(const struct pci_dev *d, unsigned bar)
{
    uint8_t off = PCI_BAR0 + 4 * bar;
    uint32_t v = pci_read32(d, off);
    if (!(v & PCI_BAR_IO))
        return 0;
    uint16_t base = (uint16_t)(v & ~3U);
    return base ? base : assign_io_bar(d, off);
}

void pci_enable(const struct pci_dev *d)
{
    uint32_t cmd = pci_read32(d, PCI_COMMAND);
    /* The upper half is the status register: its bits clear on write-1. */
    cmd = (cmd & 0xffff) | PCI_COMMAND_IO | PCI_COMMAND_MASTER;
    pci_write32(d, PCI_COMMAND, cmd);
}

static uint8_t buses_seen[256 / 8];
static uint16_t pirq_irqs;  /* ISA IRQs that some PIRQ line is routed to */
static struct pci_dev functions[PCI_MAX_FUNCTIONS];
static unsigned n_functions;

static void note_routes(uint32_t routes)
{
    for (int i = 0; i < 4; i++) {
        uint8_t r = routes >> (8 * i);
        if (!(r & PIRQ_DISABLED) && r > 0 && r < 16)
            pirq_irqs |= 1U << r;
    }
}

/* The PIIX3/PIIX4 (QEMU pc) and ICH9 (q35) interrupt routers. */
static void note_router(const struct pci_dev *d)
{
    if (d->vendor != 0x8086)
        return;
    if (d->device == 0x7000 || d->device == 0x7110 || d->device == 0x2918)
        note_routes(pci_read32(d, PIRQ_ROUTE_A));
    if (d->device == 0x2918)
        note_routes(pci_read32(d, PIRQ_ROUTE_E));
}

uint16_t pci_intx_irqs(const struct pci_dev *d)
{
    uint16_t irqs = pirq_irqs;
    if (d->irq > 0 && d->irq < 16)
        irqs |= 1U << d->irq;
    return irqs;
}

/* Keeps io_next above the I/O BARs the firmware assigned. */
static void note_io_bars(const struct pci_dev *d)
{
    for (unsigned bar = 0; bar < PCI_BARS; bar++) {
        uint32_t v = pci_read32(d, PCI_BAR0 + 4 * bar);
        if ((v & PCI_BAR_IO) && (v & 0xfffc) >= io_next)
            io_next = (v & 0xfffc) + 0x100;    /* sizes are at most 256 */
        else if ((v & 0x7) == 0x4)
            bar++;  /* a 64-bit memory BAR takes two */
    }
}

static void scan_bus(uint8_t bus)
{
    if (buses_seen[bus / 8] & (1U << (bus % 8)))
        return; /* a loop of bridges (misconfigured firmware) */
    buses_seen[bus / 8] |= 1U << (bus % 8);

    for (uint8_t dev = 0; dev < 32; dev++) {
        if ((read32(bus, dev, 0, PCI_ID) & 0xffff) == 0xffff)
            continue;
        bool multi = (read32(bus, dev, 0, PCI_HEADER) >> 16) &
            PCI_HEADER_MULTIFN;
        for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++) {
            uint32_t id = read32(bus, dev, fn, PCI_ID);
            if ((id & 0xffff) == 0xffff)
                continue;
            uint8_t header = (read32(bus, dev, fn, PCI_HEADER) >> 16) & 0x7f;
            if (header == PCI_HEADER_BRIDGE) {
                uint8_t secondary = (read32(bus, dev, fn, PCI_BUSES) >> 8) & 0xff;
                if (secondary != 0)
                    scan_bus(secondary);
                continue;
            }
            if (n_functions == PCI_MAX_FUNCTIONS)
                return;
            struct pci_dev *d = &functions[n_functions++];
            *d = (struct pci_dev){
                .bus = bus, .dev = dev, .fn = fn,
                .vendor = id & 0xffff, .device = id >> 16,
                .subsys_id = read32(bus, dev, fn, PCI_SUBSYSTEM) >> 16,
                .irq = read32(bus, dev, fn, PCI_INTERRUPT) & 0xff,
            };
            note_io_bars(d);
            note_router(d);
        }
    }
}

void pci_enumerate(void (*found)(const struct pci_dev *d))
{
    scan_bus(0);
    for (unsigned i = 0; i < n_functions; i++)
        found(&functions[i]);
}
