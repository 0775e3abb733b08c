/*
 * Frame-pointer stack walking, for oops reports and for anyone who wants a
 * trace (probe handlers). Return addresses can be rewritten on the stack by
 * the kretprobe engine (to its trampoline); it registers a fixup so traces
 * show the real callers instead of the trampoline.
 */
#include "kernel.h"
#include "arch.h"

static stack_ret_fixup_t ret_fixup;

void stack_trace_set_fixup(stack_ret_fixup_t fn)
{
	ret_fixup = fn;
}

int stack_trace_save_to_trap(uint64_t bp, uint64_t *entries, int max,
			     const struct pt_regs **trap)
{
	int n = 0;

	if (trap)
		*trap = NULL;
	while (n < max && bp) {
		uint64_t frame[2], ret;	/* saved bp, return address */

		if ((bp & 7) || copy_from_kernel_nofault(frame, (void *)bp, sizeof(frame)))
			break;
		ret = frame[1];
		if (!ret)
			break;
		if (ret_fixup)
			ret = ret_fixup(ret, bp + 8);
		if (ret)
			entries[n++] = ret;
		if (trap && (*trap = trap_frame_regs(ret, bp)))
			break;
		if (frame[0] <= bp)	/* stacks grow down: callers' frames are higher */
			break;
		bp = frame[0];
	}
	return n;
}

int stack_trace_save_bp(uint64_t bp, uint64_t *entries, int max)
{
	return stack_trace_save_to_trap(bp, entries, max, NULL);
}
