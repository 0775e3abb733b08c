; Trap entry: one stub per IDT vector, one common path that saves a
; struct pt_regs (include/ptregs.h) and calls do_trap(regs, vector).
;
; The stack a stub finds: [ip cs flags sp ss], plus the CPU's error code for
; vectors 8, 10-14, 17, 21, 29, 30. Stubs without one push -1 so the frame
; always has orig_ax. #BP (int3) also copies the CPU frame 40 bytes lower
; first: the probe engine emulates push and call by writing just below the
; interrupted stack pointer, which is where the CPU frame would otherwise be.

%include "arch/x86_64/ptregs.inc"

section .noprobe.text progbits alloc exec nowrite align=16
bits 64

extern do_trap
extern do_exception
extern trap_hooks

PERCPU_TRAP_DEPTH	equ 20		; offsetof(struct percpu, trap_depth), checked in traps.c

%macro VECTOR 1
align 16
vector_%1:
%if %1 == 3
	push qword [rsp + 32]		; ss
	push qword [rsp + 32]		; sp
	push qword [rsp + 32]		; flags
	push qword [rsp + 32]		; cs
	push qword [rsp + 32]		; ip
%endif
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
	push qword -1
%endif
	push qword %1
	jmp trap_common
%endmacro

%assign v 0
%rep 256
	VECTOR v
%assign v v + 1
%endrep

align 16
global trap_common
trap_common:
	; [rsp] = vector; swap it for rdi so the frame reads di, orig_ax, ip ...
	xchg rdi, [rsp]
	PUSH_REGS_FROM_SI rbp
	cld
	mov r12, rdi			; vector (r12 and rbx are saved in the frame)
	mov rbx, rsp			; struct pt_regs *
	and rsp, -16			; the C ABI wants a 16-byte aligned call
	cmp r12, 32
	jae .generic
	; an exception: its first hook (the probe engine's, for #BP and #DB)
	; is called from here, so a probe hit costs no C dispatch
	mov rax, r12
	shl rax, 5
	mov rax, [trap_hooks + rax]
	test rax, rax
	jz .generic
	inc dword [gs:PERCPU_TRAP_DEPTH]
	mov rdi, rbx
	mov rsi, r12
	call rax
	test al, al
	jnz .handled
	mov rdi, rbx
	mov rsi, r12
	mov edx, 1			; the hooks after the first
	call do_exception
.handled:
	dec dword [gs:PERCPU_TRAP_DEPTH]
	jmp .out
.generic:
	mov rdi, rbx
	mov rsi, r12
	call do_trap
.out:
	mov rsp, rbx
global trap_return
trap_return:
	POP_REGS
	add rsp, 8			; orig_ax
	iretq

section .rodata
global trap_vectors
align 8
trap_vectors:
%assign v 0
%rep 256
	dq vector_ %+ v
%assign v v + 1
%endrep
