/*
 * csys_sandbox.c: the calls of csys_sandbox.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <linux/securebits.h>
#include "csys_sandbox.h"

const uint32_t csys_AUDIT_ARCH_X86_64 = AUDIT_ARCH_X86_64;

const unsigned long csys_SECUREBITS_NO_ROOT_LOCKED =
    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
    SECBIT_KEEP_CAPS_LOCKED |
    SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

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

int csys_landlock_abi(void)
{
    return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

int csys_landlock_confine(uint64_t handled, int dirfd, uint64_t allowed)
{
    struct landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.handled_access_fs = handled;
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0)
        return -1;
    struct landlock_path_beneath_attr beneath = { .allowed_access = allowed, .parent_fd = dirfd };
    int r = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
    if (r == 0)
        r = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
    int e = errno;
    close(ruleset);
    errno = e;
    return r;
}
