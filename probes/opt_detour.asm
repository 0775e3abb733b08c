; The detour a jump-optimized probe's `jmp rel32` lands on (probes/opt.c).
;
; Never run where it is: opt.c copies these bytes into a cell near the text
; for each optimized site, patches the probe address, the site, the copy's
; address and the call, and appends the relocated copy of the replaced
; instructions (which ends in a jmp back to the text). The copy builds a
; full struct pt_regs under the probed code's stack, shaped as the int3
; entry's frame (ss sp flags cs ip are an iretq frame), runs the
; pre-handlers as the int3 path does (with interrupts off, counted as a
; trap), restores every register from pt_regs and leaves with iretq: to the
; relocated copy, or wherever a handler moved ip, with the sp and flags the
; handler left. No rsp alignment: kernel C is built without SSE.
;
; The commonest case, one enabled probe with a pre-handler and this CPU not
; in a hit already, is step.c's kprobe_optimized_hit() written out here
; (same state, same counters, same order), so a hit costs no C frame: the
; registers it needs (rbx, r12) are saved in pt_regs and come back from
; there. Everything else (a reentry, aggregated or disabled probes) calls
; kprobe_optimized_hit(). A fault in the handler is recovered as on the
; int3 path: from ctl->trap_regs, through trap_return.
;
; Both calls are made with rsp at pt_regs, as the trap entry makes them, so
; the callee's frame record lies just below it and stack walkers go on
; through it into the probed code (trap_frame_regs() asks opt.c about the
; two return addresses). rbp points there before the call, so that a
; handler which sets up no frame of its own is walked through too; the
; probed code's rbp comes back from pt_regs.

%include "arch/x86_64/ptregs.inc"

%include "probes/hit.inc"

; Offsets into C structures besides hit.inc's; opt.c checks every one of them.
PERCPU_TRAP_DEPTH	equ 20		; struct percpu

section .rodata
bits 64

global optprobe_template, optprobe_template_ip, optprobe_template_site
global optprobe_template_copy, optprobe_template_call, optprobe_template_end
global optprobe_template_ret, optprobe_template_slow_ret
global optprobe_template_kret, optprobe_template_kret_site, optprobe_template_kret_call

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
	mov rbx, [gs:PERCPU_PROBE_STATE]	; ctl
optprobe_template_site:
	mov r12, strict qword 0		; struct kprobe_site *
	cmp dword [rbx + CTL_STATUS], 0
	jne ..@slow			; a hit inside a handler: a miss
	mov rdi, [r12 + SITE_OPT_SOLO]
	test rdi, rdi
	jz ..@slow
	HIT_BEGIN rbx, r12, rsp, rdi
	mov rsi, rsp
	lea rbp, [rsp - 16]		; where the callee's frame goes (see the top)
	call [rdi + KP_PRE_HANDLER]
optprobe_template_ret:
	mov dword [rbx + CTL_STATUS], 0
	mov qword [rbx + CTL_RUNNING], 0
	test eax, eax
	jnz ..@out			; the handler moved ip: go there
	mov qword [rsp + REGS_IP], strict dword 0
optprobe_template_copy:			; (the imm32 before it: the copy, sign-extended)
..@out:
	dec dword [gs:PERCPU_TRAP_DEPTH]
	POP_REGS
	add rsp, 8			; orig_ax
	iretq
..@slow:
	mov rdi, r12
	mov rsi, rsp
optprobe_template_call:
	db 0xe8				; call kprobe_optimized_hit (rel32 patched)
	dd 0
optprobe_template_slow_ret:
	jmp ..@out

; The entry of a site whose one probe is a kretprobe without an entry
; handler (opt.c aims the jmp here for such a site): opt_kret_entry.asm does
; the entry's bookkeeping without a pt_regs and says (ZF) whether it could;
; if not (the site changed since, a hit inside a handler ...) every register
; and flag is as it came and the full detour above takes the hit.
optprobe_template_kret:
	pushfq
	cli				; an interrupt's own return probe uses ret_stack
	push rsi
	push rdi
optprobe_template_kret_site:
	mov rsi, strict qword 0		; struct kprobe_site *
optprobe_template_kret_call:
	db 0xe8				; call opt_kret_entry (rel32 patched)
	dd 0
	pop rdi
	pop rsi
	jnz ..@kfull
	popfq
	jmp optprobe_template_end	; the relocated copy follows the template
..@kfull:
	popfq
	jmp optprobe_template
optprobe_template_end:
