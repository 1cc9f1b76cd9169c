/* mft.c: the device manifest, as the backend found it attached. */

#include "kernel.h"

static BOOT_VAR const struct mft *manifest;

void mft_init(const struct mft *mft)
{
    assert(mft && mft->version == MFT_VERSION);
    assert(mft->entries >= 1 && mft->entries <= MFT_MAX_ENTRIES);
    manifest = mft;
}

const struct mft_entry *mft_get_by_index(solo5_handle_t handle,
        uint32_t type)
{
    if (!manifest || handle == 0 || handle >= manifest->entries)
        return NULL;
    const struct mft_entry *e = &manifest->e[handle];
    if (e->type != type || !e->attached)
        return NULL;
    return e;
}

const struct mft_entry *mft_get_by_name(const char *name, uint32_t type,
        solo5_handle_t *handle)
{
    if (!manifest || !name)
        return NULL;
    for (uint32_t i = 1; i < manifest->entries; i++) {
        const struct mft_entry *e = &manifest->e[i];
        if (strncmp(e->name, name, MFT_NAME_SIZE) == 0) {
            if (e->type != type || !e->attached)
                return NULL;
            *handle = i;
            return e;
        }
    }
    return NULL;
}
