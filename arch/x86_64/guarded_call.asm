; guarded_call: call a function so that a fault inside it is reported and
; survived: the console's `call` (a bad pointer typed by a user must not take
; the kernel down) and probe handlers use it, through call_guarded() in
; traps.c. do_exception() sees percpu.guard_sp set, prints the oops report,
; and resumes at guarded_call_fault on the stack saved here, interrupts off;
; the flags saved here give the caller back the interrupt state it called
; with. A stoppable call (the console's, for Ctrl-C) is ended by an interrupt
; the same way, at guarded_call_stopped.
;
;   uint64_t guarded_call(uint64_t fn, const uint64_t args[6], int *how,
;                         uint64_t *guard_sp);
;
; *how: 0 returned, 1 faulted, 2 stopped. *guard_sp is cleared here, before
; this frame starts to unwind: from then on an interrupt may write over the
; stack below it, so nothing may resume on it any more.

section .noprobe.text.entry progbits alloc exec nowrite align=16
bits 64

global guarded_call
global guarded_call_fault
global guarded_call_stopped
guarded_call:
	push rbp
	mov rbp, rsp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx			; how
	push rcx			; guard_sp
	pushfq				; the flags to come back with after a fault or stop
	mov [rcx], rsp			; the stack to come back to (16-byte aligned)
	mov rax, rdi
	mov r10, rsi
	mov rdi, [r10]
	mov rsi, [r10 + 8]
	mov rdx, [r10 + 16]
	mov rcx, [r10 + 24]
	mov r8, [r10 + 32]
	mov r9, [r10 + 40]
	call rax
	add rsp, 8			; the saved flags: a normal return keeps its own
	xor ecx, ecx
guarded_call_done:
	mov rdx, [rsp]
	mov qword [rdx], 0		; the guard ends while its frame is whole
	add rsp, 8
	pop rdx
	mov [rdx], ecx
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

guarded_call_fault:			; do_exception resumes here, interrupts off
	popfq				; the caller's interrupt state, as it was
	mov ecx, 1
	xor eax, eax
	jmp guarded_call_done

guarded_call_stopped:			; guard_stop_unwind resumes here
	popfq
	mov ecx, 2
	xor eax, eax
	jmp guarded_call_done
