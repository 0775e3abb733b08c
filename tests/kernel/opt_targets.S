/*
 * Targets for the jump-optimization tests (test_optprobe.c): instructions
 * the relocation rewrites (jrcxz and loop, which have only rel8; a call as
 * the last instruction of a range; a rip-relative load) and an
 * exception-table load whose range is copied into the detour; a loop whose
 * branch targets sit right after 2-byte instructions, where only the short
 * form (jmp rel8 to an island) fits. Each is a System V function with a
 * result the tests know.
 */
	.intel_syntax noprefix
	.text

#define FUNC(name) .globl name; .type name, @function; name:
#define END(name) .size name, . - name

/* n*(n+1)/2 + 1 + pt_opt_zero, by loop, through a call */
FUNC(pt_opt_mix)
	push rbx
	mov rcx, rdi
	xor eax, eax
	jrcxz 2f
	nop DWORD PTR [rax]
1:	add rax, rcx
	loop 1b
	nop DWORD PTR [rax]
2:	mov rbx, rax
	call pt_opt_one
	add rax, rbx
	add rax, QWORD PTR [rip + pt_opt_zero]
	pop rbx
	ret
END(pt_opt_mix)

FUNC(pt_opt_one)
	mov eax, 1
	ret
END(pt_opt_one)

/* [rdi], or -14 (-EFAULT) through the fixup; the first 7 bytes are one range */
FUNC(pt_opt_fault_load)
2:	mov rax, QWORD PTR [rdi]
	add rax, 0
3:	ret
4:	mov rax, -14
	jmp 3b
	.pushsection __ex_table, "a"
	.balign 4
	.long 2b - ., 4b - .
	.popsection
END(pt_opt_fault_load)

/* n*(n+1) for n >= 1: 1: follows the xor, 2: follows the jmp, the loop runs through both */
FUNC(pt_opt_short)
	xor eax, eax
1:	add rax, rdi
	jmp 2f
2:	add rax, rdi
	dec rdi
	jnz 1b
	ret
END(pt_opt_short)
	/* never run, no symbol's: room for the islands of both */
	.skip 16, 0xcc

#define NOP5 .byte 0x0f, 0x1f, 0x44, 0x00, 0x00

/*
 * n*(n+1) for n >= 1, the loop more than 128 bytes from either end: the
 * short form for the jmp before 3: finds its island in the dead nops after
 * the jmp before 2:, inside the function.
 */
FUNC(pt_opt_inner)
	xor eax, eax
	.rept 30
	NOP5
	.endr
	jmp 2f
	.fill 8, 1, 0x90
2:
1:	add rax, rdi
	jmp 3f
3:	add rax, rdi
	dec rdi
	jnz 1b
	.rept 30
	NOP5
	.endr
	ret
END(pt_opt_inner)

	.data
	.balign 8
	.globl pt_opt_zero
pt_opt_zero:
	.quad 0
