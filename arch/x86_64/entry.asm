; Trap entry: one stub per IDT vector, one common path that saves a
; struct pt_regs (include/ptregs.h) and calls do_trap(regs, vector).
;
; The stack a stub finds: [ip cs flags sp ss], plus the CPU's error code for
; vectors 8, 10-14, 17, 21, 29, 30. Stubs without one push -1 so the frame
; always has orig_ax. #BP (int3) also copies the CPU frame 40 bytes lower
; first: the probe engine emulates push and call by writing just below the
; interrupted stack pointer, which is where the CPU frame would otherwise be.

%include "arch/x86_64/ptregs.inc"

section .noprobe.text.entry progbits alloc exec nowrite align=16
bits 64

extern do_trap
extern do_exception
extern trap_hooks, trap_int3_entry

PERCPU_TRAP_DEPTH	equ 20		; offsetof(struct percpu, trap_depth), checked in traps.c
PERCPU_FAULT_CR2	equ 56		; offsetof(struct percpu, fault_cr2), checked in traps.c

; Stubs are unnamed but for the first of each kind, so the 256 of them are
; small blacklisted ranges, not 256 "functions". The vector goes in as a
; sign-extended byte (irq_common zero-extends it). Exceptions (0-31) get
; EXC_STUB bytes each; interrupts (32-255), which never have an error code,
; come in blocks of IRQ_BLOCK 4-byte stubs ending in one jump to irq_common.
EXC_STUB	equ 9
IRQ_STUB	equ 4
IRQ_BLOCK	equ 16
IRQ_BLOCK_SIZE	equ IRQ_BLOCK * IRQ_STUB + 5

; (no labels inside the stubs: NASM would emit each as a symbol)
%macro EXCEPTION 1
%if %1 == 3
	jmp trap_int3
%else
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
	push byte -1
%endif
	push byte %1
	jmp near trap_common
%endif
	times (%1 + 1) * EXC_STUB - ($ - trap_exception_stubs) int3
%endmacro

align 16
global trap_exception_stubs
trap_exception_stubs:
%assign v 0
%rep 32
	EXCEPTION v
%assign v v + 1
%endrep

%macro IRQ_STUBS 1			; IRQ_BLOCK stubs from vector %1, then the jump
%assign v %1
%rep IRQ_BLOCK
%if v < 128
	push byte v
%else
	push byte v - 256
%endif
	jmp short trap_irq_stubs + ((%1 - 32) / IRQ_BLOCK + 1) * IRQ_BLOCK_SIZE - 5
%assign v v + 1
%endrep
	jmp near irq_common
%endmacro

global trap_irq_stubs
trap_irq_stubs:
%assign b 32
%rep (256 - 32) / IRQ_BLOCK
	IRQ_STUBS b
%assign b b + IRQ_BLOCK
%endrep

; [rsp] = vector, sign-extended from its byte: zero-extend it, and give
; the frame its orig_ax of -1 below it
irq_common:
	push qword [rsp]
	mov qword [rsp + 8], -1
	and qword [rsp], 0xff
	jmp trap_common

align 16
global trap_common
trap_common:
	; [rsp] = vector; swap it for rdi so the frame reads di, orig_ax, ip ...
	xchg rdi, [rsp]
	PUSH_REGS_FROM_SI rbp
	cld
	mov r12, rdi			; vector (r12, r13 and rbx are saved in the frame)
	mov rbx, rsp			; struct pt_regs *
	and rsp, -16			; the C ABI wants a 16-byte aligned call
	; CR2 first, before any C code can fault (a probe's fetch-arg, say) and
	; overwrite it. Only a #PF's (or a #DF's: the #PF that escalated) means
	; anything, but reading it on every trap costs less than telling them
	; apart. The outer trap's value comes back on the way out.
	mov r13, [gs:PERCPU_FAULT_CR2]
	mov rax, cr2
	mov [gs:PERCPU_FAULT_CR2], rax
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
	mov [gs:PERCPU_FAULT_CR2], r13
	mov rsp, rbx
	jmp trap_return

; #BP, the probe hit, on a path of its own: it copies the CPU frame 40
; bytes lower first (see the top of this file) and calls its first hook
; directly. It leaves CR2 alone: a #PF inside a handler saves and restores
; the value itself, and an int3 hit inside a #PF handler must not replace
; that fault's CR2. The frame copy keeps rsp 16-byte aligned (the CPU
; aligned it before pushing its 5 words; 5 + 5 + orig_ax + 15 registers),
; so C is called with rsp at the pt_regs, as from the path above.
global trap_int3
trap_int3:
	push qword [rsp + 32]		; ss
	push qword [rsp + 32]		; sp
	push qword [rsp + 32]		; flags
	push qword [rsp + 32]		; cs
	push qword [rsp + 32]		; ip
	push byte -1			; orig_ax
	push rdi
	PUSH_REGS_FROM_SI rbp
	cld
	inc dword [gs:PERCPU_TRAP_DEPTH]
	mov rdi, rsp
	jmp [trap_int3_entry]		; trap_int3_hooks, or a fast path (traps.c)
global trap_int3_hooks
trap_int3_hooks:
	mov esi, 3
	call [trap_hooks + 3 * 32]	; never empty (traps.c)
	test al, al
	jnz trap_int3_done
	mov rdi, rsp
	mov esi, 3
	mov edx, 1			; the hooks after the first
	call do_exception
global trap_int3_done
trap_int3_done:
	dec dword [gs:PERCPU_TRAP_DEPTH]
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
%rep 32
	dq trap_exception_stubs + v * EXC_STUB
%assign v v + 1
%endrep
%rep 256 - 32
	dq trap_irq_stubs + (v - 32) / IRQ_BLOCK * IRQ_BLOCK_SIZE + (v - 32) % IRQ_BLOCK * IRQ_STUB
%assign v v + 1
%endrep
