/*
 * ckvm.c: ioctl request numbers as constants, for Swift.
 *
 * The request numbers are _IO()/_IOR()/_IOW()/_IOWR() macros in the kernel
 * headers, which the Swift importer cannot evaluate.
 */
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

const unsigned long ckvm_TUNSETIFF = TUNSETIFF;
const unsigned long ckvm_TUNGETIFF = TUNGETIFF;
const unsigned long ckvm_SIOCGIFFLAGS = SIOCGIFFLAGS;
const unsigned long ckvm_SIOCGIFMTU = SIOCGIFMTU;

const unsigned long ckvm_BLKGETSIZE64 = BLKGETSIZE64;

/*
 * Core files: NT_PRSTATUS carries the general registers as elf_gregset_t,
 * which on x86_64 is struct user_regs_struct in disguise (the layout gdb
 * reads); the monitor fills the struct and copies it in.
 */
_Static_assert(sizeof(elf_gregset_t) == sizeof(struct user_regs_struct),
               "elf_gregset_t is user_regs_struct");
_Static_assert(sizeof(elf_fpregset_t) == sizeof(struct user_fpregs_struct),
               "elf_fpregset_t is user_fpregs_struct");
