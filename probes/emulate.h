/*
 * Emulating the probed instruction in C: the fastest mode (one trap, no
 * slot). Included by step.c only: inlined into the hit, out of line for the
 * rare paths. The decoder's EMULATE class is exactly what is handled here: near
 * relative jmp/jcc/call, loop/jrcxz, ret and ret imm16, push/pop of a
 * register, cli/sti, and nops. (sti emulated this way gives no interrupt
 * shadow: the next instruction may already be interrupted.) Stores land just below the interrupted stack pointer,
 * which the int3 entry stub keeps clear (arch/x86_64/entry.asm).
 */
#ifndef KP_PROBES_EMULATE_H
#define KP_PROBES_EMULATE_H

#include "kprobes_internal.h"

/* Register number (ModRM/opcode order, REX-extended) -> its slot in pt_regs. */
static uint64_t *reg_slot(struct pt_regs *regs, unsigned int n)
{
	switch (n) {
	case 0: return &regs->ax;
	case 1: return &regs->cx;
	case 2: return &regs->dx;
	case 3: return &regs->bx;
	case 4: return &regs->sp;
	case 5: return &regs->bp;
	case 6: return &regs->si;
	case 7: return &regs->di;
	case 8: return &regs->r8;
	case 9: return &regs->r9;
	case 10: return &regs->r10;
	case 11: return &regs->r11;
	case 12: return &regs->r12;
	case 13: return &regs->r13;
	case 14: return &regs->r14;
	default: return &regs->r15;
	}
}

/* Jcc condition codes 0..15 (o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g). */
static bool condition(unsigned int cc, uint64_t f)
{
	bool cf = f & 0x001, pf = f & 0x004, zf = f & 0x040, sf = f & 0x080, of = f & 0x800;
	bool r;

	switch (cc >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: r = cf || zf; break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = sf != of; break;
	default: r = zf || sf != of; break;
	}
	return (cc & 1) ? !r : r;
}

static void push(struct pt_regs *regs, uint64_t v)
{
	regs->sp -= 8;
	*(uint64_t *)regs->sp = v;
}

static uint64_t pop(struct pt_regs *regs)
{
	uint64_t v = *(uint64_t *)regs->sp;

	regs->sp += 8;
	return v;
}

/* loop/loope/loopne/jrcxz: the count is rcx, or ecx with a 67 prefix. */
static bool loop_taken(const struct insn *insn, struct pt_regs *regs)
{
	uint64_t mask = insn->adsize ? 0xffffffffULL : ~0ULL;
	uint64_t count = regs->cx & mask;
	bool zf = regs->flags & 0x40;

	if (insn->opcode == 0xe3)		/* jrcxz: no decrement */
		return count == 0;
	count = (count - 1) & mask;
	regs->cx = (regs->cx & ~mask) | count;
	switch (insn->opcode) {
	case 0xe0: return count && !zf;		/* loopne */
	case 0xe1: return count && zf;		/* loope */
	default: return count != 0;		/* loop */
	}
}

static inline __attribute__((always_inline))
void kprobe_emulate(const struct insn *insn, struct pt_regs *regs)
{
	uint64_t next = insn->addr + insn->len;
	unsigned int reg;

	switch (insn->branch) {
	case INSN_BR_JMP_REL8:
	case INSN_BR_JMP_REL32:
		regs->ip = insn->target;
		return;
	case INSN_BR_JCC_REL8:
	case INSN_BR_JCC_REL32:
		regs->ip = condition(insn->opcode & 0xf, regs->flags) ? insn->target : next;
		return;
	case INSN_BR_LOOP:
		regs->ip = loop_taken(insn, regs) ? insn->target : next;
		return;
	case INSN_BR_CALL_REL32:
		push(regs, next);
		regs->ip = insn->target;
		return;
	case INSN_BR_RET:
		regs->ip = pop(regs);
		return;
	case INSN_BR_RET_IMM:
		regs->ip = pop(regs);
		regs->sp += (uint16_t)insn->imm;
		return;
	default:
		break;
	}
	regs->ip = next;
	if (insn->flags & INSN_F_NOP)
		return;
	if (insn->opcode == 0xfa || insn->opcode == 0xfb) {
		if (insn->opcode == 0xfb)
			regs->flags |= X86_EFLAGS_IF;
		else
			regs->flags &= ~X86_EFLAGS_IF;
		return;
	}
	/* push/pop register: 50+r / 58+r, REX.B selects r8-r15 */
	reg = insn_opcode_reg(insn);
	if (insn->opcode < 0x58) {
		push(regs, *reg_slot(regs, reg));	/* push %rsp pushes the old value */
	} else {
		uint64_t v = pop(regs);

		*reg_slot(regs, reg) = v;		/* pop %rsp: the loaded value wins */
	}
}

#endif
