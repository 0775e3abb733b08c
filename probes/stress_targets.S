/*
 * The functions `stress probes` calls on every CPU and probes from CPU 0.
 * Each counts its own calls (a locked add: CPUs call it at once) and
 * returns its argument + 1. Their instructions span the engine's modes:
 * emulated (push/pop, jcc, nop, ret), boosted (mov, lea, test, and the
 * rip-relative add), single-stepped with fixups (pushf, popf) and plain
 * single-stepped (fnop, x87), so probes on every boundary exercise each.
 */
	.intel_syntax noprefix
	.text

	.macro STRESS_FN n
	.globl stress_fn\n
	.type stress_fn\n, @function
stress_fn\n:
	push rbp
	mov rbp, rsp
	lock add qword ptr [rip + stress_fn_calls + 8 * \n], 1
	pushfq
	popfq
	fnop
	lea rax, [rdi + 1]
	test rax, rax
	jz 1f
	nop
1:	pop rbp
	ret
	.size stress_fn\n, . - stress_fn\n
	.endm

	STRESS_FN 0
	STRESS_FN 1
	STRESS_FN 2
	STRESS_FN 3
	STRESS_FN 4
	STRESS_FN 5

	.data
	.balign 64
	.globl stress_fn_calls
stress_fn_calls:
	.fill 6, 8, 0
