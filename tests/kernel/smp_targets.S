/*
 * A function whose one 5-byte instruction the text_poke test rewrites: its
 * result shows which instruction ran.
 */
	.intel_syntax noprefix
	.text
	.globl smp_poke_target
	.type smp_poke_target, @function
smp_poke_target:
	nop			/* a user's probe on the entry (p:all/ *) sits here, */
	mov eax, 0x11111111	/* so the test patches this instruction, never it */
	ret
	.size smp_poke_target, . - smp_poke_target
