; The int3 hit without a C frame: step.c's kprobe_int3() for its commonest
; case, written out in front of #BP's hooks (arch.h, trap_int3_fast_path).
;
; Taken when the site's one probe has a pre-handler and is enabled, this
; CPU is not in a hit already and the site's fast byte names a one-trap
; case (a boosted copy, an emulated ret, a single-step). Then the state,
; counters and order are kprobe_int3()'s: ip back on the int3, the hit
; active, nhit counted, the handler called with rsp at pt_regs (so stack
; walkers go on through it, trap_frame_like), then the copy, the pop or the
; step set up from the fast byte read again after the handler, as
; run_insn() reads it. A fast byte gone to NONE meanwhile finishes in C
; (kprobe_int3_rest). Anything else (no site, a reentry, several probes, a
; disabled one, a mode read from s->mode) goes to the hooks with nothing
; changed, and kprobe_int3() takes it from the start.
;
; rbx (the site), r12 (ctl) and r13 (the probe) are the interrupted code's,
; saved in pt_regs: trap_int3 restores every register from there. A fault
; in the handler is recovered as on the C path, from ctl->trap_regs.

%include "probes/hit.inc"

; Offsets into C structures besides hit.inc's: step.c checks every one of them.
CTL_FLAGS		equ 16		; struct kprobe_ctlblk
TABLE_LINK		equ 4		; struct site_table
TABLE_HASH_SHIFT	equ 8
TABLE_BUCKETS		equ 24
SITE_ADDR		equ 0		; struct kprobe_site
SITE_HNEXT		equ 8
SITE_SLOT		equ 32
SITE_FAST		equ 152
REGS_FLAGS		equ 144		; struct pt_regs
REGS_SP			equ 152
KPROBE_HIT_SS		equ 2
SITE_FAST_NONE		equ 0
SITE_FAST_BOOST		equ 1
SITE_FAST_RET		equ 2
SITE_FAST_STEP		equ 3
EFLAGS_TF		equ 0x100
EFLAGS_IF		equ 0x200
HASH_MUL		equ 0x9e3779b97f4a7c15	; site_hash()'s

section .noprobe.text.hit progbits alloc exec nowrite align=16
bits 64

extern kprobe_table, trap_int3_hooks, trap_int3_done, kprobe_int3_rest
global kprobe_int3_fast, kprobe_int3_fast_ret, kprobe_int3_rest_ret

; The way out to the hooks leaves rsp and rdi as they came.
kprobe_int3_fast:			; rsp = rdi = the int3's pt_regs
	mov rsi, [kprobe_table]
	mov rdx, [rdi + REGS_IP]
	dec rdx				; the probe address
	mov rax, HASH_MUL
	imul rax, rdx
	mov ecx, [rsi + TABLE_HASH_SHIFT]
	shr rax, cl
	mov rbx, [rsi + TABLE_BUCKETS + rax * 8]
	mov eax, [rsi + TABLE_LINK]
.walk:				; site_lookup()
	test rbx, rbx
	jz trap_int3_hooks			; no site: stray or just removed, C decides
	cmp [rbx + SITE_ADDR], rdx
	je .site
	mov rbx, [rbx + SITE_HNEXT + rax * 8]
	jmp .walk
.site:
	mov r12, [gs:PERCPU_PROBE_STATE]	; ctl
	cmp dword [r12 + CTL_STATUS], KPROBE_IDLE
	jne trap_int3_hooks			; a reentry
	mov r13, [rbx + SITE_OPT_SOLO]
	test r13, r13
	jz trap_int3_hooks
	cmp byte [rbx + SITE_FAST], SITE_FAST_NONE
	je trap_int3_hooks			; the mode decides: C
	mov [rdi + REGS_IP], rdx
	HIT_BEGIN r12, rbx, rdi, r13
	mov rsi, rdi
	mov rdi, r13
	lea rbp, [rsp - 16]		; where the handler's frame goes (as a detour's)
	call [r13 + KP_PRE_HANDLER]
kprobe_int3_fast_ret:
	test eax, eax
	jnz .idle			; the handler moved ip: go there
	movzx eax, byte [rbx + SITE_FAST]
	cmp eax, SITE_FAST_BOOST
	jne .not_boost
	mov rax, [rbx + SITE_SLOT]	; the copy jumps back by itself
	mov [rsp + REGS_IP], rax
.idle:
	mov dword [r12 + CTL_STATUS], KPROBE_IDLE
	mov qword [r12 + CTL_RUNNING], 0
	jmp trap_int3_done
.not_boost:
	cmp eax, SITE_FAST_RET
	jne .not_ret
	mov rcx, [rsp + REGS_SP]	; ret: ip from the stack
	mov rax, [rcx]
	add rcx, 8
	mov [rsp + REGS_SP], rcx
	mov [rsp + REGS_IP], rax
	jmp .idle
.not_ret:
	cmp eax, SITE_FAST_STEP
	jne .rest
	mov rax, [rsp + REGS_FLAGS]	; setup_singlestep(): #DB comes next
	mov dword [r12 + CTL_STATUS], KPROBE_HIT_SS
	mov ecx, eax
	and ecx, EFLAGS_TF | EFLAGS_IF
	mov [r12 + CTL_FLAGS], rcx
	or rax, EFLAGS_TF
	and rax, ~EFLAGS_IF
	mov [rsp + REGS_FLAGS], rax
	mov rax, [rbx + SITE_SLOT]
	mov [rsp + REGS_IP], rax
	jmp trap_int3_done
.rest:
	mov rdi, rsp
	call kprobe_int3_rest
kprobe_int3_rest_ret:
	jmp trap_int3_done
