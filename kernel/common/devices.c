/*
 * devices.c: acquiring devices, the same on every backend: the manifest
 * (as the backend attached it) says what exists and what it looks like.
 */

#include "kernel.h"

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_block_info *info)
{
    solo5_handle_t h;
    const struct mft_entry *e = mft_get_by_name(name, MFT_DEV_BLOCK_BASIC, &h);
    if (!e || !handle || !info)
        return SOLO5_R_EINVAL;
    *handle = h;
    info->capacity = e->u.block_basic.capacity;
    info->block_size = e->u.block_basic.block_size;
    log(LOG_INFO, "Application acquired '%s' as block device\n", name);
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_net_info *info)
{
    solo5_handle_t h;
    const struct mft_entry *e = mft_get_by_name(name, MFT_DEV_NET_BASIC, &h);
    if (!e || !handle || !info)
        return SOLO5_R_EINVAL;
    *handle = h;
    memcpy(info->mac_address, e->u.net_basic.mac, SOLO5_NET_ALEN);
    info->mtu = e->u.net_basic.mtu;
    log(LOG_INFO, "Application acquired '%s' as network device\n", name);
    return SOLO5_R_OK;
}
