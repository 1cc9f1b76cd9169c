/*
 * csys.h: the monitor's host calls that are neither KVM (CKVM) nor network
 * interfaces (CNetIf): waits and timers, non-blocking reads, the sandbox's
 * calls, the network ring's atomics, block device sizes and the layouts of
 * a core file. Swift cannot call variadic functions, evaluate _IO() macros
 * or use atomics on raw pointers, and Glibc's module is not built with
 * _GNU_SOURCE; this module is (Package.swift). Nothing here has logic worth
 * testing.
 */
#ifndef CSYS_H
#define CSYS_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/procfs.h>   /* core file notes: elf_prstatus, elf_prpsinfo */
#include <sys/user.h>     /* their register sets: user_regs_struct, ... */
#include <sys/eventfd.h>  /* the network ring's kick */

#include "csys_host.h"
#include "csys_sandbox.h"

/* Block devices: size in bytes. */
extern const unsigned long csys_BLKGETSIZE64;

/* ioctl(2) with an argument pointer, for the requests above. */
static inline int csys_ioctl(int fd, unsigned long request, void *arg)
{
    return ioctl(fd, request, arg);
}

/*
 * The network ring's indices live in guest memory and are shared with the
 * vCPU's thread: the monitor's ring thread reads and writes them with these
 * (acquire loads, release stores, a full fence where "store mine, load
 * theirs" needs one). Swift has no atomics on a raw pointer of its own.
 */
static inline uint32_t csys_load_acquire_u32(const void *p)
{
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline void csys_store_release_u32(void *p, uint32_t value)
{
    __atomic_store_n((uint32_t *)p, value, __ATOMIC_RELEASE);
}

static inline void csys_fence(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* In a spin loop: lets the other hyperthread (or vCPU) run. */
static inline void csys_cpu_relax(void)
{
    __builtin_ia32_pause();
}

#endif /* CSYS_H */
