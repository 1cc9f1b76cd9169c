/*
 * cpu_trap.S: entry stubs for the 32 exception vectors.
 *
 * Each stub makes the frame uniform (a dummy error code where the CPU pushes
 * none), pushes its vector, saves the general registers and calls
 * cpu_trap_entry() with the frame, which never returns: it reports the trap
 * and aborts, or hands #DB and #BP to the monitor's debugger, which resumes
 * the trapped context itself.
 */


.text

.macro TRAP_STUB v
    .balign 16
trap_stub_\v:
    .if !((\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
    pushq $0
    .endif
    pushq $\v
    jmp trap_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_STUB \v
.endr

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    andq $-16, %rsp          /* the C ABI wants a 16-byte aligned stack */
    call cpu_trap_entry
    ud2                      /* cpu_trap_entry does not return */

.section .rodata
.balign 8
.globl cpu_trap_stubs
cpu_trap_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_stub_\v
.endr

.section .note.GNU-stack, "", @progbits
