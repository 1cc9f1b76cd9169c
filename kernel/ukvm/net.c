/* net.c: network devices for ukvm: one frame per hypercall. */

#include "ukvm.h"

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

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    if (!mft_get_by_index(handle, MFT_DEV_NET_BASIC))
        return SOLO5_R_EINVAL;
    struct ukvm_hc_net_write arg = {
        .handle = handle, .data = (uintptr_t)buf, .len = size,
        .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_NET_WRITE, &arg);
    return (solo5_result_t)arg.ret;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf,
        size_t size, size_t *read_size)
{
    if (!mft_get_by_index(handle, MFT_DEV_NET_BASIC) || !read_size)
        return SOLO5_R_EINVAL;
    struct ukvm_hc_net_read arg = {
        .handle = handle, .data = (uintptr_t)buf, .len = size,
        .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_NET_READ, &arg);
    if (arg.ret == UKVM_OK)
        *read_size = arg.len;
    return (solo5_result_t)arg.ret;
}
