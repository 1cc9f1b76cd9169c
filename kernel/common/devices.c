/*
 * devices.c: acquiring devices, the same on every backend: the manifest
 * (as the backend attached it) says what exists and what it looks like.
 */

#include "kernel.h"
#include "solo5_ext.h"

BOOT_VAR bool net_large_send;

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

/*
 * Request checks, the same rules on every backend (the monitor checks again
 * on ukvm: it trusts no guest).
 */

const struct mft_entry *block_check_request(solo5_handle_t handle,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    const struct mft_entry *e = mft_get_by_index(handle, MFT_DEV_BLOCK_BASIC);
    if (!e || !buf)
        return NULL;
    uint64_t bs = e->u.block_basic.block_size, cap = e->u.block_basic.capacity;
    if (!bs || size == 0 || size > SOLO5_BLOCK_IO_MAX || size % bs != 0 ||
            offset % bs != 0 || offset >= cap || cap - offset < size)
        return NULL;
    return e;
}

/* On ukvm a request of the API's largest size is one hypercall (when the
 * monitor takes many blocks at once), never more. */
_Static_assert(SOLO5_BLOCK_IO_MAX == UKVM_BLOCK_MAX_REQUEST,
        "the API's largest block request is the ABI's");

const struct mft_entry *net_check_read(solo5_handle_t handle,
        const uint8_t *buf, size_t size, const size_t *read_size)
{
    const struct mft_entry *e = mft_get_by_index(handle, MFT_DEV_NET_BASIC);
    if (!e || !buf || !read_size || size < ukvm_net_rx_min(e->u.net_basic.mtu))
        return NULL;
    return e;
}

const struct mft_entry *net_check_write(solo5_handle_t handle,
        const uint8_t *buf, size_t size)
{
    const struct mft_entry *e = mft_get_by_index(handle, MFT_DEV_NET_BASIC);
    if (!e || !buf || size == 0)
        return NULL;
    uint64_t mtu = e->u.net_basic.mtu;
    if (size <= ukvm_net_tx_max(mtu))
        return e;
    /* A large frame: the monitor's own checks, so that what it would
     * refuse fails here, at once, as EINVAL. */
    struct ukvm_large_send ls;
    if (!net_large_send || !ukvm_large_send_check(buf, size, mtu, &ls))
        return NULL;
    return e;
}

_Static_assert(SOLO5_NET_LARGE_MAX == UKVM_NET_LARGE_MAX,
        "the API's largest frame is the ABI's");

size_t solo5_net_max_frame(solo5_handle_t handle)
{
    const struct mft_entry *e = mft_get_by_index(handle, MFT_DEV_NET_BASIC);
    if (!e)
        return 0;
    return net_large_send ? UKVM_NET_LARGE_MAX :
        SOLO5_NET_HLEN + e->u.net_basic.mtu;
}
