/*
 * kernel.h: internal interfaces of the kernel, shared by all backends.
 *
 * Prototypes are grouped by the file that defines them. The platform_* hooks
 * are declared here once and defined by each backend (kernel/ukvm,
 * kernel/virtio); everything else lives in kernel/common.
 *
 * The kernel is freestanding: no libc, no SSE (it is built with
 * -mgeneral-regs-only, because under PVM ring-0 code is emulated and the
 * emulator lacks SSE; docs/platform.md).
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "solo5.h"
#include "mft_abi.h"  /* struct mft: one manifest format on every backend */
#include "ukvm_abi.h" /* the stack reserve and the frame-length rule */
#include "ukvm_ext.h" /* the TSS and IDT size shared with the CPL3 note */

/*
 * Variables every boot reads or writes. The ukvm linker script lays them
 * out together at the start of .bss, on the page of .data: under kvm-pvm
 * the first touch of each guest page costs an exit to KVM (some 17 us),
 * and scattered among the large buffers they cost a page each.
 */
#define BOOT_VAR __attribute__((section(".bss.boot")))

#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE 4096
#define SOLO5_VERSION "v0.1.0"

/* ---- Backend hooks: each backend defines these. ---- */

/* Write n bytes to the console, unbuffered. Must work at any privilege level. */
void platform_puts(const char *buf, size_t n);
/* Stop the machine with status; cookie is passed to the monitor if it can
 * take one (ukvm), else ignored. */
void platform_exit(int status, const void *cookie) NORETURN;
/* Hands a #DB or #BP (cookie: its fault report) to the monitor's debugger,
 * which resumes the guest in the trapped context, if there is one (ukvm
 * with UKVM_HOST_FEATURE_DEBUG); returns at once otherwise. */
void platform_debug_trap(const struct ukvm_fault_cookie *cookie);
/* Sets FS.base for a kernel at CPL 3 that cannot use WRFSBASE (no FSGSBASE):
 * through the monitor where it offers to (ukvm, SET_FS_BASE in ukvm_ext.h);
 * SOLO5_R_EUNSPEC where nothing can. */
solo5_result_t platform_set_fs_base(uintptr_t base);

/* ---- start.c: the common boot sequence ---- */

/* What a backend has found out about the machine before kernel_main(). */
struct kernel_boot {
    const char *cmdline;     /* raw command line (may be NULL) */
    uint64_t mem_size;       /* first byte past usable memory */
    uint64_t kernel_end;     /* first byte past the loaded image */
};
/* Prints the banner, parses the command line, runs the application and exits
 * with its status. */
void kernel_main(const struct kernel_boot *boot) NORETURN;

/* ---- lib.c: the bits of the C library the kernel needs ---- */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
/* src into dst (size bytes), cut short if need be and always terminated;
 * unlike strncpy it writes nothing past the NUL: a boot's 8 KiB command
 * line buffer is then one page the guest touches, not three. */
void copy_string(char *restrict dst, const char *restrict src, size_t size);
int isspace(int c);

/* ---- printf.c: formatted output ---- */
/* Supports %d %i %u %x %X %p %s %c %% with l, ll, z flags, width, '0'. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);
int printf(const char *fmt, ...) PRINTF(1, 2);

/* ---- log.c: the console, and kernel messages filtered by --solo5:LEVEL ---- */
/* All console output goes through here (never platform_puts directly). */
void console_write(const char *buf, size_t n);
/* From now until console_flush(), gather output into one write. */
void console_buffer_boot(void);
/* The backend gathers console output itself (ukvm's console buffer): the
 * boot's messages then go straight to it, not through the boot buffer. */
void console_gathered_by_backend(void);
/* Writes what was gathered and stops gathering. */
void console_flush(void);
enum log_level {
    LOG_QUIET = 0, LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4
};
extern enum log_level log_level;
void log(enum log_level level, const char *fmt, ...) PRINTF(2, 3);

/* ---- abort.c: assertions and fatal errors ---- */
void _assert_fail(const char *file, const char *line, const char *expr)
    NORETURN;
void _abort(const char *file, const char *line, const char *msg) NORETURN;
/* _abort() with a fault report made by the caller (a trap's). */
void _abort_with(const char *file, const char *line, const char *msg,
        const struct ukvm_fault_cookie *cookie) NORETURN;
#define STR_(x) #x
#define STR(x) STR_(x)
#define assert(e) \
    do { if (!(e)) _assert_fail(__FILE__, STR(__LINE__), #e); } while (0)
#define PANIC(msg) _abort(__FILE__, STR(__LINE__), msg)
#define PANIC_WITH(msg, cookie) _abort_with(__FILE__, STR(__LINE__), msg, cookie)

/* ---- fault.c: the fault report a fatal ending hands the monitor ---- */
/* The one report (static: HALT's cookie must lie well inside guest memory,
 * which the top of the stack does not), zeroed, with its header and kind
 * (UKVM_FAULT_TRAP, UKVM_FAULT_ABORT) and vector filled in. */
struct ukvm_fault_cookie *fault_cookie(uint32_t kind, uint32_t vector);

/*
 * Records the general registers, rip, rflags, cs and ss in *c as they are
 * where this is inlined: rip is an address in the calling function and the
 * other registers match it, so a debugger unwinds the stack from there.
 * Always inlined, so that the calling function is the one recorded.
 */
#define SAVE_REG(r) "movq %%" #r ", %c[" #r "](%[c])\n\t"
#define SAVE_OFF(r) [r] "i"(offsetof(struct ukvm_fault_cookie, r))
static inline __attribute__((always_inline))
void cpu_save_state(struct ukvm_fault_cookie *c)
{
    __asm__ __volatile__(
        SAVE_REG(rax) SAVE_REG(rbx) SAVE_REG(rcx) SAVE_REG(rdx)
        SAVE_REG(rsi) SAVE_REG(rdi) SAVE_REG(rbp) SAVE_REG(rsp)
        SAVE_REG(r8) SAVE_REG(r9) SAVE_REG(r10) SAVE_REG(r11)
        SAVE_REG(r12) SAVE_REG(r13) SAVE_REG(r14) SAVE_REG(r15)
        "leaq 1f(%%rip), %%rax\n"
        "1:\n\t"
        "movq %%rax, %c[rip](%[c])\n\t"
        "pushfq\n\t"
        "popq %c[rflags](%[c])\n\t"
        "movq %%cs, %%rax\n\t"
        "movq %%rax, %c[cs](%[c])\n\t"
        "movq %%ss, %%rax\n\t"
        "movq %%rax, %c[ss](%[c])\n\t"
        :
        : [c] "r"(c),
          SAVE_OFF(rax), SAVE_OFF(rbx), SAVE_OFF(rcx), SAVE_OFF(rdx),
          SAVE_OFF(rsi), SAVE_OFF(rdi), SAVE_OFF(rbp), SAVE_OFF(rsp),
          SAVE_OFF(r8), SAVE_OFF(r9), SAVE_OFF(r10), SAVE_OFF(r11),
          SAVE_OFF(r12), SAVE_OFF(r13), SAVE_OFF(r14), SAVE_OFF(r15),
          SAVE_OFF(rip), SAVE_OFF(rflags), SAVE_OFF(cs), SAVE_OFF(ss)
        : "rax", "memory");
}
#undef SAVE_REG
#undef SAVE_OFF

/* ---- ssp.c: stack protector ---- */
/* Seeds the canary from `entropy` (random bytes from the monitor) when
 * have_entropy, else from RDRAND (if CPUID lists it), mixed with the TSC.
 * Call before any function built with the stack protector returns. */
void ssp_init(bool have_entropy, uint64_t entropy);

static inline void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    __asm__ __volatile__("cpuid"
            : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
            : "a"(leaf), "c"(subleaf));
}

/* ---- tsc.c: the clocks, from the TSC ---- */
static inline uint64_t cpu_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
/* freq_hz: the TSC frequency. Starts the monotonic clock at 0. */
void tsc_init(uint64_t freq_hz);
/* Nanoseconds since tsc_init(). */
uint64_t tsc_monotonic(void);
/* The wall clock (ns since the epoch) now, read once from the platform;
 * solo5_clock_wall() then advances it with the monotonic clock. */
void tsc_set_wall(uint64_t wall_ns);
/* The wall clock is read from read_wall_ns() on its first use instead. */
void tsc_set_wall_source(uint64_t (*read_wall_ns)(void));

/* ---- cmdline.c: --solo5: options ---- */
/* Consumes --solo5:LEVEL options (setting log_level) from cmdline, in place,
 * and returns what is left for the application. */
char *cmdline_parse(char *cmdline);

/* ---- mft.c: the device manifest ---- */
/* Finds the attached device called name of type; NULL if there is none.
 * *handle is set to its index. */
const struct mft_entry *mft_get_by_name(const char *name, uint32_t type,
        solo5_handle_t *handle);
/* The entry for handle if it is an attached device of type, else NULL. */
const struct mft_entry *mft_get_by_index(solo5_handle_t handle,
        uint32_t type);
/* Records the manifest (called once by the backend, before kernel_main). */
void mft_init(const struct mft *mft);

/* ---- devices.c: acquiring devices, checking requests ---- */
/* The device behind handle if the request is whole, aligned blocks (one
 * block up to SOLO5_BLOCK_IO_MAX bytes) inside it, as the API promises;
 * else NULL. */
const struct mft_entry *block_check_request(solo5_handle_t handle,
        solo5_off_t offset, const uint8_t *buf, size_t size);
/* The device behind handle if buf can hold any frame it delivers (MTU plus
 * the Ethernet header, as upstream requires); else NULL. */
const struct mft_entry *net_check_read(solo5_handle_t handle,
        const uint8_t *buf, size_t size, const size_t *read_size);
/* True when the backend's host segments large TCP frames (ukvm with
 * UKVM_HOST_FEATURE_LARGE_SEND); then solo5_net_max_frame() says so. */
extern bool net_large_send;
/* The device behind handle if size is a frame it may send (a large one
 * only with net_large_send); else NULL. */
const struct mft_entry *net_check_write(solo5_handle_t handle,
        const uint8_t *buf, size_t size);

/* ---- cpu_x86_64.c: descriptor tables and traps ---- */
/* The current privilege level (0 or 3), from CS. */
static inline unsigned cpu_cpl(void)
{
    uint16_t cs;
    __asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}
/* Ring 0: builds and loads our GDT, TSS and IDT. */
void cpu_init(void);
/* Gates in our IDT: a backend that takes interrupts needs all 256; ukvm
 * takes none and builds with CPU_IDT_GATES=32, the exceptions (its CPL3
 * note then says so, UKVM_CPL3_EXCEPTIONS_ONLY). */
#ifndef CPU_IDT_GATES
#define CPU_IDT_GATES 256
#endif
/* Fills our IDT (the symbol cpu_idt, CPU_IDT_GATES gates) with gates to the
 * trap handlers, without loading it: ring 3 cannot, and for CPL3 images the
 * monitor has loaded IDTR with cpu_idt already. */
void cpu_fill_idt(void);
/* Points vector at handler in our IDT (ring 0 setups; virtio IRQs). */
void cpu_idt_set_gate(unsigned vector, void (*handler)(void));
/* Called from the trap stubs in ring 0: a debug trap goes to the monitor's
 * debugger if there is one; any other trap, cpu_trap(). */
struct trap_frame;
void cpu_trap_entry(struct trap_frame *tf) NORETURN;
/* Reports the trap and aborts. */
void cpu_trap(struct trap_frame *tf) NORETURN;

#endif /* KERNEL_H */
