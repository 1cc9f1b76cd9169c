/*
 * coci.h: the C side of ukvm-oci, kept thin: system calls and macros that
 * Swift's Glibc module does not offer (setns, unshare, openat2, SCM_RIGHTS
 * messages, pseudo-terminals), with fixed signatures. Interface and tap
 * ioctls are in CNetIf, shared with the monitor.
 * No logic lives here.
 */
#ifndef COCI_H
#define COCI_H

#include <stdint.h>
#include <sys/types.h>
#include "coci_ns.h"

/* setns(2) into the network namespace open at fd. */
int coci_setns_net(int fd);
/* unshare(2) a new, empty network namespace. */
int coci_unshare_net(void);

/*
 * openat2(2) of path below the directory dirfd with RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS: symlinks and ".." cannot leave the directory, as if
 * it were the root. Returns the fd or -1 (errno set).
 */
int coci_open_in_root(int dirfd, const char *path, int flags);

/* Sends fd over the connected AF_UNIX socket sock (SCM_RIGHTS), with one
 * byte of data: 0 or -1 (errno set). */
int coci_send_fd(int sock, int fd, const char *name);

/* A new pseudo-terminal: the master and the slave, both O_CLOEXEC. */
int coci_open_pty(int *master, int *slave);
/* TIOCSCTTY: make fd the calling session leader's controlling terminal. */
int coci_set_controlling_tty(int fd);

/* close_range(2) from first to the top, or a loop if it is missing. */
void coci_close_from(int first);

/* prctl(PR_SET_PDEATHSIG, 0) and friends are not needed; PR_SET_NAME is,
 * so that ps shows what the process is. */
int coci_set_process_name(const char *name);

/* pipe2(2) with O_CLOEXEC (Glibc's module hides pipe2 without _GNU_SOURCE). */
int coci_pipe(int fds[2]);

/* Clears O_NONBLOCK on fd: 0 or -1 (errno set). */
int coci_set_blocking(int fd);

/* O_PATH, which Glibc's module does not export. */
extern const int coci_O_PATH;

#endif
