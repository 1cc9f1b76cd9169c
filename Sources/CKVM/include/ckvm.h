/*
 * ckvm.h: the C side of the KVM layer and of the ABI, kept thin.
 *
 * Swift cannot import function-like macros such as _IOW() nor call the
 * variadic ioctl(2), and it reads the anonymous unions of struct kvm_run
 * awkwardly. So this header only:
 *   - includes <linux/kvm.h>, the ELF layout (<elf.h>) and the ABI headers
 *     that the guest includes too (include/ at the top of the tree, found
 *     through the header search path that Package.swift gives this target);
 *   - exports KVM ioctl request numbers as constants (ckvm.c);
 *   - gives ioctl(2) fixed signatures;
 *   - offers accessors for the kvm_run fields the run loop decodes.
 * Other host calls are in CSys, network interfaces in CNetIf. Nothing here
 * allocates, and nothing here has logic worth testing.
 */
#ifndef CKVM_H
#define CKVM_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <elf.h>          /* the ELF layout: image parser, core files */

#include "ukvm_abi.h"
#include "ukvm_ext.h"
#include "mft_abi.h"

/* KVM: system ioctls (on /dev/kvm). */
extern const unsigned long ckvm_KVM_GET_API_VERSION;
extern const unsigned long ckvm_KVM_CREATE_VM;
extern const unsigned long ckvm_KVM_GET_VCPU_MMAP_SIZE;
extern const unsigned long ckvm_KVM_GET_SUPPORTED_CPUID;
/* KVM: VM ioctls. */
extern const unsigned long ckvm_KVM_SET_USER_MEMORY_REGION;
extern const unsigned long ckvm_KVM_CREATE_VCPU;
extern const unsigned long ckvm_KVM_CHECK_EXTENSION;
extern const unsigned long ckvm_KVM_IOEVENTFD;
extern const unsigned int ckvm_KVM_IOEVENTFD_FLAG_PIO;
/* KVM: vCPU ioctls. */
extern const unsigned long ckvm_KVM_RUN;
extern const unsigned long ckvm_KVM_GET_REGS;
extern const unsigned long ckvm_KVM_SET_REGS;
extern const unsigned long ckvm_KVM_GET_SREGS;
extern const unsigned long ckvm_KVM_SET_SREGS;
extern const unsigned long ckvm_KVM_SET_CPUID2;
extern const unsigned long ckvm_KVM_GET_TSC_KHZ;
/* KVM: vCPU ioctls of the debugger (--gdb) and core files (--dumpcore). */
extern const unsigned long ckvm_KVM_SET_GUEST_DEBUG;
extern const unsigned long ckvm_KVM_GET_FPU;
extern const unsigned long ckvm_KVM_SET_FPU;

/* KVM_SET_SIGNAL_MASK (a struct ending in a flexible array): the signal
 * mask in force while KVM_RUN runs. */
int ckvm_set_vcpu_signal_mask(int vcpufd, const sigset_t *mask);

/* ioctl(2) with an argument pointer (most requests). */
static inline int ckvm_ioctl(int fd, unsigned long request, void *arg)
{
    return ioctl(fd, request, arg);
}

/* ioctl(2) with an integer argument (KVM_CREATE_VM, KVM_CREATE_VCPU, ...). */
static inline int ckvm_ioctl_value(int fd, unsigned long request,
                                   unsigned long value)
{
    return ioctl(fd, request, value);
}

/*
 * kvm_run accessors. The fields sit in anonymous unions, which Swift imports
 * poorly; these compile to single loads and stores.
 */
static inline uint32_t ckvm_run_exit_reason(const struct kvm_run *run)
{
    return run->exit_reason;
}

/* kvm_run.immediate_exit: set by a signal handler, KVM_RUN returns EINTR
 * at once (the debugger's interrupt, Debug/DebugInterrupt.swift). */
static inline volatile uint8_t *ckvm_run_immediate_exit(struct kvm_run *run)
{
    return &run->immediate_exit;
}

static inline uint8_t ckvm_run_io_direction(const struct kvm_run *run)
{
    return run->io.direction;
}

static inline uint8_t ckvm_run_io_size(const struct kvm_run *run)
{
    return run->io.size;
}

static inline uint16_t ckvm_run_io_port(const struct kvm_run *run)
{
    return run->io.port;
}

static inline uint32_t ckvm_run_io_count(const struct kvm_run *run)
{
    return run->io.count;
}

static inline uint64_t ckvm_run_io_data_offset(const struct kvm_run *run)
{
    return run->io.data_offset;
}

static inline uint64_t ckvm_run_mmio_phys_addr(const struct kvm_run *run)
{
    return run->mmio.phys_addr;
}

static inline uint8_t ckvm_run_mmio_is_write(const struct kvm_run *run)
{
    return run->mmio.is_write;
}

static inline uint32_t ckvm_run_internal_suberror(const struct kvm_run *run)
{
    return run->internal.suberror;
}

static inline uint64_t ckvm_run_fail_entry_reason(const struct kvm_run *run)
{
    return run->fail_entry.hardware_entry_failure_reason;
}

/* KVM_EXIT_DEBUG: the exception (1 = #DB, 3 = #BP) and where. */
static inline uint32_t ckvm_run_debug_exception(const struct kvm_run *run)
{
    return run->debug.arch.exception;
}

static inline uint64_t ckvm_run_debug_pc(const struct kvm_run *run)
{
    return run->debug.arch.pc;
}

/* struct kvm_cpuid2 ends in a flexible array: its size for n entries. */
static inline size_t ckvm_cpuid2_size(uint32_t nent)
{
    return sizeof(struct kvm_cpuid2) +
           (size_t)nent * sizeof(struct kvm_cpuid_entry2);
}

#endif /* CKVM_H */
