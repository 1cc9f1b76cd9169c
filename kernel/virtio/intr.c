/*
 * intr.c: the legacy 8259 PICs and the interrupt handler, for sleeping.
 *
 * Interrupts exist only to end a hlt: the kernel runs with IF = 0 and
 * opens the window in intr_wait() alone (sti; hlt executes the hlt before
 * any interrupt is taken, so a wake-up raised just before is not lost). The
 * handler does no work of its own: it acknowledges the devices (a legacy
 * virtio device lowers its level-triggered line when its ISR register is
 * read) and the PICs, and returns to the instruction after hlt; the caller
 * then looks at the clock and the rings itself.
 *
 * IRQ 0 is the PIT (clock.c, pit_oneshot), the others PCI devices.
 */

#include "virtio.h"

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1
#define PIC_ICW1    0x11    /* init, cascade, ICW4 follows */
#define PIC_ICW4    0x01    /* 8086 mode */
#define PIC_EOI     0x20    /* non-specific end of interrupt */
#define PIC_CASCADE 2       /* the slave sits on the master's IRQ 2 */
#define ELCR1       0x4d0   /* edge/level control, IRQ 0-7 (PIIX, ICH) */
#define ELCR2       0x4d1   /* IRQ 8-15 */
#define IRQ_VECTOR  32      /* IRQ n arrives at vector 32 + n */
#define MAX_ACKS    16

static uint16_t mask = 0xffff;          /* bit n: IRQ n masked */
static uint16_t ack_ports[MAX_ACKS];
static unsigned n_acks;

void intr_stub(void);
__asm__(
    ".text\n"
    ".balign 16\n"
    "intr_stub:\n\t"
    /* The CPU pushed 5 words on a 16-byte aligned stack; 9 more keep the
     * call below aligned. The callee saves the other registers; it is
     * built without SSE, so no vector state needs saving. */
    "pushq %rax\n\tpushq %rcx\n\tpushq %rdx\n\tpushq %rsi\n\tpushq %rdi\n\t"
    "pushq %r8\n\tpushq %r9\n\tpushq %r10\n\tpushq %r11\n\t"
    "cld\n\t"
    "call intr_handle\n\t"
    "popq %r11\n\tpopq %r10\n\tpopq %r9\n\tpopq %r8\n\t"
    "popq %rdi\n\tpopq %rsi\n\tpopq %rdx\n\tpopq %rcx\n\tpopq %rax\n\t"
    "iretq\n");

__attribute__((used)) static void intr_handle(void)
{
    for (unsigned i = 0; i < n_acks; i++)
        (void)inb(ack_ports[i]);
    /* Whichever IRQ it was: an EOI where nothing is in service is a no-op,
     * and only one interrupt is ever in service at a time. */
    outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

static void write_mask(void)
{
    outb(PIC1_DATA, mask & 0xff);
    outb(PIC2_DATA, mask >> 8);
}

void intr_init(void)
{
    outb(PIC1_CMD, PIC_ICW1);
    outb(PIC2_CMD, PIC_ICW1);
    outb(PIC1_DATA, IRQ_VECTOR);
    outb(PIC2_DATA, IRQ_VECTOR + 8);
    outb(PIC1_DATA, 1 << PIC_CASCADE);
    outb(PIC2_DATA, PIC_CASCADE);
    outb(PIC1_DATA, PIC_ICW4);
    outb(PIC2_DATA, PIC_ICW4);
    for (unsigned v = IRQ_VECTOR; v < IRQ_VECTOR + 16; v++)
        cpu_idt_set_gate(v, intr_stub);
    /* The BIOS left the PIT ticking at 18.2 Hz: make it one-shot. */
    pit_oneshot(0);
    mask = 0xffff & ~(1U << 0);
    write_mask();
}

static void add_ack_port(uint16_t port)
{
    for (unsigned i = 0; i < n_acks; i++)
        if (ack_ports[i] == port)
            return;
    assert(n_acks < MAX_ACKS);
    ack_ports[n_acks++] = port;
}

void intr_enable_irq(unsigned irq, uint16_t ack_port)
{
    if (irq == 0 || irq >= 16 || irq == PIC_CASCADE)
        return;
    add_ack_port(ack_port);
    /* PCI interrupts are level triggered; the BIOS should have said so in
     * the ELCR already. */
    if (irq < 8)
        outb(ELCR1, inb(ELCR1) | (1U << irq));
    else
        outb(ELCR2, inb(ELCR2) | (1U << (irq - 8)));
    mask &= ~(1U << irq);
    if (irq >= 8)
        mask &= ~(1U << PIC_CASCADE);
    write_mask();
}

void intr_wait(void)
{
    __asm__ __volatile__("sti; hlt; cli" : : : "memory");
}
