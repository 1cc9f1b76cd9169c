/*
 * kvm-floor.c: the baseline for scripts/bench. The least a KVM monitor can
 * do: open /dev/kvm, create a VM with guest memory and one vCPU in long mode
 * (at CPL 3 like our unikernels, or at CPL 0 with -0), run a few instructions
 * and exit on an `out`.
 *
 *   kvm-floor [-0] [-m MB]          boot and exit: the floor for hello
 *   kvm-floor [-0] [-m MB] -n N     N `out` exits, prints ns per exit
 *   kvm-floor -s N                  N iterations of the spin loop on the host
 *   kvm-floor [-0] [-m MB] -i       boot, then hold the VM idle: prints
 *                                   "kvm-floor: idle" and sleeps until a
 *                                   signal (the density bench's baseline)
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x, what) do { if ((x) < 0) { perror(what); exit(1); } } while (0)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int cpl0 = 0, idle = 0, opt;
    uint64_t n = 0, mem_mb = 512;
    while ((opt = getopt(argc, argv, "0in:m:s:")) != -1) {
        if (opt == '0') cpl0 = 1;
        else if (opt == 'i') idle = 1;
        else if (opt == 's') {
            /* The same two-instruction loop as the spin unikernel. */
            uint64_t i = strtoull(optarg, NULL, 10), iters = i, t0 = now_ns();
            if (i)
                __asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(i));
            uint64_t ns = now_ns() - t0;
            printf("host spin: %.2f ns/iteration\n", iters ? (double)ns / iters : 0.0);
            return 0;
        }
        else if (opt == 'n') n = strtoull(optarg, NULL, 10);
        else if (opt == 'm') mem_mb = strtoull(optarg, NULL, 10);
        else { fprintf(stderr, "usage: kvm-floor [-0] [-m MB] [-n N | -i] | -s N\n"); return 2; }
    }
    size_t mem_size = mem_mb << 20;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    CHECK(kvm, "/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    CHECK(vm, "KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) { perror("mmap"); return 1; }
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
        .userspace_addr = (uint64_t)mem,
    };
    CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");

    /* Identity map the first 2 MiB with one large page; U bit for CPL 3. */
    uint64_t u = cpl0 ? 0 : 4;
    uint64_t *pml4 = (uint64_t *)(mem + 0x2000), *pdpt = (uint64_t *)(mem + 0x3000),
             *pd = (uint64_t *)(mem + 0x4000);
    pml4[0] = 0x3000 | 3 | u;
    pdpt[0] = 0x4000 | 3 | u;
    pd[0] = 0x80 | 3 | u;
    uint64_t *gdt = (uint64_t *)(mem + 0x1000);
    gdt[1] = 0x00af9b000000ffffULL; gdt[2] = 0x00cf93000000ffffULL;
    gdt[3] = 0x00affb000000ffffULL; gdt[4] = 0x00cff3000000ffffULL;

    /* Guest code at 0x100000: mov $n,%rcx; 1: out %al,$0x10; dec %rcx; jnz 1b; out %al,$0x11 */
    uint8_t code[] = {
        0x48, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0,  /* movabs $n, %rcx */
        0x48, 0x85, 0xc9,                    /* test %rcx, %rcx */
        0x74, 0x07,                          /* jz done */
        0xe6, 0x10,                          /* 1: out %al, $0x10 */
        0x48, 0xff, 0xc9,                    /* dec %rcx */
        0x75, 0xf9,                          /* jnz 1b */
        0xe6, 0x11,                          /* done: out %al, $0x11 */
    };
    memcpy(code + 2, &n, 8);
    memcpy(mem + 0x100000, code, sizeof code);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    CHECK(vcpu, "KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    CHECK(run_size, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) { perror("mmap kvm_run"); return 1; }

    struct kvm_sregs sregs;
    CHECK(ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
    unsigned dpl = cpl0 ? 0 : 3;
    struct kvm_segment cs = { .base = 0, .limit = 0xffffffff,
        .selector = cpl0 ? 0x08 : 0x1b, .type = 11, .present = 1, .dpl = dpl,
        .s = 1, .l = 1, .g = 1 };
    struct kvm_segment ds = { .base = 0, .limit = 0xffffffff,
        .selector = cpl0 ? 0x10 : 0x23, .type = 3, .present = 1, .dpl = dpl,
        .db = 1, .s = 1, .g = 1 };
    sregs.cs = cs;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
    sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = 11, .present = 1 };
    sregs.gdt.base = 0x1000;
    sregs.gdt.limit = 5 * 8 - 1;
    sregs.cr0 = 0x80050033; /* PG WP NE ET MP PE */
    sregs.cr3 = 0x2000;
    sregs.cr4 = 0x20 | 0x200 | 0x400; /* PAE OSFXSR OSXMMEXCPT */
    sregs.efer = 0x500; /* LME LMA */
    CHECK(ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
    struct kvm_regs regs = { .rip = 0x100000, .rsp = mem_size - 8,
        .rflags = cpl0 ? 0x2 : 0x3002 };
    CHECK(ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");

    uint64_t exits = 0, start = now_ns();
    for (;;) {
        CHECK(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "kvm-floor: unexpected exit reason %u\n", run->exit_reason);
            return 1;
        }
        if (run->io.port == 0x11)
            break;
        exits++;
    }
    uint64_t ns = now_ns() - start;
    if (idle) {
        /* The VM, its memory and its vCPU stay; the process sleeps, as an
         * idle unikernel's monitor does, until a signal ends it. */
        printf("kvm-floor: idle\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (n)
        printf("kvm-floor: %llu out exits in %llu ns: %.1f ns/exit\n",
                (unsigned long long)exits, (unsigned long long)ns, (double)ns / exits);
    return 0;
}
