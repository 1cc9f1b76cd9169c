/*
 * coci_ns.h: the namespace and mount calls of ukvm-oci's container process
 * (setns, unshare, mount, umount2, pivot_root, sethostname), with fixed
 * signatures, and the CLONE_NEW* and MS_* flags Swift's Glibc module does
 * not export. No logic lives here (Container/ContainerNamespaces.swift).
 */
#ifndef COCI_NS_H
#define COCI_NS_H

#include <stddef.h>

extern const int coci_CLONE_NEWPID;
extern const int coci_CLONE_NEWIPC;
extern const int coci_CLONE_NEWUTS;
extern const int coci_CLONE_NEWNS;
extern const int coci_CLONE_NEWCGROUP;
extern const int coci_CLONE_NEWNET;

extern const unsigned long coci_MS_REC;
extern const unsigned long coci_MS_PRIVATE;
extern const unsigned long coci_MS_RDONLY;
extern const unsigned long coci_MS_NOSUID;
extern const unsigned long coci_MS_NODEV;
extern const unsigned long coci_MS_NOEXEC;
extern const unsigned long coci_MS_BIND;
extern const unsigned long coci_MS_REMOUNT;
extern const int coci_MNT_DETACH;

/* setns(2): join the namespace open at fd (nstype: a CLONE_NEW* or 0). */
int coci_setns(int fd, int nstype);
/* unshare(2) with flags. */
int coci_unshare(int flags);
/* mount(2), umount2(2), pivot_root(2) (no Glibc wrapper). */
int coci_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
               const char *data);
int coci_umount2(const char *target, int flags);
int coci_pivot_root(const char *new_root, const char *put_old);
/* sethostname(2). */
int coci_sethostname(const char *name, size_t len);

#endif
