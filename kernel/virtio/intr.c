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
 * The wait does not rely on sti's one-instruction interrupt shadow alone.
 * Where a hypervisor loses it, an interrupt arrives between the sti and the
 * hlt: its handler would return to the hlt, which then sleeps until the
 * next interrupt, and with the PIT one-shot already spent and the device's
 * interrupt already taken there is none: the guest waits forever. QEMU's
 * emulated SVM does lose it (its VMRUN does not restore the shadow a
 * #VMEXIT saved in the VMCB's int_state; KVM inside it then opens an
 * interrupt window that is taken at once, on the hlt): that hung the
 * hardware-KVM rig's virtio guests now and then (docs/platform.md). So the
 * handler, seeing that it interrupted the hlt of intr_wait, returns past
 * it: the wait ends as if the hlt had been woken.
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
#define MSR_APIC_BASE        0x1b
#define MSR_APIC_BASE_ENABLE (1U << 11)
#define APIC_SVR             0xf0   /* spurious vector, software enable */
#define APIC_SVR_ENABLE      0x100
#define APIC_LVT_LINT0       0x350
#define APIC_LVT_EXTINT      0x700  /* ExtINT, unmasked */
#define MAX_ACKS    16

static uint16_t mask = 0xffff;          /* bit n: IRQ n masked */
/* Interrupts taken between intr_wait's sti and hlt (the shadow lost). */
__attribute__((used)) static uint64_t intr_early;
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
    /* Interrupted on intr_wait's hlt (see above): return after it. The
     * saved RIP sits above the 9 registers pushed here. */
    "leaq intr_wait_hlt(%rip), %rax\n\t"
    "cmpq %rax, 72(%rsp)\n\t"
    "jne 1f\n\t"
    "incq 72(%rsp)\n\t"
    "incq intr_early(%rip)\n"
    "1:\n\t"
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

/*
 * The PIC's output reaches the CPU through the local APIC's LINT0 pin in
 * ExtINT mode. SeaBIOS leaves it so; qboot leaves the APIC software-disabled
 * with LINT0 masked, where QEMU delivers nothing. APIC spurious interrupts
 * go to vector 47 (its low 4 bits must be 1s on old CPUs), one of ours.
 */
static void lapic_route_pic(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
    if (!(lo & MSR_APIC_BASE_ENABLE))
        return;     /* no APIC in the way: the PIC drives INTR itself */
    volatile uint32_t *apic = (volatile uint32_t *)(uintptr_t)
        (((uint64_t)hi << 32) | (lo & ~0xfffU));
    apic[APIC_SVR / 4] = APIC_SVR_ENABLE | (IRQ_VECTOR + 15);
    apic[APIC_LVT_LINT0 / 4] = APIC_LVT_EXTINT;
}

void intr_init(void)
{
    lapic_route_pic();
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

bool intr_enable_irqs(uint16_t irqs, uint16_t ack_port)
{
    irqs &= ~((1U << 0) | (1U << PIC_CASCADE));   /* not PCI's */
    if (!irqs)
        return false;
    add_ack_port(ack_port);
    /* PCI interrupts are level triggered; the firmware should have set the
     * ELCR so already. */
    outb(ELCR1, inb(ELCR1) | (irqs & 0xff));
    outb(ELCR2, inb(ELCR2) | (irqs >> 8));
    mask &= ~irqs;
    if (irqs >> 8)
        mask &= ~(1U << PIC_CASCADE);
    write_mask();
    return true;
}

/* sti; hlt; cli, with a label on the hlt for intr_stub. A function of its
 * own in assembly, so the hlt has exactly one address. */
__asm__(
    ".text\n"
    ".globl intr_wait\n"
    ".type intr_wait, @function\n"
    "intr_wait:\n\t"
    "sti\n"
    "intr_wait_hlt:\n\t"
    "hlt\n\t"
    "cli\n\t"
    "ret\n"
    ".size intr_wait, . - intr_wait\n");

void intr_report(void)
{
    if (intr_early)
        log(LOG_DEBUG, "virtio: %lu interrupts came between sti and hlt "
                "(the interrupt shadow lost); the waits ended anyway\n",
                (unsigned long)intr_early);
}
