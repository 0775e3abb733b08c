; guarded_call: call a function so that a fault inside it is reported and
; survived: the console's `call` (a bad pointer typed by a user must not take
; the kernel down) and probe handlers use it, through call_guarded() in
; traps.c. do_trap() sees percpu.guard_sp set, prints the oops report, and
; resumes at guarded_call_fault on the stack saved here, with the flags
; (interrupt state) the call was made with.
;
;   uint64_t guarded_call(uint64_t fn, const uint64_t args[6], int *faulted,
;                         uint64_t *guard_sp);

section .noprobe.text.entry progbits alloc exec nowrite align=16
bits 64

global guarded_call
global guarded_call_fault
guarded_call:
	push rbp
	mov rbp, rsp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx			; faulted
	sub rsp, 8			; keeps the call below 16-byte aligned
	pushfq				; the flags to come back with after a fault
	mov [rcx], rsp			; the stack to come back to
	mov rax, rdi
	mov r10, rsi
	mov rdi, [r10]
	mov rsi, [r10 + 8]
	mov rdx, [r10 + 16]
	mov rcx, [r10 + 24]
	mov r8, [r10 + 32]
	mov r9, [r10 + 40]
	call rax
	add rsp, 16			; the saved flags (still the caller's) and pad
	xor ecx, ecx
guarded_call_done:
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
	add rsp, 8
	mov ecx, 1
	xor eax, eax
	jmp guarded_call_done
