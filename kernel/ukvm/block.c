/*
 * block.c: block devices for ukvm: checks here, I/O in the monitor.
 *
 * When the monitor takes many blocks per request (UKVM_HOST_FEATURE_BLOCK_MULTI)
 * a request of up to SOLO5_BLOCK_IO_MAX bytes is one hypercall, one exit.
 * Otherwise (upstream's monitors, and our base-ABI variants, which do not
 * use our extensions) it is one hypercall per block, as upstream's kernels
 * send them, stopping at the first block that fails.
 */

#include "ukvm.h"

static BOOT_VAR bool multi; /* the monitor takes many blocks per hypercall */

void block_init(uint32_t features)
{
    multi = features & UKVM_HOST_FEATURE_BLOCK_MULTI;
    if (multi)
        log(LOG_DEBUG, "block: multi-block requests\n");
}

/* One BLOCK_WRITE or BLOCK_READ hypercall. */
static solo5_result_t hypercall(bool write, solo5_handle_t handle,
        solo5_off_t offset, uintptr_t buf, size_t size)
{
    if (write) {
        struct ukvm_hc_block_write arg = {
            .handle = handle, .offset = offset, .data = buf, .len = size,
            .ret = UKVM_EUNSPEC,
        };
        ukvm_hypercall(UKVM_HYPERCALL_BLOCK_WRITE, &arg);
        return (solo5_result_t)arg.ret;
    }
    struct ukvm_hc_block_read arg = {
        .handle = handle, .offset = offset, .data = buf, .len = size,
        .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_BLOCK_READ, &arg);
    return (solo5_result_t)arg.ret;
}

/* A checked request: in one hypercall, or in one per block. */
static solo5_result_t request(bool write, solo5_handle_t handle,
        solo5_off_t offset, uintptr_t buf, size_t size)
{
    const struct mft_entry *e =
        block_check_request(handle, offset, (const uint8_t *)buf, size);
    if (!e)
        return SOLO5_R_EINVAL;
    size_t step = multi ? size : e->u.block_basic.block_size;
    for (size_t done = 0; done < size; done += step) {
        solo5_result_t r = hypercall(write, handle, offset + done, buf + done,
                step);
        if (r != SOLO5_R_OK)
            return r;
    }
    return SOLO5_R_OK;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    return request(true, handle, offset, (uintptr_t)buf, size);
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size)
{
    return request(false, handle, offset, (uintptr_t)buf, size);
}
