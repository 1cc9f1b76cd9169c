/*
 * tls.c: the TLS base at CPL 3 on a CPU without FSGSBASE: the monitor sets
 * it (SET_FS_BASE, ukvm_ext.h), when it offers to.
 */

#include "ukvm.h"

static BOOT_VAR bool set_fs_base_offered;

void tls_init(uint32_t features)
{
    set_fs_base_offered = (features & UKVM_HOST_FEATURE_SET_FS_BASE) != 0;
}

solo5_result_t platform_set_fs_base(uintptr_t base)
{
    if (!set_fs_base_offered)
        return SOLO5_R_EUNSPEC;
    struct ukvm_hc_set_fs_base arg = { .base = base };
    ukvm_hypercall(UKVM_HYPERCALL_SET_FS_BASE, &arg);
    return arg.ret == UKVM_OK ? SOLO5_R_OK : SOLO5_R_EINVAL;
}
