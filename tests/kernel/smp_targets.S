/*
 * A function whose one 5-byte instruction the text_poke test rewrites: its
 * result shows which instruction ran.
 */
	.intel_syntax noprefix
	.text
	.globl smp_poke_target
	.type smp_poke_target, @function
smp_poke_target:
	mov eax, 0x11111111
	ret
	.size smp_poke_target, . - smp_poke_target
