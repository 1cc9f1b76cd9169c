/*
 * ukvm_ext.h: our extensions of the hvt ABI, byte for byte.
 *
 * Each is built so that nothing changes for an image or a monitor that
 * does not use it (docs/extensions.md):
 *   - the CPL3 note: a monitor that knows it starts the image at CPL 3; one
 *     that does not ignores it, and the kernel sets itself up at CPL 0;
 *   - NETIO: a monitor that offers it sets UKVM_HOST_FEATURE_NETIO in the
 *     boot info (ukvm_abi.h); a guest uses hypercall UKVM_HYPERCALL_NETIO
 *     only then, and the base network hypercalls otherwise;
 *   - multi-block requests: a monitor that accepts them sets
 *     UKVM_HOST_FEATURE_BLOCK_MULTI (ukvm_abi.h, with the size limit); a
 *     guest sends a request of many blocks in one BLOCK_READ/BLOCK_WRITE
 *     only then, and one hypercall per block otherwise. No struct changes.
 *
 *   - fault reports: the cookie a kernel hands over with HALT when it ends
 *     on a fault starts with the layout every hvt monitor reads (upstream's
 *     trap registers) and goes on with ours (all registers, the kind of
 *     fault); and, only when the monitor sets UKVM_HOST_FEATURE_DEBUG, #DB
 *     and #BP go to the monitor's debugger, which resumes the guest.
 *
 *   - SET_FS_BASE: a monitor that offers it sets UKVM_HOST_FEATURE_SET_FS_BASE;
 *     a guest at CPL 3 on a CPU without FSGSBASE sets its TLS base with
 *     hypercall UKVM_HYPERCALL_SET_FS_BASE only then.
 *
 *   - large send: a monitor that segments TCP for the guest sets
 *     UKVM_HOST_FEATURE_LARGE_SEND; a guest writes frames longer than
 *     ukvm_net_tx_max() (IPv4/TCP ones, ukvm_large_send_check) only then.
 *
 *   - entropy: a monitor that fills the boot info's `entropy` (a field
 *     after upstream's, which upstream's tender leaves alone) sets
 *     UKVM_HOST_FEATURE_ENTROPY, and a guest reads the field only then.
 *
 *   - the console buffer: an image that carries the console note names a
 *     buffer in its memory; a monitor that drains it sets
 *     UKVM_HOST_FEATURE_CONSOLE_BUFFER, and the guest appends its console
 *     output there instead of a PUTS per write only then.
 *
 * Dual use, like ukvm_abi.h; assembly files may include it for the note.
 */
#ifndef UKVM_EXT_H
#define UKVM_EXT_H

#include "ukvm_abi.h"
#include "mft_abi.h"

/*
 * The CPL3 note (name "UKVM", type "CPL3").
 *
 * Under PVM-style KVM (no hardware virtualization) ring-0 guest code is
 * emulated one instruction at a time, while ring-3 code runs natively. An
 * image that carries this note asks our monitor to start it directly at CPL 3:
 *
 *   - CS = UKVM_GDT_USER_CODE|3, SS/DS/ES/FS/GS = UKVM_GDT_USER_DATA|3;
 *   - RFLAGS.IOPL = 3, so the hypercall `outl` works from ring 3;
 *   - every guest page (but the NULL guard and the GDT/TSS page) has the U bit;
 *     the GDT/TSS page at 0x1000 is present but supervisor-only;
 *   - a 64-bit TSS at UKVM_TSS_BASE with RSP0 = exception_stack and an I/O
 *     permission bitmap that allows ports 0 - 0xfff (TR = UKVM_GDT_TSS, limit
 *     UKVM_TSS_LIMIT): PVM checks the bitmap for ring-3 `out`, whatever
 *     IOPL says; and IDTR = {idt, size - 1}, size UKVM_IDT_SIZE (256 gates)
 *     or, with the flag UKVM_CPL3_EXCEPTIONS_ONLY, UKVM_IDT_EXCEPTIONS_SIZE
 *     (the 32 exception vectors: a kernel that takes no interrupts, which
 *     then keeps its IDT on a page it touches anyway): exceptions raised in
 *     ring 3 enter the guest's ring-0 handlers on a stack of their own;
 *   - CR4.FSGSBASE set when the vCPU's CPUID has FSGSBASE (leaf 7, EBX bit 0),
 *     so the guest can set its TLS base with WRFSBASE instead of WRMSR;
 *   - W^X: the image's pages are mapped as its PT_LOAD segments say: an
 *     executable segment read-only and executable, a read-only one
 *     read-only; every other page of memory (data, bss, heap, stack, boot
 *     info, GDT/TSS) is never executable (the NX bit, EFER.NXE set when the
 *     vCPU's CPUID has NX: leaf 0x80000001, EDX bit 20). CR0.WP holds at
 *     ring 0 too. A page shared by a writable and an executable segment is
 *     refused. 2 MiB regions whose pages differ get 4 KiB page tables: the
 *     one at UKVM_PTE_BASE, then up to UKVM_CPL3_EXTRA_PTS more from
 *     UKVM_CPL3_EXTRA_PT_BASE (not present to the guest, like all pages
 *     below UKVM_GUARD_END);
 *
 * The guest fills its IDT itself (it is ordinary writable memory) before it
 * can fault. Everything else in the entry state is as in the base ABI.
 */
#define UKVM_TSS_IO_PORTS   0x1000     /* the bitmap allows ports 0 to 0xfff */
#define UKVM_CPL3_EXTRA_PT_BASE 0x9000 /* page tables after UKVM_PTE_BASE */
#define UKVM_CPL3_EXTRA_PTS     7      /* 0x9000 - 0xffff */

#define UKVM_NOTE_NAME      "UKVM"
#define UKVM_NOTE_CPL3      0x334c5043 /* "CPL3" */
#define UKVM_CPL3_VERSION   1
#define UKVM_IDT_SIZE       4096       /* 256 16-byte gates */
#define UKVM_IDT_EXCEPTIONS_SIZE 512   /* the 32 exception vectors' gates */
#define UKVM_CPL3_EXCEPTIONS_ONLY 1    /* flags: the IDT is that short */

/*
 * Assembler: the CPL3 note, naming the IDT and the top of the ring-0 stack
 * (both symbols of the kernel), with its flags (UKVM_CPL3_*). The
 * descriptor is struct ukvm_cpl3_note_desc. A monitor refuses flags it does
 * not know: an image with a short IDT never gets a limit beyond it.
 */
#define UKVM_CPL3_NOTE(idt, flags, stack_top)                            \
    ELF_NOTE_BEGIN(.note.ukvm.cpl3, 4, UKVM_NOTE_NAME, UKVM_NOTE_CPL3);  \
    .long UKVM_CPL3_VERSION, flags;                                      \
    .quad idt, stack_top;                                                \
    ELF_NOTE_END

/*
 * The console note (name "UKVM", type "CONS") and the console buffer
 * (UKVM_HOST_FEATURE_CONSOLE_BUFFER).
 *
 * Under PVM each PUTS is an exit of tens of microseconds: a unikernel that
 * prints a dozen lines while it boots pays more for them than for the rest
 * of its start. An image with this note names a struct ukvm_console_buffer
 * of `size` bytes (header included) in its writable memory. A monitor that
 * offers the feature sets the bit and then, at every exit of the vCPU and
 * before it handles it (every hypercall, HALT, a fault, a stop signal, a
 * debugger's stop), writes the buffer's first `len` bytes to the console and
 * sets len to 0. A len beyond size - UKVM_CONSOLE_HEADER is a fatal guest
 * error. A guest that sees the bit appends to the text and then raises len;
 * text that does not fit goes by PUTS, which the monitor handles after it
 * has written the buffer: output keeps its order against every hypercall,
 * and reaches the console however the run ends (short of SIGKILL).
 *
 * Text waits in the buffer until the guest's next exit of any kind. Like
 * stdio, our monitor offers the feature only when its console is not a
 * terminal (and not with --x-no-console-buffer), so that someone watching a
 * unikernel compute sees each line as it is written.
 */
#define UKVM_NOTE_CONSOLE        0x534e4f43 /* "CONS" */

#define UKVM_CONSOLE_VERSION     1
#define UKVM_CONSOLE_HEADER      8          /* len and the reserved word */
#define UKVM_CONSOLE_SIZE_MIN    64
#define UKVM_CONSOLE_SIZE_MAX    0x10000    /* 64 KiB */

/* Assembler: the console note for a buffer of size bytes at symbol buf. */
#define UKVM_CONSOLE_NOTE(buf, size)                                     \
    ELF_NOTE_BEGIN(.note.ukvm.console, 4, UKVM_NOTE_NAME, UKVM_NOTE_CONSOLE); \
    .long UKVM_CONSOLE_VERSION, size;                                    \
    .quad buf;                                                           \
    ELF_NOTE_END

/*
 * Entropy (UKVM_HOST_FEATURE_ENTROPY): the boot info's `entropy` holds 8
 * bytes from the host's random generator (getrandom), fresh for each boot.
 * A kernel seeds its stack canary from them instead of asking CPUID whether
 * the CPU has RDRAND: under PVM that CPUID is an emulated exit, with two
 * more page walks of the code around it, and the host's generator is the
 * better source anyway.
 */

/*
 * NETIO: batched network I/O (hypercall UKVM_HYPERCALL_NETIO, port 0x510).
 *
 * Under PVM an exit from ring 3 costs tens of microseconds, so the hvt
 * network calls (one exit per frame read, per frame written, per poll) cap
 * a request/response loop at a few thousand packets per second. NETIO does
 * all three in one exit: send tx_count frames, receive up to rx_count frames
 * into the guest's buffers, and if none arrived wait up to timeout_nsecs for
 * one.
 *
 * Checks: counts at most UKVM_NETIO_MAX_FRAMES, both arrays and every frame
 * inside guest memory, every handle an attached NET_BASIC device, tx frames
 * at most ukvm_net_tx_max(mtu) bytes, rx buffers at least ukvm_net_rx_min()
 * of the largest MTU. A malformed request gets ret = EINVAL and nothing is
 * sent or received.
 */
#define UKVM_NETIO_MAX_FRAMES     64

/*
 * Large send (UKVM_HOST_FEATURE_LARGE_SEND): the guest may write frames
 * longer than ukvm_net_tx_max(mtu), up to UKVM_NET_LARGE_MAX bytes, through
 * NET_WRITE, NETIO and the ring alike, on every attached device. Each must
 * be one IPv4 TCP segment, which the monitor hands to the host kernel to
 * cut into segments of the device's MTU (on Linux, a tap write with a
 * virtio-net header: GSO_TCPV4 and the checksum left to the host).
 *
 * Checks (ukvm_large_send_check, which both sides apply to the first
 * UKVM_LARGE_SEND_HDR_MAX bytes of the frame, or all of it if shorter):
 * Ethernet type IPv4 (no VLAN tag); IPv4 version 4, header length 20 to 60
 * bytes, total length = frame length - 14, MF clear and fragment offset 0,
 * protocol TCP; TCP data offset 20 to 60 bytes inside the packet, ACK set,
 * SYN, RST and URG clear, at least one byte of data; the segment size
 * (mtu - IPv4 header - TCP header) at least UKVM_LARGE_SEND_MIN_SEG. A frame
 * that fails is refused like any bad frame (EINVAL, nothing sent).
 *
 * The host gives each segment its own IPv4 length, identifier and checksum
 * and TCP sequence number and checksum (the frame's TCP checksum is
 * ignored: the monitor puts the pseudo-header sum there), copies the
 * options into each, and sets PSH and FIN on the last one only.
 */
#define UKVM_NET_LARGE_MAX        65549 /* 14 + 65535 */
#define UKVM_LARGE_SEND_HDR_MAX   134   /* 14 + 60 + 60: the longest headers */
#define UKVM_LARGE_SEND_MIN_SEG   64

/*
 * SET_FS_BASE: the monitor sets the vCPU's FS base (hypercall
 * UKVM_HYPERCALL_SET_FS_BASE, port 0x511, offered with
 * UKVM_HOST_FEATURE_SET_FS_BASE).
 *
 * solo5_set_tls_base() sets FS.base: WRMSR at CPL 0, WRFSBASE at CPL 3. But
 * WRFSBASE needs the FSGSBASE CPU feature (CPUID leaf 7, EBX bit 0, which
 * the monitor then enables in CR4), and older CPUs, or a hypervisor's CPU
 * model (QEMU's qemu64), lack it; at CPL 3 WRMSR faults. There the guest
 * asks the monitor, which writes the base into the vCPU's segment state
 * (KVM_SET_SREGS) before the guest resumes. A kernel uses this only when
 * WRFSBASE is not usable; it costs an exit, WRFSBASE none.
 *
 * Checks: base must be a canonical address (bits 63 to 47 all equal), else
 * ret = EINVAL and nothing changes.
 */

/*
 * Fault reports: the HALT cookie of a kernel that ends on a fault.
 *
 * A kernel that stops on a CPU exception it cannot handle, or in
 * solo5_abort() (or a failed assertion, or a panic), passes the address of
 * a struct ukvm_fault_cookie as HALT's cookie, with exit status 255
 * (SOLO5_EXIT_ABORT). The monitor may then write a core file from it
 * (ukvm --dumpcore), or stop in its debugger (ukvm --gdb).
 *
 *   - The first 56 bytes are what the hvt ABI's monitors already read from
 *     a HALT cookie of status 255: the trap frame's cr2, error code, rip,
 *     cs, rflags, rsp and ss (upstream's struct x86_trap_regs). A monitor
 *     that knows nothing more reads those, and nothing changes for it.
 *   - Then ours: magic and version (a cookie without them is read as the
 *     56 bytes above only), the kind of fault, the vector, and the rest of
 *     the general registers. For a TRAP they are the interrupted context
 *     (the CPU's frame and the registers the trap stub saved); for an ABORT
 *     the context of the aborting function at the point it was called from,
 *     with cr2, error_code and vector 0.
 *
 * Debug traps (UKVM_HOST_FEATURE_DEBUG, ukvm_abi.h): when the monitor sets
 * the bit (ukvm --gdb), a kernel that takes #DB (vector 1) or #BP (vector 3)
 * reports nothing itself: it passes a TRAP cookie with HALT at once. The
 * monitor may then resume the guest in the interrupted context, with the
 * cookie's registers (possibly changed by the debugger); this is the only
 * HALT that may come back, and it comes back to the cookie's rip, not after
 * the hypercall. Under PVM this is how breakpoints and single steps of
 * ring-3 code reach the debugger: KVM's guest debugging does not intercept
 * them there. Without the bit, #DB and #BP are fatal like any other trap.
 */
#define UKVM_FAULT_STATUS      255        /* SOLO5_EXIT_ABORT (solo5.h) */
#define UKVM_FAULT_MAGIC       0x544c4146 /* "FALT" */
#define UKVM_FAULT_VERSION     1
#define UKVM_FAULT_TRAP        1  /* a CPU exception; vector says which */
#define UKVM_FAULT_ABORT       2  /* solo5_abort(), assertion, panic */
#define UKVM_FAULT_VECTOR_DB   1  /* #DB: single step */
#define UKVM_FAULT_VECTOR_BP   3  /* #BP: int3, a breakpoint */

#ifndef __ASSEMBLER__

/*
 * The 64-bit TSS, as the monitor builds it at UKVM_TSS_BASE for CPL3 images
 * (RSP0 and the I/O bitmap after it) and as the kernel builds its own at
 * CPL 0 (IST1 for traps).
 */
struct ukvm_tss {
    uint32_t reserved0;
    uint64_t rsp0;              /* the stack for traps from ring 3 */
    uint64_t rsp1;
    uint64_t rsp2;
    uint64_t reserved1;
    uint64_t ist[7];            /* IST1 to IST7 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;        /* offset of the I/O permission bitmap */
} __attribute__((packed));

struct ukvm_cpl3_note_desc {
    uint32_t version;           /* UKVM_CPL3_VERSION */
    uint32_t flags;             /* UKVM_CPL3_EXCEPTIONS_ONLY or 0 */
    ukvm_gpa_t idt;             /* 16-byte aligned; UKVM_IDT_SIZE bytes, or
                                   UKVM_IDT_EXCEPTIONS_SIZE with the flag */
    ukvm_gpa_t exception_stack; /* top of the ring-0 stack, 16-byte aligned */
};

/* The console note's descriptor, and the buffer it names (8-aligned). */
struct ukvm_console_note_desc {
    uint32_t version;           /* UKVM_CONSOLE_VERSION */
    uint32_t size;              /* of the whole buffer, header included */
    ukvm_gpa_t buffer;
};

struct ukvm_console_buffer {
    uint32_t len;               /* bytes of the text to write; the monitor zeroes it */
    uint32_t _reserved;
    /* the text follows: size - UKVM_CONSOLE_HEADER bytes of room */
};

struct ukvm_netio_frame {
    uint64_t handle;            /* tx: IN; rx: OUT, the device it came from */
    ukvm_gpa_t data;            /* IN: the frame (tx) or a buffer (rx) */
    uint64_t len;               /* tx: IN; rx: IN buffer size, OUT frame size */
    int32_t ret;                /* tx: OUT, enum ukvm_result */
    uint32_t _pad;
};

struct ukvm_hc_netio {
    ukvm_gpa_t tx;              /* IN: struct ukvm_netio_frame[tx_count] */
    ukvm_gpa_t rx;              /* IN: struct ukvm_netio_frame[rx_count] */
    uint32_t tx_count;          /* IN */
    uint32_t rx_count;          /* IN */
    uint64_t timeout_nsecs;     /* IN: wait for a frame if none was received */
    uint64_t ready_set;         /* OUT: devices that may hold more frames */
    uint32_t rx_filled;         /* OUT: rx[0 .. rx_filled) hold frames */
    int32_t ret;                /* OUT: enum ukvm_result */
};

/* What ukvm_large_send_check finds in a valid large frame. */
struct ukvm_large_send {
    uint16_t hdr_len;           /* Ethernet, IPv4 and TCP headers */
    uint16_t csum_start;        /* offset of the TCP header */
    uint16_t csum_offset;       /* of the checksum in the TCP header: 16 */
    uint16_t seg_size;          /* TCP data per segment */
    uint16_t pseudo_sum;        /* folded pseudo-header sum (not inverted) */
};

/*
 * Whether a frame of frame_len bytes is a large frame the device with MTU
 * mtu may send (the checks above). hdr holds its first
 * min(frame_len, UKVM_LARGE_SEND_HDR_MAX) bytes (the monitor passes its
 * own copy, so the guest cannot change them after the check). Fills *ls.
 */
static inline int ukvm_large_send_check(const uint8_t *hdr, uint64_t frame_len,
        uint64_t mtu, struct ukvm_large_send *ls)
{
    uint64_t have = frame_len < UKVM_LARGE_SEND_HDR_MAX ?
        frame_len : UKVM_LARGE_SEND_HDR_MAX;
    if (frame_len <= ukvm_net_tx_max(mtu) || frame_len > UKVM_NET_LARGE_MAX ||
            have < UKVM_NET_HLEN + 20 ||
            hdr[12] != 0x08 || hdr[13] != 0x00)
        return 0;
    const uint8_t *ip = hdr + UKVM_NET_HLEN;
    uint64_t ihl = (uint64_t)(ip[0] & 0x0f) * 4;
    uint64_t total = (uint64_t)ip[2] << 8 | ip[3];
    uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total != frame_len - UKVM_NET_HLEN ||
            (frag & 0x3fff) != 0 || ip[9] != 6 ||
            UKVM_NET_HLEN + ihl + 20 > have)
        return 0;
    const uint8_t *tcp = ip + ihl;
    uint64_t thl = (uint64_t)(tcp[12] >> 4) * 4;
    uint8_t flags = tcp[13];
    if (thl < 20 || UKVM_NET_HLEN + ihl + thl > have ||
            ihl + thl >= total || !(flags & 0x10) || (flags & 0x26) ||
            mtu < ihl + thl + UKVM_LARGE_SEND_MIN_SEG)
        return 0;
    /* The pseudo header: addresses, protocol, TCP length (header + data). */
    uint64_t tcp_len = total - ihl;
    uint32_t sum = 6 + (uint32_t)tcp_len;
    for (unsigned i = 12; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ls->hdr_len = (uint16_t)(UKVM_NET_HLEN + ihl + thl);
    ls->csum_start = (uint16_t)(UKVM_NET_HLEN + ihl);
    ls->csum_offset = 16;
    ls->seg_size = (uint16_t)(mtu - ihl - thl);
    ls->pseudo_sum = (uint16_t)sum;
    return 1;
}

struct ukvm_hc_set_fs_base {
    uint64_t base;              /* IN: the new FS base */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};

struct ukvm_fault_cookie {
    /* What every hvt monitor reads (upstream's x86_trap_regs). */
    uint64_t cr2;               /* #PF: the faulting address, else 0 */
    uint64_t error_code;        /* the CPU's error code, else 0 */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
    /* Ours. */
    uint32_t magic;             /* UKVM_FAULT_MAGIC */
    uint32_t version;           /* UKVM_FAULT_VERSION */
    uint32_t kind;              /* UKVM_FAULT_TRAP or UKVM_FAULT_ABORT */
    uint32_t vector;            /* TRAP: the exception vector, else 0 */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

UKVM_CHECK_SIZE(ukvm_tss, 104);
UKVM_CHECK_LAYOUT(ukvm_tss, rsp0, 4);
UKVM_CHECK_LAYOUT(ukvm_tss, ist, 36);
UKVM_CHECK_LAYOUT(ukvm_tss, iomap_base, 102);
/* The TSS, the bitmap, and the 0xff byte the CPU requires after it, less 1. */
_Static_assert(UKVM_CPL3_EXTRA_PT_BASE == UKVM_PTE_BASE + 0x1000 &&
               UKVM_CPL3_EXTRA_PT_BASE + UKVM_CPL3_EXTRA_PTS * 0x1000 == UKVM_GUARD_END,
               "the extra page tables fill the pages between the first and the guard's end");
_Static_assert(UKVM_TSS_LIMIT == sizeof(struct ukvm_tss) + UKVM_TSS_IO_PORTS / 8,
               "UKVM_TSS_LIMIT");
UKVM_CHECK_SIZE(ukvm_cpl3_note_desc, 24);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, version, 0);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, flags, 4);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, idt, 8);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, exception_stack, 16);
UKVM_CHECK_SIZE(ukvm_console_note_desc, 16);
UKVM_CHECK_LAYOUT(ukvm_console_note_desc, version, 0);
UKVM_CHECK_LAYOUT(ukvm_console_note_desc, size, 4);
UKVM_CHECK_LAYOUT(ukvm_console_note_desc, buffer, 8);
UKVM_CHECK_SIZE(ukvm_console_buffer, UKVM_CONSOLE_HEADER);
UKVM_CHECK_LAYOUT(ukvm_console_buffer, len, 0);
UKVM_CHECK_SIZE(ukvm_netio_frame, 32);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, handle, 0);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, data, 8);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, len, 16);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, ret, 24);
UKVM_CHECK_SIZE(ukvm_hc_netio, 48);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, tx, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, tx_count, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx_count, 20);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, timeout_nsecs, 24);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, ready_set, 32);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx_filled, 40);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, ret, 44);
_Static_assert(UKVM_NET_LARGE_MAX == UKVM_NET_HLEN + 65535, "UKVM_NET_LARGE_MAX");
_Static_assert(UKVM_LARGE_SEND_HDR_MAX == UKVM_NET_HLEN + 60 + 60, "UKVM_LARGE_SEND_HDR_MAX");
UKVM_CHECK_SIZE(ukvm_hc_set_fs_base, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_set_fs_base, base, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_set_fs_base, ret, 8);
UKVM_CHECK_SIZE(ukvm_fault_cookie, 192);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, cr2, 0);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, error_code, 8);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, rip, 16);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, cs, 24);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, rflags, 32);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, rsp, 40);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, ss, 48);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, magic, 56);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, version, 60);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, kind, 64);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, vector, 68);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, rax, 72);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, rbp, 120);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, r8, 128);
UKVM_CHECK_LAYOUT(ukvm_fault_cookie, r15, 184);
_Static_assert(sizeof(struct ukvm_fault_cookie) <= UKVM_HALT_COOKIE_MAX,
               "the fault cookie fits HALT's cookie");

#endif /* !__ASSEMBLER__ */

#endif /* UKVM_EXT_H */
