/*
 * cpu_x86_64.c: descriptor tables (GDT, TSS, IDT) and fatal traps.
 *
 * Layout of our GDT matches the monitor's for CPL3 images (ukvm_abi.h), so
 * the same selectors are valid whichever side built the table.
 */

#include "kernel.h"

/* What the trap stubs (cpu_trap.S) push, from the lowest address up. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct gate) == 16, "IDT gate size");

struct dtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT_DPL0 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define GATE_INTERRUPT_DPL3 0xee /* the same, and `int3` may use it from ring 3 */
#define VECTOR_BP 3
#define NUM_TRAPS 32

/* The stubs, one per exception vector, in cpu_trap.S. */
extern void (*const cpu_trap_stubs[NUM_TRAPS])(void);

static const char *const trap_names[NUM_TRAPS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static uint64_t gdt[UKVM_GDT_ENTRIES] __attribute__((aligned(16)));
static struct ukvm_tss tss __attribute__((aligned(16)));
/* Global: the ukvm CPL3 note names it, so the monitor can load IDTR. */
/* Filled at every boot: the ukvm linker script puts it beside the other
 * things every boot touches (.bss.boot.idt). */
struct gate cpu_idt[CPU_IDT_GATES] __attribute__((aligned(16), section(".bss.boot.idt")));
_Static_assert(CPU_IDT_GATES >= NUM_TRAPS && CPU_IDT_GATES <= 256, "an IDT holds the exceptions");
/* A stack of its own for traps at CPL 0 (IST1), so an overflowing kernel
 * stack still gets a report instead of a triple fault. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));

static void set_gate(struct gate *g, uint64_t handler, uint8_t ist,
        uint8_t type_attr)
{
    g->offset_lo = handler & 0xffff;
    g->selector = UKVM_GDT_KERNEL_CODE;
    g->ist = ist;
    g->type_attr = type_attr;
    g->offset_mid = (handler >> 16) & 0xffff;
    g->offset_hi = handler >> 32;
    g->reserved = 0;
}

/*
 * #BP's gate has DPL 3: `int3` is a software interrupt, and from ring 3 a
 * gate of lower DPL turns it into #GP; a debugger's breakpoints in ring-3
 * code must arrive as #BP.
 */
static void fill_idt(struct gate *table, uint8_t ist)
{
    for (unsigned v = 0; v < NUM_TRAPS; v++)
        set_gate(&table[v], (uint64_t)cpu_trap_stubs[v], ist,
                v == VECTOR_BP ? GATE_INTERRUPT_DPL3 : GATE_INTERRUPT_DPL0);
}

/* Without IST: the monitor's TSS for CPL3 images has RSP0 only. */
void cpu_fill_idt(void)
{
    fill_idt(cpu_idt, 0);
}

void cpu_idt_set_gate(unsigned vector, void (*handler)(void))
{
    assert(vector < CPU_IDT_GATES);
    set_gate(&cpu_idt[vector], (uint64_t)handler, 0, GATE_INTERRUPT_DPL0);
}

static void build_gdt(void)
{
    /* Flat segments, accessed bit preset so the CPU never writes them. */
    gdt[UKVM_GDT_KERNEL_CODE / 8] = 0x00af9b000000ffffULL;
    gdt[UKVM_GDT_KERNEL_DATA / 8] = 0x00cf93000000ffffULL;
    gdt[UKVM_GDT_USER_CODE / 8] = 0x00affb000000ffffULL;
    gdt[UKVM_GDT_USER_DATA / 8] = 0x00cff3000000ffffULL;

    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[UKVM_GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
        (0x89ULL << 40) /* present, available 64-bit TSS */ |
        (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[UKVM_GDT_TSS / 8 + 1] = base >> 32;
}

void cpu_init(void)
{
    build_gdt();
    tss.ist[0] = (uint64_t)(trap_stack + sizeof trap_stack);
    tss.iomap_base = sizeof tss;
    fill_idt(cpu_idt, 1);

    struct dtr gdtr = { sizeof gdt - 1, (uint64_t)gdt };
    struct dtr idtr = { sizeof cpu_idt - 1, (uint64_t)cpu_idt };
    __asm__ __volatile__(
        "lgdt %0\n\t"
        "lidt %1\n\t"
        /* Reload CS through a far return, then the data segments. */
        "pushq %2\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %3, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        "ltr %w4\n\t"
        :
        : "m"(gdtr), "m"(idtr), "i"(UKVM_GDT_KERNEL_CODE),
          "i"(UKVM_GDT_KERNEL_DATA), "r"((uint16_t)UKVM_GDT_TSS)
        : "rax", "memory");
}

/* WRMSR at CPL 0; at CPL 3, WRFSBASE, which our monitor enables, or on a
 * CPU without FSGSBASE the monitor's SET_FS_BASE (platform_set_fs_base). */
solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    if (cpu_cpl() == 0) {
        __asm__ __volatile__("wrmsr" : : "c"(0xc0000100U),
                "a"((uint32_t)base), "d"((uint32_t)(base >> 32)));
        return SOLO5_R_OK;
    }
    uint32_t r[4];
    bool fsgsbase = false;
    cpu_cpuid(0, 0, r);
    if (r[0] >= 7) {
        cpu_cpuid(7, 0, r);
        fsgsbase = r[1] & 1;
    }
    if (!fsgsbase)
        return platform_set_fs_base(base);
    __asm__ __volatile__("wrfsbase %0" : : "r"(base));
    return SOLO5_R_OK;
}

/* The fault report of a trap: the interrupted context, from the frame. */
static struct ukvm_fault_cookie *trap_report(const struct trap_frame *tf,
        uint64_t cr2)
{
    struct ukvm_fault_cookie *c = fault_cookie(UKVM_FAULT_TRAP,
            (uint32_t)tf->vector);
    c->cr2 = cr2;
    c->error_code = tf->error_code;
    c->rip = tf->rip;
    c->cs = tf->cs;
    c->rflags = tf->rflags;
    c->rsp = tf->rsp;
    c->ss = tf->ss;
    c->rax = tf->rax;
    c->rbx = tf->rbx;
    c->rcx = tf->rcx;
    c->rdx = tf->rdx;
    c->rsi = tf->rsi;
    c->rdi = tf->rdi;
    c->rbp = tf->rbp;
    c->r8 = tf->r8;
    c->r9 = tf->r9;
    c->r10 = tf->r10;
    c->r11 = tf->r11;
    c->r12 = tf->r12;
    c->r13 = tf->r13;
    c->r14 = tf->r14;
    c->r15 = tf->r15;
    return c;
}

/*
 * The trap stubs' C entry. #DB and #BP go to the monitor's debugger first
 * when there is one: it resumes the trapped context, and this call does
 * not return. Kept apart from cpu_trap(), so that a debugger's breakpoint
 * on cpu_trap() stops at fatal traps only, not at its own.
 */
void cpu_trap_entry(struct trap_frame *tf)
{
    if (tf->vector == UKVM_FAULT_VECTOR_DB || tf->vector == UKVM_FAULT_VECTOR_BP)
        platform_debug_trap(trap_report(tf, 0));
    cpu_trap(tf);
}

/*
 * Runs in ring 0, possibly emulated: short, no printf of floating point,
 * no SSE (this file is built with -mgeneral-regs-only).
 */
void cpu_trap(struct trap_frame *tf)
{
    uint64_t cr2 = 0;
    if (tf->vector == 14)
        __asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
    struct ukvm_fault_cookie *report = trap_report(tf, cr2);

    const char *name = tf->vector < NUM_TRAPS ? trap_names[tf->vector] : "?";
    log(LOG_ERROR, "trap: type=%s vector=%lu ec=0x%lx rip=0x%lx rsp=0x%lx "
            "rflags=0x%lx\n", name, (unsigned long)tf->vector,
            (unsigned long)tf->error_code, (unsigned long)tf->rip,
            (unsigned long)tf->rsp, (unsigned long)tf->rflags);
    if (tf->vector == 14)
        log(LOG_ERROR, "trap: page fault address=0x%lx\n", (unsigned long)cr2);
    PANIC_WITH("Fatal trap", report);
}
