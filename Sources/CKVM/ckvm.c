/*
 * ckvm.c: KVM ioctl request numbers as constants, for Swift, and
 * KVM_SET_SIGNAL_MASK.
 *
 * The request numbers are _IO()/_IOR()/_IOW()/_IOWR() macros in the kernel
 * headers, which the Swift importer cannot evaluate.
 */
#include <string.h>
#include "ckvm.h"

const unsigned long ckvm_KVM_GET_API_VERSION = KVM_GET_API_VERSION;
const unsigned long ckvm_KVM_CREATE_VM = KVM_CREATE_VM;
const unsigned long ckvm_KVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
const unsigned long ckvm_KVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;

const unsigned long ckvm_KVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
const unsigned long ckvm_KVM_CREATE_VCPU = KVM_CREATE_VCPU;
const unsigned long ckvm_KVM_CHECK_EXTENSION = KVM_CHECK_EXTENSION;
const unsigned long ckvm_KVM_IOEVENTFD = KVM_IOEVENTFD;
const unsigned int ckvm_KVM_IOEVENTFD_FLAG_PIO = KVM_IOEVENTFD_FLAG_PIO;

const unsigned long ckvm_KVM_RUN = KVM_RUN;
const unsigned long ckvm_KVM_GET_REGS = KVM_GET_REGS;
const unsigned long ckvm_KVM_SET_REGS = KVM_SET_REGS;
const unsigned long ckvm_KVM_GET_SREGS = KVM_GET_SREGS;
const unsigned long ckvm_KVM_SET_SREGS = KVM_SET_SREGS;
const unsigned long ckvm_KVM_SET_CPUID2 = KVM_SET_CPUID2;
const unsigned long ckvm_KVM_GET_TSC_KHZ = KVM_GET_TSC_KHZ;
const unsigned long ckvm_KVM_SET_GUEST_DEBUG = KVM_SET_GUEST_DEBUG;
const unsigned long ckvm_KVM_GET_FPU = KVM_GET_FPU;
const unsigned long ckvm_KVM_SET_FPU = KVM_SET_FPU;

/* The page directories (UKVM_PDE_BASE up to UKVM_PTE_BASE, 8-byte entries
 * of 2 MiB pages) map exactly the most memory a guest can have. */
_Static_assert((UKVM_PTE_BASE - UKVM_PDE_BASE) / 8 * 0x200000ULL == UKVM_MEMORY_MAX,
               "the page directories map UKVM_MEMORY_MAX");

int ckvm_set_vcpu_signal_mask(int vcpufd, const sigset_t *mask)
{
    /* The kernel's sigset is 8 bytes on x86_64, glibc's sigset_t 128. */
    union {
        struct kvm_signal_mask head;
        uint8_t bytes[sizeof(struct kvm_signal_mask) + 8];
    } arg;
    arg.head.len = 8;
    memcpy(arg.head.sigset, mask, 8);
    return ioctl(vcpufd, KVM_SET_SIGNAL_MASK, &arg);
}
