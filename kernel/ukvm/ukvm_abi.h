/*
 * ukvm_abi.h: the guest/monitor interface of the ukvm target.
 *
 * This is the Solo5 "hvt" ABI, version 2, byte for byte (see ABI.md in the
 * project docs), plus one extension of our own (the CPL3 note, below) that
 * upstream monitors ignore.
 *
 * Dual use: the guest kernel (kernel/ukvm) and the monitor (Sources/CKVM,
 * read from Swift) both include this file. It depends on C99 headers only.
 * Every shared struct is spelled with fixed-width types and explicit padding,
 * and every size and offset is checked with _Static_assert below, so the
 * two sides cannot drift apart silently.
 *
 * Guest addresses are plain uint64_t guest-physical addresses (the guest is
 * identity mapped), so the monitor can never dereference one by mistake: it
 * must go through its bounds-checked guest memory accessor.
 */
#ifndef UKVM_ABI_H
#define UKVM_ABI_H

/* Assembly files include this header for its constants only. */
#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>
#endif

#define UKVM_ABI_VERSION 2
#define UKVM_ABI_TARGET  1 /* "hvt" in upstream's numbering */

#ifndef __ASSEMBLER__
typedef uint64_t ukvm_gpa_t;
#endif

/*
 * Hypercalls: one `outl %eax, %dx` with dx = UKVM_HYPERCALL_PIO_BASE + nr and
 * eax = the guest-physical address of the argument struct (below 4 GiB).
 */
#define UKVM_HYPERCALL_PIO_BASE 0x500

#ifndef __ASSEMBLER__
enum ukvm_hypercall {
    UKVM_HYPERCALL_WALLTIME = 1,
    UKVM_HYPERCALL_PUTS = 2,
    UKVM_HYPERCALL_POLL = 3,
    UKVM_HYPERCALL_BLOCK_WRITE = 4,
    UKVM_HYPERCALL_BLOCK_READ = 5,
    UKVM_HYPERCALL_NET_WRITE = 6,
    UKVM_HYPERCALL_NET_READ = 7,
    UKVM_HYPERCALL_HALT = 8,
    UKVM_HYPERCALL_MAX = 9 /* one past the last valid number */
};
#endif

#define UKVM_HYPERCALL_PIO(nr) (UKVM_HYPERCALL_PIO_BASE + (nr))

/* Result codes, as solo5_result_t. */
#ifndef __ASSEMBLER__
enum ukvm_result {
    UKVM_OK = 0,
    UKVM_AGAIN = 1,
    UKVM_EINVAL = 2,
    UKVM_EUNSPEC = 3
};
#endif

/* WALLTIME: CLOCK_REALTIME in ns. */
#ifndef __ASSEMBLER__
struct ukvm_hc_walltime {
    uint64_t nsecs;             /* OUT */
};
#endif

/* PUTS: write len bytes at data to the monitor's console (stdout). */
#ifndef __ASSEMBLER__
struct ukvm_hc_puts {
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
};
#endif

/*
 * POLL: wait up to timeout_nsecs (relative) for any attached device to become
 * readable. Bit i of ready_set is device handle i.
 */
#ifndef __ASSEMBLER__
struct ukvm_hc_poll {
    uint64_t timeout_nsecs;     /* IN */
    uint64_t ready_set;         /* OUT */
    int32_t ret;                /* OUT: number of ready devices */
    uint32_t _pad;
};
#endif

/* BLOCK_WRITE: write len bytes from data at byte offset of device handle. */
#ifndef __ASSEMBLER__
struct ukvm_hc_block_write {
    uint64_t handle;            /* IN */
    uint64_t offset;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};
#endif

/* BLOCK_READ: read len bytes at byte offset of device handle into data. */
#ifndef __ASSEMBLER__
struct ukvm_hc_block_read {
    uint64_t handle;            /* IN */
    uint64_t offset;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN/OUT */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};
#endif

/* NET_WRITE: send one Ethernet frame. */
#ifndef __ASSEMBLER__
struct ukvm_hc_net_write {
    uint64_t handle;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};
#endif

/* NET_READ: receive one frame; AGAIN when nothing is queued. */
#ifndef __ASSEMBLER__
struct ukvm_hc_net_read {
    uint64_t handle;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN: buffer size, OUT: frame size */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};
#endif

/* HALT: end the guest; exit_status becomes the monitor's exit code. */
#define UKVM_HALT_COOKIE_MAX 512
#ifndef __ASSEMBLER__
struct ukvm_hc_halt {
    ukvm_gpa_t cookie;          /* IN: up to 512 bytes, may be 0 */
    int32_t exit_status;        /* IN */
    uint32_t _pad;
};
#endif

/*
 * Guest-physical memory layout at entry (the monitor builds all of it):
 *
 *   0x000000 - 0x000fff  not present (NULL guard)
 *   0x001000             GDT (and, for CPL3 images, the TSS at 0x1800)
 *   0x002000             PML4
 *   0x003000             PDPT
 *   0x004000 - 0x007fff  page directories (4 GiB of 2 MiB pages)
 *   0x008000             page table for the first 2 MiB (4 KiB pages)
 *   0x010000             boot info, then the manifest copy, then cmdline
 *   0x100000             kernel image (ELF p_vaddr), then heap ... stack
 *   mem_size             top of memory; RSP = mem_size - 8 at entry
 *
 * Pages below 0x10000 are not present, 0x10000 - 0xfffff are read-only.
 */
#define UKVM_GDT_BASE          0x1000
#define UKVM_TSS_BASE          0x1800
#define UKVM_TSS_LIMIT         0x268  /* 104-byte TSS, 512-byte I/O bitmap, 0xff */
#define UKVM_PML4_BASE         0x2000
#define UKVM_PDPT_BASE         0x3000
#define UKVM_PDE_BASE          0x4000
#define UKVM_PTE_BASE          0x8000
#define UKVM_BOOT_INFO_BASE    0x10000
#define UKVM_KERNEL_BASE       0x100000
#define UKVM_CMDLINE_SIZE      8192

/* GDT selectors. The first three are the ABI; the rest exist for CPL3 images. */
#define UKVM_GDT_NULL          0x00
#define UKVM_GDT_KERNEL_CODE   0x08
#define UKVM_GDT_KERNEL_DATA   0x10
#define UKVM_GDT_USER_CODE     0x18 /* used with RPL 3: 0x1b */
#define UKVM_GDT_USER_DATA     0x20 /* used with RPL 3: 0x23 */
#define UKVM_GDT_TSS           0x28 /* 16-byte system descriptor */
#define UKVM_GDT_ENTRIES       7

/* Features. host_features bit 0 is upstream's shared-ring network path. */
#define UKVM_HOST_FEATURE_RING_IO  (1U << 0)

/* Boot info at UKVM_BOOT_INFO_BASE; RDI points here at entry. */
#ifndef __ASSEMBLER__
struct ukvm_boot_info {
    uint64_t mem_size;          /* bytes of guest memory */
    uint64_t kernel_end;        /* first address past the loaded image */
    uint64_t cpu_cycle_freq;    /* TSC frequency, Hz */
    ukvm_gpa_t cmdline;         /* NUL-terminated, buffer UKVM_CMDLINE_SIZE */
    ukvm_gpa_t mft;             /* the monitor's copy of the manifest */
    uint32_t host_features;
    uint32_t guest_features;
    ukvm_gpa_t net_ring;        /* 0 if absent */
};
#endif

/*
 * ELF notes. Both have name "Solo5" (namesz 6, padded to 8).
 */
#define SOLO5_NOTE_NAME        "Solo5"
#define SOLO5_NOTE_ABI         0x31494241 /* "ABI1" */
#define SOLO5_NOTE_MANIFEST    0x3154464d /* "MFT1" */

/* Targets in the ABI note. */
#define SOLO5_ABI_TARGET_HVT     1
#define SOLO5_ABI_TARGET_SPT     2
#define SOLO5_ABI_TARGET_VIRTIO  3
#define SOLO5_ABI_TARGET_MUEN    4
#define SOLO5_ABI_TARGET_GENODE  5
#define SOLO5_ABI_TARGET_XEN     6
#define SOLO5_ABI_VERSION_VIRTIO 1

#ifndef __ASSEMBLER__
struct solo5_abi_note_desc {
    uint32_t target;
    uint32_t version;
    uint32_t reserved0;
    uint32_t reserved1;
};
#endif

/* Manifest (note descriptor = 4 bytes of padding, then struct mft). */
#define MFT_VERSION        1
#define MFT_MAX_ENTRIES    64
#define MFT_NAME_SIZE      68
#define MFT_NAME_MAX       (MFT_NAME_SIZE - 1)

#ifndef __ASSEMBLER__
enum mft_type {
    MFT_DEV_BLOCK_BASIC = 1,
    MFT_DEV_NET_BASIC = 2,
    MFT_RESERVED_FIRST = (1U << 30)
};
#endif

#ifndef __ASSEMBLER__
struct mft_block_basic {
    uint64_t capacity;          /* bytes */
    uint16_t block_size;        /* bytes */
};
#endif

#ifndef __ASSEMBLER__
struct mft_net_basic {
    uint8_t mac[6];
    uint16_t mtu;
};
#endif

#ifndef __ASSEMBLER__
struct mft_entry {
    char name[MFT_NAME_SIZE];
    uint32_t type;              /* enum mft_type */
    union {
        struct mft_block_basic block_basic;
        struct mft_net_basic net_basic;
    } u;                        /* filled in by the monitor */
    uint64_t hostpriv;          /* the monitor's own; the guest ignores it */
    uint8_t attached;           /* false in the file, set by the monitor */
    uint8_t _pad[7];
};
#endif

#ifndef __ASSEMBLER__
struct mft {
    uint32_t version;
    uint32_t entries;
    struct mft_entry e[];
};
#endif

/*
 * Extension: the CPL3 note (name "UKVM", type "CPL3").
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
 *     IOPL says; and IDTR = {idt, 4095}: exceptions raised in ring 3 enter
 *     the guest's ring-0 handlers on a stack of their own;
 *   - CR4.FSGSBASE set when the vCPU's CPUID has FSGSBASE (leaf 7, EBX bit 0),
 *     so the guest can set its TLS base with WRFSBASE instead of WRMSR.
 *
 * The guest fills its IDT itself (it is ordinary writable memory) before it
 * can fault. Everything else in the entry state is as in the base ABI.
 * Monitors that do not know the note ignore it and start the image at CPL 0,
 * where the kernel sets up its own GDT, IDT and TSS, as upstream does.
 */
#define UKVM_NOTE_NAME      "UKVM"
#define UKVM_NOTE_CPL3      0x334c5043 /* "CPL3" */
#define UKVM_CPL3_VERSION   1
#define UKVM_IDT_SIZE       4096       /* 256 16-byte gates */

#ifndef __ASSEMBLER__
struct ukvm_cpl3_note_desc {
    uint32_t version;           /* UKVM_CPL3_VERSION */
    uint32_t flags;             /* 0; reserved */
    ukvm_gpa_t idt;             /* 16-byte aligned, UKVM_IDT_SIZE bytes */
    ukvm_gpa_t exception_stack; /* top of the ring-0 stack, 16-byte aligned */
};
#endif

/*
 * Extension: batched network I/O (NETIO), ours.
 *
 * Under PVM an exit from ring 3 costs tens of microseconds, so the hvt
 * network calls (one exit per frame read, per frame written, per poll) cap
 * a request/response loop at a few thousand packets per second. NETIO does
 * all three in one exit: send tx_count frames, receive up to rx_count frames
 * into the guest's buffers, and if none arrived wait up to timeout_nsecs for
 * one. Our monitor advertises it with UKVM_HOST_FEATURE_NETIO in the boot
 * info's host_features; a guest uses it only then, and otherwise sticks to
 * the base ABI (as it must on upstream monitors, where the port is invalid).
 *
 * Checks: counts at most UKVM_NETIO_MAX_FRAMES, both arrays and every frame
 * inside guest memory, every handle an attached NET_BASIC device, tx frames
 * at most mtu + 18 bytes, rx buffers at least mtu + 14 bytes. A malformed
 * request gets ret = EINVAL and nothing is sent or received.
 */
#define UKVM_HOST_FEATURE_NETIO   (1U << 16)
#define UKVM_HYPERCALL_NETIO      16         /* port 0x510 */
#define UKVM_NETIO_MAX_FRAMES     64

#ifndef __ASSEMBLER__
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
#endif

/*
 * Layout checks: the sizes and offsets of ABI.md. A mismatch here is a
 * compile error on both sides.
 */
#ifndef __ASSEMBLER__
#define UKVM_CHECK_LAYOUT(type, field, off) \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field)
#define UKVM_CHECK_SIZE(type, size) \
    _Static_assert(sizeof(struct type) == (size), "sizeof " #type)

UKVM_CHECK_SIZE(ukvm_hc_walltime, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_walltime, nsecs, 0);
UKVM_CHECK_SIZE(ukvm_hc_puts, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_puts, data, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_puts, len, 8);
UKVM_CHECK_SIZE(ukvm_hc_poll, 24);
UKVM_CHECK_LAYOUT(ukvm_hc_poll, timeout_nsecs, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_poll, ready_set, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_poll, ret, 16);
UKVM_CHECK_SIZE(ukvm_hc_block_write, 40);
UKVM_CHECK_LAYOUT(ukvm_hc_block_write, handle, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_block_write, offset, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_block_write, data, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_block_write, len, 24);
UKVM_CHECK_LAYOUT(ukvm_hc_block_write, ret, 32);
UKVM_CHECK_SIZE(ukvm_hc_block_read, 40);
UKVM_CHECK_LAYOUT(ukvm_hc_block_read, handle, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_block_read, offset, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_block_read, data, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_block_read, len, 24);
UKVM_CHECK_LAYOUT(ukvm_hc_block_read, ret, 32);
UKVM_CHECK_SIZE(ukvm_hc_net_write, 32);
UKVM_CHECK_LAYOUT(ukvm_hc_net_write, handle, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_net_write, data, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_net_write, len, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_net_write, ret, 24);
UKVM_CHECK_SIZE(ukvm_hc_net_read, 32);
UKVM_CHECK_LAYOUT(ukvm_hc_net_read, handle, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_net_read, data, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_net_read, len, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_net_read, ret, 24);
UKVM_CHECK_SIZE(ukvm_hc_halt, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_halt, cookie, 0);
UKVM_CHECK_LAYOUT(ukvm_hc_halt, exit_status, 8);
UKVM_CHECK_SIZE(ukvm_boot_info, 56);
UKVM_CHECK_LAYOUT(ukvm_boot_info, mem_size, 0);
UKVM_CHECK_LAYOUT(ukvm_boot_info, kernel_end, 8);
UKVM_CHECK_LAYOUT(ukvm_boot_info, cpu_cycle_freq, 16);
UKVM_CHECK_LAYOUT(ukvm_boot_info, cmdline, 24);
UKVM_CHECK_LAYOUT(ukvm_boot_info, mft, 32);
UKVM_CHECK_LAYOUT(ukvm_boot_info, host_features, 40);
UKVM_CHECK_LAYOUT(ukvm_boot_info, guest_features, 44);
UKVM_CHECK_LAYOUT(ukvm_boot_info, net_ring, 48);
UKVM_CHECK_SIZE(solo5_abi_note_desc, 16);
UKVM_CHECK_SIZE(mft_entry, 104);
UKVM_CHECK_LAYOUT(mft_entry, name, 0);
UKVM_CHECK_LAYOUT(mft_entry, type, 68);
UKVM_CHECK_LAYOUT(mft_entry, u, 72);
UKVM_CHECK_LAYOUT(mft_entry, hostpriv, 88);
UKVM_CHECK_LAYOUT(mft_entry, attached, 96);
UKVM_CHECK_SIZE(mft, 8);
UKVM_CHECK_LAYOUT(mft, e, 8);
UKVM_CHECK_SIZE(ukvm_cpl3_note_desc, 24);
UKVM_CHECK_SIZE(ukvm_netio_frame, 32);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, data, 8);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, len, 16);
UKVM_CHECK_LAYOUT(ukvm_netio_frame, ret, 24);
UKVM_CHECK_SIZE(ukvm_hc_netio, 48);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx, 8);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, tx_count, 16);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx_count, 20);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, timeout_nsecs, 24);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, ready_set, 32);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, rx_filled, 40);
UKVM_CHECK_LAYOUT(ukvm_hc_netio, ret, 44);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, idt, 8);
UKVM_CHECK_LAYOUT(ukvm_cpl3_note_desc, exception_stack, 16);

#endif /* __ASSEMBLER__ */

#endif /* UKVM_ABI_H */
