; The detour a jump-optimized probe's `jmp rel32` lands on (probes/opt.c).
;
; Never run where it is: opt.c copies these bytes into a cell near the text
; for each optimized site, patches the probe address, the site and the call,
; and appends the relocated copy of the replaced instructions (which ends in
; a jmp back to the text). The copy builds a full struct pt_regs under the
; probed code's stack, shaped as the int3 entry's frame (ss sp flags cs ip
; are an iretq frame), runs the pre-handlers as the int3 path does (with
; interrupts off, counted as a trap), restores every register from pt_regs
; and leaves with iretq: to the relocated copy, or wherever a handler moved
; ip, with the sp and flags the handler left. No rsp alignment: kernel C is
; built without SSE.

%include "arch/x86_64/ptregs.inc"

PERCPU_TRAP_DEPTH	equ 20		; offsetof(struct percpu, trap_depth), checked in opt.c

section .rodata
bits 64

global optprobe_template, optprobe_template_ip, optprobe_template_site
global optprobe_template_call, optprobe_template_end

optprobe_template:
	push 0x10			; ss
	push rsp			; sp, 8 short of the probed code's
	pushfq				; flags, before the add changes them
	add qword [rsp + 8], 8
	push 0x08			; cs
optprobe_template_ip:
	push strict dword 0		; ip: the probe address (sign-extended)
	push -1				; orig_ax
	push rdi
	PUSH_REGS_FROM_SI rbp
	cli
	cld
	inc dword [gs:PERCPU_TRAP_DEPTH]
	mov rsi, rsp
optprobe_template_site:
	mov rdi, strict qword 0		; struct kprobe_site *
optprobe_template_call:
	db 0xe8				; call kprobe_optimized_hit (rel32 patched)
	dd 0
	dec dword [gs:PERCPU_TRAP_DEPTH]
	POP_REGS
	add rsp, 8			; orig_ax
	iretq
optprobe_template_end:
