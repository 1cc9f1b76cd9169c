/*
 * csys_sandbox.h: what the sandbox (Sources/Monitor/Sandbox) needs from C:
 * the system call numbers (<sys/syscall.h>), the seccomp and BPF layouts,
 * and fixed signatures for prctl(2), seccomp(2) and capset(2), which are
 * variadic or have no Glibc wrapper. Nothing here has logic worth testing.
 */
#ifndef CSYS_SANDBOX_H
#define CSYS_SANDBOX_H

#include <signal.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

/* The architecture seccomp_data.arch names for x86_64 system calls. */
extern const uint32_t csys_AUDIT_ARCH_X86_64;

/* Where a filter loads struct seccomp_data's fields, as C lays it out
 * (in Swift, a key path built at run time at every start). */
enum {
    csys_SECCOMP_DATA_NR = offsetof(struct seccomp_data, nr),
    csys_SECCOMP_DATA_ARCH = offsetof(struct seccomp_data, arch),
    csys_SECCOMP_DATA_ARGS = offsetof(struct seccomp_data, args),
};

/* prctl(2) with up to two arguments. */
int csys_prctl(int option, unsigned long arg2, unsigned long arg3);

/* seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
int csys_seccomp_set_filter(unsigned int flags, const struct sock_fprog *prog);

/* capset(2): every capability set of the calling thread emptied. */
int csys_capset_none(void);

/* The securebits that end root's special case for good (<linux/securebits.h>):
 * no capabilities from uid 0 at execve (NOROOT), none kept or lost at a
 * uid change (NO_SETUID_FIXUP, KEEP_CAPS off), no ambient raise, each with
 * its lock so it cannot be undone. */
extern const unsigned long csys_SECUREBITS_NO_ROOT_LOCKED;

/*
 * Landlock (Linux 5.13+): the ruleset's ABI version (landlock_create_ruleset
 * with LANDLOCK_CREATE_RULESET_VERSION; -1 and errno ENOSYS or EOPNOTSUPP
 * without it), and one ruleset that handles the file access rights
 * `handled` and grants `allowed` beneath the directory open at dirfd, put
 * on the calling thread (landlock_restrict_self). 0 or -1 (errno set).
 */
int csys_landlock_abi(void);
int csys_landlock_confine(uint64_t handled, int dirfd, uint64_t allowed);

/* siginfo of a SIGSYS from seccomp: the system call and its architecture. */
static inline int csys_siginfo_syscall(const siginfo_t *info)
{
    return info->si_syscall;
}

static inline uint32_t csys_siginfo_arch(const siginfo_t *info)
{
    return info->si_arch;
}

#endif /* CSYS_SANDBOX_H */
