; kretprobe_trampoline: where a function with a return probe returns to.
;
; It builds a struct pt_regs, calls kretprobe_trampoline_handler(regs, slot)
; and returns to the real return address, which the handler writes into
; `slot`. The slot and the saved rbp above it form an ordinary frame, so a
; backtrace taken inside the handler walks through the real caller rather
; than this trampoline. Changes a handler makes to regs (say, ax) take effect.
; A function returning with `ret N` lands here N bytes higher; the handler
; knows N (per return probe) and the stack needs no correcting.

%include "arch/x86_64/ptregs.inc"

section .noprobe.text.kretprobe progbits alloc exec nowrite align=16
bits 64

extern kretprobe_trampoline_handler

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
	mov rdi, rsp
	lea rsi, [rbp + 8]
	mov rbx, rsp
	and rsp, -16
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
