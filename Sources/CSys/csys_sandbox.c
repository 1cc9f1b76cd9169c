/*
 * csys_sandbox.c: the calls of csys_sandbox.h.
 */
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "csys_sandbox.h"

const uint32_t csys_AUDIT_ARCH_X86_64 = AUDIT_ARCH_X86_64;

int csys_prctl(int option, unsigned long arg2, unsigned long arg3)
{
    return prctl(option, arg2, arg3, 0UL, 0UL);
}

int csys_seccomp_set_filter(unsigned int flags, const struct sock_fprog *prog)
{
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
}

int csys_capset_none(void)
{
    struct __user_cap_header_struct header = {
        .version = _LINUX_CAPABILITY_VERSION_3,
        .pid = 0,
    };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    return (int)syscall(SYS_capset, &header, data);
}
