/* block.c: block devices for ukvm: checks here, I/O in the monitor. */

#include "ukvm.h"

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    if (!block_check_request(handle, offset, buf, size))
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
    if (!block_check_request(handle, offset, buf, size))
        return SOLO5_R_EINVAL;
    struct ukvm_hc_block_read arg = {
        .handle = handle, .offset = offset, .data = (uintptr_t)buf,
        .len = size, .ret = UKVM_EUNSPEC,
    };
    ukvm_hypercall(UKVM_HYPERCALL_BLOCK_READ, &arg);
    return (solo5_result_t)arg.ret;
}
