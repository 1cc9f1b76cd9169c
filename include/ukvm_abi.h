/*
 * ukvm_abi.h: the guest/monitor interface of the ukvm target.
 *
 * This is Solo5's "hvt" ABI, version 2, byte for byte, as this project
 * implements it (docs/abi.md), plus the numbers of our own extensions where
 * they share a namespace with the base ABI (the NETIO hypercall number, our
 * host_features bits). The extensions' structs and notes are in ukvm_ext.h;
 * the ELF notes and the manifest, which every target shares, in mft_abi.h.
 *
 * Dual use: the guest kernel (kernel/) and the monitor (Sources/CKVM, read
 * from Swift) both include this file. It depends on C99 headers only. Every
 * shared struct is spelled with fixed-width types and explicit padding, and
 * every size and offset is checked with _Static_assert at the end, so the two
 * sides cannot drift apart silently.
 *
 * Guest addresses are plain uint64_t guest-physical addresses (the guest is
 * identity mapped), so the monitor can never dereference one by mistake: it
 * must go through its bounds-checked guest memory accessor.
 *
 * Assembly files may include this header for its constants: everything that
 * is not a plain #define sits in the one __ASSEMBLER__ section below.
 */
#ifndef UKVM_ABI_H
#define UKVM_ABI_H

#define UKVM_ABI_VERSION 2
#define UKVM_ABI_TARGET  1 /* "hvt" in upstream's numbering (mft_abi.h) */

/*
 * Hypercalls: one `outl %eax, %dx` with dx = UKVM_HYPERCALL_PIO_BASE + nr and
 * eax = the guest-physical address of the argument struct (below 4 GiB).
 * Numbers 1 to 8 are the base ABI; 16 is NETIO, our extension (ukvm_ext.h);
 * 9 to 15 are unassigned and, like every other port, a fatal guest error.
 */
#define UKVM_HYPERCALL_PIO_BASE 0x500
#define UKVM_HYPERCALL_PIO(nr) (UKVM_HYPERCALL_PIO_BASE + (nr))

/* HALT's cookie: the guest may hand this many bytes to the monitor. */
#define UKVM_HALT_COOKIE_MAX 512

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
#define UKVM_TSS_LIMIT         0x268  /* TSS, I/O bitmap and 0xff: ukvm_ext.h */
#define UKVM_PML4_BASE         0x2000
#define UKVM_PDPT_BASE         0x3000
#define UKVM_PDE_BASE          0x4000
#define UKVM_PTE_BASE          0x8000
#define UKVM_GUARD_END         0x10000  /* first page the guest may read */
#define UKVM_BOOT_INFO_BASE    0x10000
#define UKVM_KERNEL_BASE       0x100000 /* first page the guest may write */
#define UKVM_CMDLINE_SIZE      8192
/* The most memory a guest can have: what the four page directories map. */
#define UKVM_MEMORY_MAX        0x100000000 /* 4 GiB */

/*
 * The stack: the top UKVM_STACK_RESERVE bytes of guest memory are the
 * kernel's stack, never heap. The monitor refuses an image that leaves less
 * than this between its end and the top of memory.
 */
#define UKVM_STACK_RESERVE     0x100000

/* GDT selectors. The first three are the ABI; the rest exist for CPL3 images. */
#define UKVM_GDT_NULL          0x00
#define UKVM_GDT_KERNEL_CODE   0x08
#define UKVM_GDT_KERNEL_DATA   0x10
#define UKVM_GDT_USER_CODE     0x18 /* used with RPL 3: 0x1b */
#define UKVM_GDT_USER_DATA     0x20 /* used with RPL 3: 0x23 */
#define UKVM_GDT_TSS           0x28 /* 16-byte system descriptor */
#define UKVM_GDT_ENTRIES       7

/*
 * host_features bits in the boot info. Bit 0 is upstream's shared-ring
 * network path; bits from 16 up are ours (ukvm_ext.h, docs/extensions.md).
 *
 * BLOCK_MULTI: a BLOCK_READ or BLOCK_WRITE may span many blocks: len any
 * multiple of the device's block size from one block up to
 * UKVM_BLOCK_MAX_REQUEST bytes (offset aligned, the range inside the
 * device, the buffer inside guest memory). Without the bit a guest sends one
 * block per hypercall, as upstream's kernels do.
 */
#define UKVM_HOST_FEATURE_RING_IO     (1U << 0)
#define UKVM_HOST_FEATURE_NETIO       (1U << 16)
#define UKVM_HOST_FEATURE_BLOCK_MULTI (1U << 17)
#define UKVM_HOST_FEATURE_DEBUG       (1U << 18) /* a debugger takes #DB and #BP */
#define UKVM_HOST_FEATURE_SET_FS_BASE (1U << 19) /* SET_FS_BASE (ukvm_ext.h) */
#define UKVM_HOST_FEATURE_LARGE_SEND  (1U << 20) /* IPv4/TCP frames beyond the MTU (ukvm_ext.h) */
#define UKVM_HOST_FEATURE_CONSOLE_BUFFER (1U << 21) /* the console note's buffer (ukvm_ext.h) */
#define UKVM_HOST_FEATURE_ENTROPY     (1U << 22) /* the boot info's entropy (ukvm_ext.h) */
#define UKVM_BLOCK_MAX_REQUEST        0x100000 /* 1 MiB */

/*
 * Ethernet frames: the guest reads into buffers of at least mtu + 14 bytes
 * (the header), and may write frames of up to mtu + 18 bytes (the header
 * and one VLAN tag). Both sides apply the same rule (the inline functions
 * below), so a frame one side accepts the other accepts too.
 */
#define UKVM_NET_HLEN          14
#define UKVM_NET_VLAN_TAG_LEN  4

/*
 * The network ring (hvt ABI v2 since upstream Solo5 v0.11): offered with
 * UKVM_HOST_FEATURE_RING_IO and the boot info's net_ring, a guest moves
 * frames through struct ukvm_ring below instead of the NET_* hypercalls.
 *
 * The monitor adds UKVM_RING_RESERVE bytes above the guest's memory (from
 * the top of it when that would pass 4 GiB) for the ring, which it zeroes;
 * mem_size in the boot info stays the guest's own. One ring serves every
 * network device (entries name their handle).
 *
 *   guest: fills entries[ent_tail % SLOTS], then ent_tail++ (release);
 *          after a full fence, if needs_kick, writes 4 bytes to port
 *          UKVM_RING_KICK_PIO (an ioeventfd: no exit to the monitor).
 *   host:  takes entries from ent_head to ent_tail; NET_WRITE sends the
 *          frame (no commit); NET_READ reads one frame into the entry's
 *          buffer and writes commits[com_tail % SLOTS] (the entry's id,
 *          ret, len), then com_tail++ (release); ent_head follows. Before
 *          it sleeps it sets needs_kick, fences and looks once more.
 *   guest: waits for com_head != com_tail after a read, takes the commit,
 *          com_head++.
 *
 * Indices are free-running u32 (slot = index % UKVM_RING_SLOTS); the
 * guest's two and the host's three live on cache lines of their own.
 */
#define UKVM_RING_SLOTS        1024
#define UKVM_RING_NET_WRITE    1
#define UKVM_RING_NET_READ     2
#define UKVM_RING_KICK_PIO     0x600
#define UKVM_RING_RESERVE      0x200000  /* the ring, rounded up to 2 MiB */

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

typedef uint64_t ukvm_gpa_t;

enum ukvm_hypercall {
    UKVM_HYPERCALL_WALLTIME = 1,
    UKVM_HYPERCALL_PUTS = 2,
    UKVM_HYPERCALL_POLL = 3,
    UKVM_HYPERCALL_BLOCK_WRITE = 4,
    UKVM_HYPERCALL_BLOCK_READ = 5,
    UKVM_HYPERCALL_NET_WRITE = 6,
    UKVM_HYPERCALL_NET_READ = 7,
    UKVM_HYPERCALL_HALT = 8,
    UKVM_HYPERCALL_NETIO = 16,  /* ours: batched network I/O, port 0x510 */
    UKVM_HYPERCALL_SET_FS_BASE = 17, /* ours: the TLS base, port 0x511 */
    UKVM_HYPERCALL_MAX = 18     /* one past the largest number */
};

/* Result codes, as solo5_result_t. */
enum ukvm_result {
    UKVM_OK = 0,
    UKVM_AGAIN = 1,
    UKVM_EINVAL = 2,
    UKVM_EUNSPEC = 3
};

/* The smallest buffer a guest may read a frame of a device into. */
static inline uint64_t ukvm_net_rx_min(uint64_t mtu)
{
    return mtu + UKVM_NET_HLEN;
}

/* The largest frame a guest may send on a device. */
static inline uint64_t ukvm_net_tx_max(uint64_t mtu)
{
    return mtu + UKVM_NET_HLEN + UKVM_NET_VLAN_TAG_LEN;
}

/* WALLTIME: CLOCK_REALTIME in ns. */
struct ukvm_hc_walltime {
    uint64_t nsecs;             /* OUT */
};

/* PUTS: write len bytes at data to the monitor's console (stdout). */
struct ukvm_hc_puts {
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
};

/*
 * POLL: wait up to timeout_nsecs (relative) for any attached device to become
 * readable. Bit i of ready_set is device handle i.
 */
struct ukvm_hc_poll {
    uint64_t timeout_nsecs;     /* IN */
    uint64_t ready_set;         /* OUT */
    int32_t ret;                /* OUT: number of ready devices */
    uint32_t _pad;
};

/* BLOCK_WRITE: write len bytes from data at byte offset of device handle. */
struct ukvm_hc_block_write {
    uint64_t handle;            /* IN */
    uint64_t offset;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};

/* BLOCK_READ: read len bytes at byte offset of device handle into data. */
struct ukvm_hc_block_read {
    uint64_t handle;            /* IN */
    uint64_t offset;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN/OUT */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};

/* NET_WRITE: send one Ethernet frame. */
struct ukvm_hc_net_write {
    uint64_t handle;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};

/* NET_READ: receive one frame; AGAIN when nothing is queued. */
struct ukvm_hc_net_read {
    uint64_t handle;            /* IN */
    ukvm_gpa_t data;            /* IN */
    uint64_t len;               /* IN: buffer size, OUT: frame size */
    int32_t ret;                /* OUT: enum ukvm_result */
    uint32_t _pad;
};

/* HALT: end the guest; exit_status becomes the monitor's exit code. */
struct ukvm_hc_halt {
    ukvm_gpa_t cookie;          /* IN: up to UKVM_HALT_COOKIE_MAX bytes, may be 0 */
    int32_t exit_status;        /* IN */
    uint32_t _pad;
};

/* A ring submission, written by the guest. */
struct ukvm_ring_entry {
    uint32_t operation;         /* UKVM_RING_NET_WRITE or _READ */
    uint32_t handle;            /* the network device */
    ukvm_gpa_t data;            /* the frame (write) or a buffer (read) */
    uint32_t len;               /* frame size (write), buffer size (read) */
    uint32_t id;                /* the guest's own, copied into the commit */
    uint64_t _reserved;
};

/* A ring completion of a NET_READ, written by the host. */
struct ukvm_ring_commit {
    uint32_t id;                /* the entry's */
    int32_t ret;                /* enum ukvm_result: OK, AGAIN, EINVAL */
    uint32_t len;               /* bytes read */
    uint32_t _reserved;
};

struct ukvm_ring {
    uint32_t ent_tail;          /* guest: entries produced */
    uint32_t com_head;          /* guest: commits consumed */
    uint8_t _pad0[56];
    uint32_t ent_head;          /* host: entries consumed */
    uint32_t com_tail;          /* host: commits produced */
    uint32_t needs_kick;        /* host: about to sleep, kick me */
    uint8_t _pad1[52];
    struct ukvm_ring_entry entries[UKVM_RING_SLOTS];
    struct ukvm_ring_commit commits[UKVM_RING_SLOTS];
};

/* Boot info at UKVM_BOOT_INFO_BASE; RDI points here at entry. */
struct ukvm_boot_info {
    uint64_t mem_size;          /* bytes of guest memory */
    uint64_t kernel_end;        /* first address past the loaded image */
    uint64_t cpu_cycle_freq;    /* TSC frequency, Hz */
    ukvm_gpa_t cmdline;         /* NUL-terminated, buffer UKVM_CMDLINE_SIZE */
    ukvm_gpa_t mft;             /* the monitor's copy of the manifest */
    uint32_t host_features;     /* UKVM_HOST_FEATURE_* */
    uint32_t guest_features;
    ukvm_gpa_t net_ring;        /* 0 if absent */
    /* Ours, after upstream's fields (ukvm_ext.h): with
     * UKVM_HOST_FEATURE_ENTROPY, 8 random bytes from the monitor. */
    uint64_t entropy;
};

/* Layout checks: a mismatch is a compile error on both sides. */
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
UKVM_CHECK_SIZE(ukvm_ring_entry, 32);
UKVM_CHECK_LAYOUT(ukvm_ring_entry, operation, 0);
UKVM_CHECK_LAYOUT(ukvm_ring_entry, handle, 4);
UKVM_CHECK_LAYOUT(ukvm_ring_entry, data, 8);
UKVM_CHECK_LAYOUT(ukvm_ring_entry, len, 16);
UKVM_CHECK_LAYOUT(ukvm_ring_entry, id, 20);
UKVM_CHECK_SIZE(ukvm_ring_commit, 16);
UKVM_CHECK_LAYOUT(ukvm_ring_commit, id, 0);
UKVM_CHECK_LAYOUT(ukvm_ring_commit, ret, 4);
UKVM_CHECK_LAYOUT(ukvm_ring_commit, len, 8);
UKVM_CHECK_SIZE(ukvm_ring, 49280);
UKVM_CHECK_LAYOUT(ukvm_ring, ent_tail, 0);
UKVM_CHECK_LAYOUT(ukvm_ring, com_head, 4);
UKVM_CHECK_LAYOUT(ukvm_ring, ent_head, 64);
UKVM_CHECK_LAYOUT(ukvm_ring, com_tail, 68);
UKVM_CHECK_LAYOUT(ukvm_ring, needs_kick, 72);
UKVM_CHECK_LAYOUT(ukvm_ring, entries, 128);
UKVM_CHECK_LAYOUT(ukvm_ring, commits, 32896);
_Static_assert(sizeof(struct ukvm_ring) <= UKVM_RING_RESERVE, "UKVM_RING_RESERVE");
UKVM_CHECK_SIZE(ukvm_boot_info, 64);
UKVM_CHECK_LAYOUT(ukvm_boot_info, mem_size, 0);
UKVM_CHECK_LAYOUT(ukvm_boot_info, kernel_end, 8);
UKVM_CHECK_LAYOUT(ukvm_boot_info, cpu_cycle_freq, 16);
UKVM_CHECK_LAYOUT(ukvm_boot_info, cmdline, 24);
UKVM_CHECK_LAYOUT(ukvm_boot_info, mft, 32);
UKVM_CHECK_LAYOUT(ukvm_boot_info, host_features, 40);
UKVM_CHECK_LAYOUT(ukvm_boot_info, guest_features, 44);
UKVM_CHECK_LAYOUT(ukvm_boot_info, net_ring, 48);
UKVM_CHECK_LAYOUT(ukvm_boot_info, entropy, 56);

#endif /* !__ASSEMBLER__ */

#endif /* UKVM_ABI_H */
