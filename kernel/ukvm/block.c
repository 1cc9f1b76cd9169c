/* block.c: block devices for ukvm: checks here, I/O in the monitor. */

#include "ukvm.h"

/* One whole, aligned block inside the device, as the API promises. */
static bool valid_request(solo5_handle_t handle, solo5_off_t offset,
        size_t size)
{
    const struct mft_entry *e = mft_get_by_index(handle, MFT_DEV_BLOCK_BASIC);
    if (!e)
        return false;
    uint64_t bs = e->u.block_basic.block_size, cap = e->u.block_basic.capacity;
    return bs && size == bs && offset % bs == 0 && offset < cap &&
        cap - offset >= size;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    if (!valid_request(handle, offset, size))
        return SOLO5_R_EINVAL;
    struct ukvm_hc_block_write arg = {
        .handle = handle, .offset = offset, .data = (uintptr_t)buf,
        .len = size, .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_BLOCK_WRITE, &arg);
    return (solo5_result_t)arg.ret;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size)
{
    if (!valid_request(handle, offset, size))
        return SOLO5_R_EINVAL;
    struct ukvm_hc_block_read arg = {
        .handle = handle, .offset = offset, .data = (uintptr_t)buf,
        .len = size, .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_BLOCK_READ, &arg);
    return (solo5_result_t)arg.ret;
}
