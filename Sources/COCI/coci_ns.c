/* coci_ns.c: see coci_ns.h. */
#include <sched.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include "coci_ns.h"

const int coci_CLONE_NEWPID = CLONE_NEWPID;
const int coci_CLONE_NEWIPC = CLONE_NEWIPC;
const int coci_CLONE_NEWUTS = CLONE_NEWUTS;
const int coci_CLONE_NEWNS = CLONE_NEWNS;
const int coci_CLONE_NEWCGROUP = CLONE_NEWCGROUP;
const int coci_CLONE_NEWNET = CLONE_NEWNET;

const unsigned long coci_MS_REC = MS_REC;
const unsigned long coci_MS_PRIVATE = MS_PRIVATE;
const unsigned long coci_MS_RDONLY = MS_RDONLY;
const unsigned long coci_MS_NOSUID = MS_NOSUID;
const unsigned long coci_MS_NODEV = MS_NODEV;
const unsigned long coci_MS_NOEXEC = MS_NOEXEC;
const unsigned long coci_MS_BIND = MS_BIND;
const unsigned long coci_MS_REMOUNT = MS_REMOUNT;
const int coci_MNT_DETACH = MNT_DETACH;

int coci_setns(int fd, int nstype)
{
    return setns(fd, nstype);
}

int coci_unshare(int flags)
{
    return unshare(flags);
}

int coci_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
               const char *data)
{
    return mount(source, target, fstype, flags, data);
}

int coci_umount2(const char *target, int flags)
{
    return umount2(target, flags);
}

int coci_pivot_root(const char *new_root, const char *put_old)
{
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int coci_sethostname(const char *name, size_t len)
{
    return sethostname(name, len);
}
