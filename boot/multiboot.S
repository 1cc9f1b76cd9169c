/*
 * multiboot.S: multiboot v1 entry of the virtio kernel, and the switch from
 * 32-bit protected mode to 64-bit long mode.
 *
 * A multiboot loader (QEMU's -kernel, GRUB) enters boot_start in 32-bit
 * protected mode with paging off, EAX = MULTIBOOT_BOOTLOADER_MAGIC and
 * EBX = the physical address of the multiboot information. The GDT it used
 * may be gone, and no stack is set up. We then:
 *
 *   1. check the magic and that the CPU has long mode (else print to COM1
 *      and halt),
 *   2. load our own GDT,
 *   3. build identity-mapped page tables for the first 4 GiB: 2 MiB pages,
 *      except the first 2 MiB, mapped with 4 KiB pages so that page 0 can be
 *      left out (NULL dereferences fault),
 *   4. enable PAE, point CR3 at the PML4, set EFER.LME, enable paging,
 *   5. far jump into 64-bit code, load the data segments and a stack,
 *   6. enable SSE (applications may use it; the kernel itself is built
 *      without it),
 *   7. call virtio_start(mbi) in C, which never returns.
 *
 * QEMU refuses to load a 64-bit ELF through the multiboot ELF path, so the
 * header sets flag bit 16 and gives the load addresses itself (the "a.out
 * kludge"): the file is then loaded as a flat image from load_addr to
 * load_end_addr, and zeroed up to bss_end_addr. The linker script
 * (kernel/virtio/virtio.lds) lays the file out as exactly that flat image.
 */

#define MULTIBOOT_HEADER_MAGIC     0x1badb002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
/* bit 0: modules page aligned, bit 1: memory info, bit 16: addresses valid */
#define MULTIBOOT_HEADER_FLAGS     ((1 << 0) | (1 << 1) | (1 << 16))

#define CR0_MP      (1 << 1)
#define CR0_EM      (1 << 2)
#define CR0_NE      (1 << 5)
#define CR0_WP      (1 << 16)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define CR4_OSFXSR  (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER    0xc0000080
#define EFER_LME    (1 << 8)

#define PTE_P       0x001
#define PTE_RW      0x002
#define PTE_PS      0x080

#define GDT_CODE64  0x08
#define GDT_DATA    0x10

#define COM1        0x3f8
#define BOOT_STACK_SIZE 16384

/* ---- The multiboot header: within the first 8 KiB of the file. ---- */
	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)
	.long multiboot_header          /* header_addr */
	.long __text_start              /* load_addr: start of the image */
	.long __data_end                /* load_end_addr: end of the file part */
	.long __bss_end                 /* bss_end_addr: the loader zeroes .bss */
	.long boot_start                /* entry_addr */

/* ---- 32-bit entry ---- */
	.section .text.boot, "ax"
	.code32
	.globl boot_start
boot_start:
	cli
	cld
	cmpl $MULTIBOOT_BOOTLOADER_MAGIC, %eax
	jne no_multiboot
	movl %ebx, %edi                 /* keep the mbi in EDI: the first C arg */

	/* Long mode? CPUID 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	lgdt gdt_ptr

	/* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. */
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_RW), %eax
	movl %eax, boot_pml4

	movl $boot_pd, %eax
	orl $(PTE_P | PTE_RW), %eax
	xorl %ecx, %ecx
1:	movl %eax, boot_pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jb 1b

	/* 2048 2 MiB pages cover 4 GiB. The high dword of each entry stays 0
	 * (the tables are in .bss, zeroed by the loader). */
	movl $(PTE_P | PTE_RW | PTE_PS), %eax
	xorl %ecx, %ecx
1:	movl %eax, boot_pd(, %ecx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jb 1b

	/* The first 2 MiB through a page table whose entry 0 stays empty. */
	movl $boot_pt, %eax
	orl $(PTE_P | PTE_RW), %eax
	movl %eax, boot_pd
	movl $(0x1000 | PTE_P | PTE_RW), %eax
	movl $1, %ecx
1:	movl %eax, boot_pt(, %ecx, 8)
	addl $0x1000, %eax
	incl %ecx
	cmpl $512, %ecx
	jb 1b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_NE), %eax
	movl %eax, %cr0

	ljmp $GDT_CODE64, $boot_long

/* Print the NUL-terminated string at ESI to COM1 and halt for good. The
 * UART is used as QEMU leaves it; a real one might need setting up. */
no_multiboot:
	movl $msg_no_multiboot, %esi
	jmp boot_fail
no_long_mode:
	movl $msg_no_long_mode, %esi
boot_fail:
	movw $COM1, %dx
1:	movb (%esi), %al
	testb %al, %al
	jz 2f
	outb %al, %dx
	incl %esi
	jmp 1b
2:	hlt
	jmp 2b

/* ---- 64-bit entry ---- */
	.code64
boot_long:
	movl $GDT_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp

	/* SSE: CR0.MP on, CR0.EM off, CR4.OSFXSR|OSXMMEXCPT on. */
	movq %cr0, %rax
	andq $~CR0_EM, %rax
	orq $CR0_MP, %rax
	movq %rax, %cr0
	movq %cr4, %rax
	orq $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	movq %rax, %cr4

	/* The upper half of RDI is undefined after the mode switch. */
	movl %edi, %edi                 /* virtio_start(mbi) */
	call virtio_start
1:	hlt
	jmp 1b

/* ---- Data ---- */
	.section .rodata
	.balign 8
gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

msg_no_multiboot:
	.asciz "boot: not started by a multiboot loader\r\n"
msg_no_long_mode:
	.asciz "boot: this CPU has no 64-bit long mode\r\n"

	.section .bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_pt:
	.skip 4096
	.balign 16
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
