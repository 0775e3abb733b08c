/*
 * Probe targets written in assembly, so that every instruction class the
 * probe engine handles really occurs: rip-relative load/store/lea, call rel32,
 * indirect call through a register and memory, jmp rel8/rel32, indirect jmp,
 * jcc taken and not, ret and ret imm16, push/pop, pushf/popf, cli/sti, rep
 * movsb, cmov, a plain load, and a load that faults into an exception-table
 * fixup.
 * Each is a System V function with a result the tests know (test_kprobes.c).
 */
	.intel_syntax noprefix
	.text

#define FUNC(name) .globl name; .type name, @function; name:
#define END(name) .size name, . - name

/* rip-relative load: returns pt_data */
FUNC(pt_riprel_load)
	mov rax, QWORD PTR [rip + pt_data]
	ret
END(pt_riprel_load)

/* rip-relative store, then load back: returns arg */
FUNC(pt_riprel_store)
	mov QWORD PTR [rip + pt_data2], rdi
	mov rax, QWORD PTR [rip + pt_data2]
	ret
END(pt_riprel_store)

/* rip-relative lea: returns its own address */
FUNC(pt_riprel_lea)
	lea rax, [rip + pt_riprel_lea]
	ret
END(pt_riprel_lea)

FUNC(pt_helper_inc)
	lea rax, [rdi + 1]
	ret
END(pt_helper_inc)

/* call rel32: returns arg + 1 */
FUNC(pt_call_rel)
	push rbp
	mov rbp, rsp
	call pt_helper_inc
	pop rbp
	ret
END(pt_call_rel)

/* call *reg: returns arg + 1 */
FUNC(pt_call_reg)
	push rbp
	mov rbp, rsp
	lea rax, [rip + pt_helper_inc]
	call rax
	pop rbp
	ret
END(pt_call_reg)

/* call *mem (rip-relative pointer): returns arg + 1 */
FUNC(pt_call_mem)
	push rbp
	mov rbp, rsp
	call QWORD PTR [rip + pt_fnptr]
	pop rbp
	ret
END(pt_call_mem)

/* jmp rel8: returns 2 */
FUNC(pt_jmp_rel8)
	jmp 1f
	mov eax, 1
	ret
1:	mov eax, 2
	ret
END(pt_jmp_rel8)

/* jmp rel32: returns 3 */
FUNC(pt_jmp_rel32)
	.byte 0xe9
	.long 1f - (. + 4)
	.fill 200, 1, 0xcc
1:	mov eax, 3
	ret
END(pt_jmp_rel32)

/* jmp *reg: returns 4 */
FUNC(pt_jmp_reg)
	lea rax, [rip + 1f]
	jmp rax
	ud2
1:	mov eax, 4
	ret
END(pt_jmp_reg)

/* jcc rel8: arg < 5 ? 10 : 20 */
FUNC(pt_jcc8)
	cmp rdi, 5
	jl 1f
	mov eax, 20
	ret
1:	mov eax, 10
	ret
END(pt_jcc8)

/* jcc rel32: arg == 0 ? 30 : 40 */
FUNC(pt_jcc32)
	test rdi, rdi
	.byte 0x0f, 0x84
	.long 1f - (. + 4)
	mov eax, 40
	ret
	.fill 160, 1, 0xcc
1:	mov eax, 30
	ret
END(pt_jcc32)

/* ret imm16 callee: returns its stack argument, pops it */
FUNC(pt_ret_imm_callee)
	mov rax, QWORD PTR [rsp + 8]
	ret 8
END(pt_ret_imm_callee)

/* returns arg + (stack imbalance, which must be 0) */
FUNC(pt_ret_imm)
	push rbp
	mov rbp, rsp
	mov rcx, rsp
	push rdi
	call pt_ret_imm_callee
	sub rcx, rsp
	add rax, rcx
	pop rbp
	ret
END(pt_ret_imm)

/* push/pop of callee-saved registers: returns arg * 2 + 1 */
FUNC(pt_push_pop)
	push rbx
	push r12
	mov rbx, rdi
	lea r12, [rbx + rbx]
	lea rax, [r12 + 1]
	pop r12
	pop rbx
	ret
END(pt_push_pop)

/* pushf: the flags it pushes (TF and IF only): TF must read 0, IF as the caller had it */
FUNC(pt_pushf)
	pushfq
	pop rax
	and eax, 0x300
	ret
END(pt_pushf)

/* popf then pushf: returns IF|TF after restoring flags */
FUNC(pt_popf)
	pushfq
	popfq
	pushfq
	pop rax
	and eax, 0x300
	ret
END(pt_popf)

/* cli: returns the IF seen after cli (0), interrupts restored after */
FUNC(pt_cli)
	pushfq
	cli
	pushfq
	pop rax
	popfq
	and eax, 0x200
	ret
END(pt_cli)

/* sti: with interrupts off, sti turns them on: returns 0x200 */
FUNC(pt_sti)
	pushfq
	cli
	sti
	pushfq
	pop rax
	popfq
	and eax, 0x200
	ret
END(pt_sti)

/* rep movsb: copy rdx bytes from rsi to rdi, return rdi's end */
FUNC(pt_rep_movs)
	mov rcx, rdx
	rep movsb
	mov rax, rdi
	ret
END(pt_rep_movs)

/* cmov: a < b ? c : 0 */
FUNC(pt_cmov)
	xor eax, eax
	cmp rdi, rsi
	cmovl rax, rdx
	ret
END(pt_cmov)

/* load through rdi; a fault lands in the fixup: returns the value or -14 (-EFAULT) */
FUNC(pt_fault_load)
2:	mov rax, QWORD PTR [rdi]
3:	ret
4:	mov rax, -14
	jmp 3b
	.pushsection __ex_table, "a"
	.balign 4
	.long 2b - ., 4b - .
	.popsection
END(pt_fault_load)

/* load through rdi with no fixup (boosted when probed): returns [rdi] */
FUNC(pt_load)
	mov rax, QWORD PTR [rdi]
	ret
END(pt_load)

/* an x87 fnop (probed: single-stepped, the decoder's STEP class), then a + b */
FUNC(pt_fnop_add)
	fnop
	lea rax, [rdi + rsi]
	ret
END(pt_fnop_add)

/* loop: sums rdi down to 1 */
FUNC(pt_loop)
	mov rcx, rdi
	xor eax, eax
1:	add rax, rcx
	loop 1b
	ret
END(pt_loop)

	.data
	.balign 8
	.globl pt_data, pt_data2, pt_fnptr
pt_data:	.quad 0x1122334455667788
pt_data2:	.quad 0
pt_fnptr:	.quad pt_helper_inc
	.section .note.GNU-stack, "", @progbits
