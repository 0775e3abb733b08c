; A plain kretprobe's entry, for the optimized detour (opt_detour.asm's
; optprobe_template_kret calls it with interrupts off, rsi = the site).
;
; A kretprobe without an entry handler runs nothing at entry: all
; kretprobe_pre_handler() does is bookkeeping, and this does the same
; without a pt_regs or a C frame: count the hit as the detour would, take a
; free instance (take()'s scan from this CPU's share, read first, then one
; cmpxchg), keep the real return address and the frame, swap in the
; trampoline, push the instance on this CPU's ret_stack; none free counts a
; missed return. No handler runs and nothing here can hit a probe, so the
; CPU is not marked busy.
;
; Returns ZF set when it took the hit. ZF clear, having changed nothing,
; when the hit needs the full detour and C: this CPU is in a hit already
; (the reentry is counted there), the site's probe is no longer a plain
; kretprobe or is disabled, or another return probe already swapped this
; frame's return address (its instance knows the real one).
; Preserves every register but rsi and rdi (the caller saved those).

; Offsets into C structures: opt.c and kretprobe.c check every one.
PERCPU_CPU		equ 8		; struct percpu
PERCPU_PROBE_STATE	equ 40
PERCPU_KPROBE_HITS	equ 88
CTL_STATUS		equ 0		; struct kprobe_ctlblk
CTL_RET_STACK		equ 80
CTL_COUNTS		equ 88
KP_COUNT_OFF		equ 64		; struct kprobe
SITE_OPT_KRET		equ 200		; struct kprobe_site
RP_POOL			equ 160		; struct kretprobe
POOL_INST		equ 8		; struct kretprobe_pool
POOL_N			equ 16
POOL_ISIZE		equ 20
POOL_SPREAD		equ 24
RI_RET_ADDR		equ 8		; struct kretprobe_instance
RI_FP			equ 16
RI_NEXT			equ 24
RI_STATE		equ 32
COUNT_RET_NMISSED	equ 24		; struct kprobe_count
RI_FREE			equ 0
RI_USED			equ 1

section .noprobe.text.hit progbits alloc exec nowrite align=16
bits 64

extern kretprobe_trampoline

; above the return into the cell: the caller's rdi, rsi and flags, then the
; probed function's return address
RET_AT	equ 4 * 8

global opt_kret_entry
opt_kret_entry:
	mov rdi, [gs:PERCPU_PROBE_STATE]	; ctl
	cmp dword [rdi + CTL_STATUS], 0
	jne ..@full
	mov rsi, [rsi + SITE_OPT_KRET]	; struct kretprobe * (kp first)
	test rsi, rsi
	jz ..@full
	cmp qword [rsp + RET_AT], kretprobe_trampoline
	je ..@full
	push rax
	push rcx
	push rdx
	push rbx
	push r8
	push r9
SAVED	equ 6 * 8
	mov rbx, [rsi + RP_POOL]
	mov eax, [rsi + KP_COUNT_OFF]
	add rax, [rdi + CTL_COUNTS]
	mov rsi, rax			; this CPU's counters of the kretprobe
	inc qword [rsi]			; nhit
	inc qword [gs:PERCPU_KPROBE_HITS]
	mov eax, [gs:PERCPU_CPU]
	imul eax, [rbx + POOL_SPREAD]
	xor edx, edx
	div dword [rbx + POOL_N]	; edx = i, where this CPU starts
	mov ecx, [rbx + POOL_N]		; instances left to try
	mov r9d, RI_USED
..@scan:
	mov r8d, edx
	imul r8d, [rbx + POOL_ISIZE]
	add r8, [rbx + POOL_INST]	; instance i
	cmp dword [r8 + RI_STATE], RI_FREE
	jne ..@next			; read first: no write to a line in use
	xor eax, eax
	lock cmpxchg [r8 + RI_STATE], r9d
	je ..@got
..@next:
	inc edx
	cmp edx, [rbx + POOL_N]
	jb ..@nowrap
	xor edx, edx
..@nowrap:
	dec ecx
	jnz ..@scan
	inc qword [rsi + COUNT_RET_NMISSED]	; maxactive are out: a missed return
	jmp ..@done
..@got:
	mov rax, [rsp + SAVED + RET_AT]
	mov [r8 + RI_RET_ADDR], rax
	lea rax, [rsp + SAVED + RET_AT]
	mov [r8 + RI_FP], rax
	mov qword [rsp + SAVED + RET_AT], kretprobe_trampoline
	mov rax, [rdi + CTL_RET_STACK]
	mov [r8 + RI_NEXT], rax
	mov [rdi + CTL_RET_STACK], r8
..@done:
	pop r9
	pop r8
	pop rbx
	pop rdx
	pop rcx
	pop rax
	cmp eax, eax			; ZF: taken
	ret
..@full:
	test rsp, rsp			; not ZF: the full detour
	ret
