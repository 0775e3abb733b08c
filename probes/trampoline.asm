; kretprobe_trampoline: where a function with a return probe returns to.
;
; It builds a struct pt_regs, calls kretprobe_trampoline_handler(regs, slot)
; and returns to the real return address, which the handler writes into
; `slot`. The slot and the saved rbp above it form an ordinary frame, so a
; backtrace taken inside the handler walks through the real caller rather
; than this trampoline. Changes a handler makes to regs (say, ax) take effect.
; A function returning with `ret N` lands here N bytes higher; the handler
; knows N (per return probe) and the stack needs no correcting.
;
; The commonest return, one instance on the frame whose kretprobe has a
; handler, on a CPU not in a hit already, is kretprobe_trampoline_handler()
; written out here (same state, counters and order), so it costs no C
; frame; r12-r14 are the probed code's, saved in pt_regs. Anything else
; (nested, unwound frames below, several return probes on the frame, an
; unregistered kretprobe, no handler) goes to C, which sees nothing changed.

%include "arch/x86_64/ptregs.inc"

; Offsets into C structures: opt.c and kretprobe.c check every one.
PERCPU_PROBE_STATE	equ 40		; struct percpu
CTL_STATUS		equ 0		; struct kprobe_ctlblk
CTL_RUNNING		equ 48
CTL_TRAP_REGS		equ 56
CTL_RET_RI		equ 64
CTL_RET_STACK		equ 80
CTL_COUNTS		equ 88
KP_COUNT_OFF		equ 64		; struct kprobe
RP_HANDLER		equ 120		; struct kretprobe
POOL_RP			equ 0		; struct kretprobe_pool
POOL_RET_POP		equ 28
RI_POOL			equ 0		; struct kretprobe_instance
RI_RET_ADDR		equ 8
RI_FP			equ 16
RI_NEXT			equ 24
RI_STATE		equ 32
COUNT_RET_NHIT		equ 16		; struct kprobe_count
REGS_IP			equ 128		; struct pt_regs
REGS_SP			equ 152
KPROBE_IDLE		equ 0
KPROBE_HIT_ACTIVE	equ 1
RI_FREE			equ 0
RI_ORPHAN		equ 2

section .noprobe.text.kretprobe progbits alloc exec nowrite align=16
bits 64

extern kretprobe_trampoline_handler, kretprobe_pool_put

global kretprobe_trampoline
kretprobe_trampoline:
	sub rsp, 8			; slot: the real return address
	push rbp
	mov rbp, rsp			; frame = { rbp, slot }
	sub rsp, 48			; orig_ax ip cs flags sp ss, filled below
	push rdi
	PUSH_REGS_FROM_SI qword [rbp]	; bp: the function's rbp
	mov qword [rsp + 15 * 8], -1	; orig_ax
	mov qword [rsp + 17 * 8], 0x08	; cs
	pushfq
	pop qword [rsp + 18 * 8]	; flags (the address is taken after the pop)
	cli				; the handler runs as on the int3 path
	lea rax, [rbp + 16]
	mov [rsp + 19 * 8], rax		; sp: where the caller's stack continues
	mov qword [rsp + 20 * 8], 0x10	; ss
	mov rbx, rsp
	and rsp, -16
	mov r12, [gs:PERCPU_PROBE_STATE]	; ctl
	cmp dword [r12 + CTL_STATUS], KPROBE_IDLE
	jne ..@c
	mov r13, [r12 + CTL_RET_STACK]	; ri
	test r13, r13
	jz ..@c
	mov r14, [r13 + RI_POOL]
	mov eax, [r14 + POOL_RET_POP]	; return_sp(ri) must be regs->sp
	add rax, [r13 + RI_FP]
	add rax, 8
	cmp rax, [rbx + REGS_SP]
	jne ..@c
	mov rcx, [r13 + RI_NEXT]
	test rcx, rcx
	jz ..@one
	mov rax, [r13 + RI_FP]
	cmp rax, [rcx + RI_FP]
	je ..@c				; another return probe shares the frame
..@one:
	mov r14, [r14 + POOL_RP]	; the kretprobe, NULL once unregistering
	test r14, r14
	jz ..@c
	mov rax, [r14 + RP_HANDLER]
	test rax, rax
	jz ..@c
	mov dword [r12 + CTL_STATUS], KPROBE_HIT_ACTIVE	; a probe hit below is a reentry
	mov [r12 + CTL_TRAP_REGS], rbx
	mov [r12 + CTL_RET_STACK], rcx	; popped
	mov rcx, [r13 + RI_RET_ADDR]
	mov [rbx + REGS_IP], rcx
	mov [rbp + 8], rcx		; the slot: backtraces see the real caller
	mov ecx, [r14 + KP_COUNT_OFF]
	add rcx, [r12 + CTL_COUNTS]
	inc qword [rcx + COUNT_RET_NHIT]
	mov [r12 + CTL_RUNNING], r14	; for kretprobe_recover()
	mov [r12 + CTL_RET_RI], r13
	mov rdi, r13
	mov rsi, rbx
	call rax
	xor eax, eax			; RI_FREE
	mov [r12 + CTL_RET_RI], rax
	mov [r12 + CTL_RUNNING], rax
	xchg [r13 + RI_STATE], eax	; recycle()
	cmp eax, RI_ORPHAN
	jne ..@idle
	mov rdi, [r13 + RI_POOL]	; the last return of an unregistered kretprobe
	call kretprobe_pool_put
..@idle:
	mov dword [r12 + CTL_STATUS], KPROBE_IDLE
	jmp kretprobe_trampoline_resume
..@c:
	mov rdi, rbx
	lea rsi, [rbp + 8]
	call kretprobe_trampoline_handler
global kretprobe_trampoline_resume
kretprobe_trampoline_resume:		; also where a faulting handler is unwound to
	mov rsp, rbx
	POP_REGS			; rbp too: regs->bp, as the handler left it
	push qword [rsp + 24]		; regs->flags (after orig_ax ip cs): the function's interrupt state
	popfq
	add rsp, 48 + 8			; the pt_regs tail and the frame's rbp copy
	ret				; through the slot
global kretprobe_trampoline_end
kretprobe_trampoline_end:
