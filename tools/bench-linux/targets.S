/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The assembly probe targets of kpbench, written out so the compiler cannot
 * change what Linux's instruction decoder sees. kpb_target_fnop is
 * kprobe64's pt_fnop_add (tests/kernel/probe_targets.S); kpb_target_mov has
 * one register instruction more than kp_target_add (tests/kernel/targets.c,
 * lea; ret), the shape the earlier Linux figures were measured on.
 */
#include <asm/nospec-branch.h>

	.text

/* Boostable and long enough (2 + 4 bytes) for a 5-byte optimized jump. */
	.globl kpb_target_mov
	.type kpb_target_mov, @function
kpb_target_mov:
	mov %edi, %eax
	lea 1(%rax,%rax,2), %eax
	ANNOTATE_UNRET_SAFE	/* a plain ret, as kprobe64's targets have */
	ret
	int3
	.size kpb_target_mov, . - kpb_target_mov

/* An x87 fnop first: Linux's can_boost() refuses the 0xd8-0xdf escapes, and
 * kprobe64 single-steps it (pt_fnop_add). */
	.globl kpb_target_fnop
	.type kpb_target_fnop, @function
kpb_target_fnop:
	fnop
	lea (%rdi,%rsi), %rax
	ANNOTATE_UNRET_SAFE	/* a plain ret, as kprobe64's targets have */
	ret
	int3
	.size kpb_target_fnop, . - kpb_target_fnop

	.section .note.GNU-stack, "", @progbits
