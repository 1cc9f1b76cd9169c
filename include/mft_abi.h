/*
 * mft_abi.h: the ELF notes of a Solo5 image and the device manifest.
 *
 * Every target's images carry two notes named "Solo5": the ABI note (which
 * target and ABI version the image was built for) and the manifest (which
 * devices it needs). A monitor reads both from the file; the guest reads the
 * monitor's filled-in copy of the manifest (on ukvm, through the boot info)
 * or, with no monitor to fill it in (virtio), its own note through the
 * labels that MFT_NOTE_BEGIN/MFT_NOTE_END define.
 *
 * Dual use (kernel, monitor, the output of solo5-elftool gen-manifest); C99
 * headers only.
 * Assembly files include it for the note macros.
 */
#ifndef MFT_ABI_H
#define MFT_ABI_H

/* Both Solo5 notes have name "Solo5" (namesz 6, padded to 8). */
#define SOLO5_NOTE_NAME        "Solo5"
#define SOLO5_NOTE_ABI         0x31494241 /* "ABI1" */
#define SOLO5_NOTE_MANIFEST    0x3154464d /* "MFT1" */

/* Targets in the ABI note, in upstream's numbering. */
#define SOLO5_ABI_TARGET_HVT     1
#define SOLO5_ABI_TARGET_SPT     2
#define SOLO5_ABI_TARGET_VIRTIO  3
#define SOLO5_ABI_TARGET_MUEN    4
#define SOLO5_ABI_TARGET_GENODE  5
#define SOLO5_ABI_TARGET_XEN     6
#define SOLO5_ABI_TARGET_MAX     6
#define SOLO5_ABI_VERSION_HVT    2
#define SOLO5_ABI_VERSION_VIRTIO 1

/*
 * The manifest: the note's descriptor is MFT_NOTE_PAD bytes of padding (so
 * that struct mft lands 8-aligned after the 20 bytes of note header and
 * name), then struct mft with its entries. Entry 0 is MFT_RESERVED_FIRST
 * with an empty name; a device's handle is its entry index.
 */
#define MFT_VERSION        1
#define MFT_MAX_ENTRIES    64
#define MFT_NAME_SIZE      68
#define MFT_NAME_MAX       (MFT_NAME_SIZE - 1)
#define MFT_NOTE_PAD       4
#define MFT_ENTRY_SIZE     104
/* Where the monitor's parser reads struct mft's and struct mft_entry's
 * fields (checked against the structs below): Swift cannot load these two
 * structs whole (a union, a flexible array), and reads the fields at these
 * offsets instead of building key paths at run time. */
#define MFT_VERSION_OFFSET        0
#define MFT_ENTRIES_OFFSET        4
#define MFT_ENTRY_TYPE_OFFSET     68
#define MFT_ENTRY_ATTACHED_OFFSET 96
#define MFT_DEV_BLOCK_BASIC 1
#define MFT_DEV_NET_BASIC   2
#define MFT_RESERVED_FIRST  (1U << 30)

/*
 * Assembler: one ELF note. ELF_NOTE_BEGIN opens section sect (aligned to
 * align) with the note header and name; the descriptor follows; ELF_NOTE_END
 * closes it, and the header's descsz is measured from the two, so a
 * descriptor can never disagree with its size.
 */
#define ELF_NOTE_BEGIN(sect, align, name, type)         \
    .pushsection sect, "a", @note;                      \
    .balign align;                                      \
    .long 9992f - 9991f, 9994f - 9993f, type;           \
    9991: .asciz name;                                  \
    9992: .balign 4;                                    \
    9993:
#define ELF_NOTE_END                                    \
    9994: .balign 4;                                    \
    .popsection

/* The ABI note of an image for target, ABI version version. */
#define SOLO5_ABI_NOTE(target, version)                 \
    ELF_NOTE_BEGIN(.note.solo5.abi, 4, SOLO5_NOTE_NAME, SOLO5_NOTE_ABI); \
    .long target, version, 0, 0;                        \
    ELF_NOTE_END

/*
 * The manifest note, as `solo5-elftool gen-manifest M.json OUT.S` emits it:
 *
 *   MFT_NOTE_BEGIN(n)                   struct mft with n entries
 *   MFT_ENTRY("", MFT_RESERVED_FIRST)   entry 0
 *   MFT_ENTRY("storage", MFT_DEV_BLOCK_BASIC)
 *   ...
 *   MFT_NOTE_END
 *
 * An entry holds its name and type; the device information, hostpriv and
 * attached are zero in the file. The global labels solo5_mft and
 * solo5_mft_end bracket struct mft.
 */
#define MFT_NOTE_BEGIN(entries)                         \
    ELF_NOTE_BEGIN(.note.solo5.manifest, 8, SOLO5_NOTE_NAME, SOLO5_NOTE_MANIFEST); \
    .skip MFT_NOTE_PAD;                                 \
    .globl solo5_mft;                                   \
    solo5_mft:                                          \
    .long MFT_VERSION, entries
#define MFT_ENTRY(name, type)                           \
    9995: .asciz name;                                  \
    .skip MFT_NAME_SIZE - (. - 9995b);                  \
    .long type;                                         \
    .skip MFT_ENTRY_SIZE - MFT_NAME_SIZE - 4
#define MFT_NOTE_END                                    \
    .globl solo5_mft_end;                               \
    solo5_mft_end:                                      \
    ELF_NOTE_END

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

struct solo5_abi_note_desc {
    uint32_t target;            /* SOLO5_ABI_TARGET_* */
    uint32_t version;
    uint32_t reserved0;
    uint32_t reserved1;
};

struct mft_block_basic {
    uint64_t capacity;          /* bytes */
    uint16_t block_size;        /* bytes */
};

struct mft_net_basic {
    uint8_t mac[6];
    uint16_t mtu;               /* payload bytes, without the Ethernet header */
};

struct mft_entry {
    char name[MFT_NAME_SIZE];   /* NUL-terminated */
    uint32_t type;              /* MFT_DEV_* or MFT_RESERVED_FIRST */
    union {
        struct mft_block_basic block_basic;
        struct mft_net_basic net_basic;
    } u;                        /* filled in by the monitor */
    uint64_t hostpriv;          /* the monitor's own; the guest ignores it */
    uint8_t attached;           /* false in the file, set by the monitor */
    uint8_t _pad[7];
};

struct mft {
    uint32_t version;           /* MFT_VERSION */
    uint32_t entries;           /* 1 to MFT_MAX_ENTRIES, entry 0 reserved */
    struct mft_entry e[];
};

/* Bytes of struct mft with n entries. */
static inline size_t mft_size(uint32_t n)
{
    return sizeof(struct mft) + (size_t)n * sizeof(struct mft_entry);
}

/* "hvt", "virtio", ... for target; NULL for a number no target has. */
static inline const char *solo5_abi_target_name(uint32_t target)
{
    switch (target) {
    case SOLO5_ABI_TARGET_HVT: return "hvt";
    case SOLO5_ABI_TARGET_SPT: return "spt";
    case SOLO5_ABI_TARGET_VIRTIO: return "virtio";
    case SOLO5_ABI_TARGET_MUEN: return "muen";
    case SOLO5_ABI_TARGET_GENODE: return "genode";
    case SOLO5_ABI_TARGET_XEN: return "xen";
    default: return NULL;
    }
}

#define MFT_CHECK_LAYOUT(type, field, off) \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field)
#define MFT_CHECK_SIZE(type, size) \
    _Static_assert(sizeof(struct type) == (size), "sizeof " #type)

MFT_CHECK_SIZE(solo5_abi_note_desc, 16);
MFT_CHECK_LAYOUT(solo5_abi_note_desc, target, 0);
MFT_CHECK_LAYOUT(solo5_abi_note_desc, version, 4);
MFT_CHECK_SIZE(mft_block_basic, 16);
MFT_CHECK_LAYOUT(mft_block_basic, block_size, 8);
MFT_CHECK_SIZE(mft_net_basic, 8);
MFT_CHECK_LAYOUT(mft_net_basic, mtu, 6);
MFT_CHECK_SIZE(mft_entry, MFT_ENTRY_SIZE);
MFT_CHECK_LAYOUT(mft_entry, name, 0);
MFT_CHECK_LAYOUT(mft_entry, type, MFT_ENTRY_TYPE_OFFSET);
MFT_CHECK_LAYOUT(mft_entry, u, 72);
MFT_CHECK_LAYOUT(mft_entry, hostpriv, 88);
MFT_CHECK_LAYOUT(mft_entry, attached, MFT_ENTRY_ATTACHED_OFFSET);
MFT_CHECK_SIZE(mft, 8);
MFT_CHECK_LAYOUT(mft, version, MFT_VERSION_OFFSET);
MFT_CHECK_LAYOUT(mft, entries, MFT_ENTRIES_OFFSET);
MFT_CHECK_LAYOUT(mft, e, 8);

#endif /* !__ASSEMBLER__ */

#endif /* MFT_ABI_H */
