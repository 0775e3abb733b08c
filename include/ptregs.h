/*
 * struct pt_regs: the register frame the trap entry stubs build on the stack.
 * Same layout and names as Linux x86-64, so probe handlers written for Linux
 * read the same. The order is fixed by arch/x86_64/entry.asm.
 */
#ifndef KP_PTREGS_H
#define KP_PTREGS_H

#include <stdint.h>

struct pt_regs {
	uint64_t r15, r14, r13, r12, bp, bx;
	uint64_t r11, r10, r9, r8, ax, cx, dx, si, di;
	uint64_t orig_ax;	/* hardware error code; -1 when the CPU pushes none */
	/* pushed by the CPU */
	uint64_t ip, cs, flags, sp, ss;
};

#define X86_EFLAGS_CF	(1UL << 0)
#define X86_EFLAGS_TF	(1UL << 8)
#define X86_EFLAGS_IF	(1UL << 9)
#define X86_EFLAGS_DF	(1UL << 10)
#define X86_EFLAGS_RF	(1UL << 16)

/* The System V integer argument registers, in order, as $argN uses them. */
static inline uint64_t regs_get_arg(const struct pt_regs *regs, unsigned int n)
{
	switch (n) {
	case 1: return regs->di;
	case 2: return regs->si;
	case 3: return regs->dx;
	case 4: return regs->cx;
	case 5: return regs->r8;
	case 6: return regs->r9;
	default: return 0;
	}
}

static inline uint64_t regs_return_value(const struct pt_regs *regs)
{
	return regs->ax;
}

#endif
