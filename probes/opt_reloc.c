/*
 * Jump optimization over bytes: plan the replaced range, relocate it, scan
 * a function for branch targets. Built into the kernel and into the host
 * tests (tests/host/test_opt_reloc.c), so it uses nothing but the decoder.
 */
#include "opt_reloc.h"
#include "kerrno.h"

const char *opt_reason_name(enum opt_reason r)
{
	static const char *const names[OPT_REASONS] = {
		[OPT_OK] = "optimized",
		[OPT_NO_ROOM] = "function ends within 5 bytes",
		[OPT_BRANCH_TARGET] = "branch target in range",
		[OPT_CALL_INSIDE] = "call inside range",
		[OPT_INSN] = "instruction not relocatable",
		[OPT_OUT_OF_REACH] = "displacement out of reach",
		[OPT_OTHER_PROBE] = "another probe in range",
		[OPT_MODULE] = "module text",
		[OPT_UNDECODABLE] = "function undecodable",
	};

	return r < OPT_REASONS ? names[r] : "?";
}

static bool fits_imm32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v == v;
}

/* Does the memory or register operand of this ModRM instruction involve rsp? */
static bool operand_uses_rsp(const struct insn *in)
{
	if (in->mod == 3)
		return (in->rm | (in->rex_b ? 8 : 0)) == 4;
	if (!in->has_sib)
		return false;
	/* an index of 4 without REX.X means "none": rsp is never an index */
	return !(in->mod == 0 && in->base == 5) && (in->base | (in->rex_b ? 8 : 0)) == 4;
}

bool opt_unconditional(const struct insn *in)
{
	switch (in->branch) {
	case INSN_BR_JMP_REL8:
	case INSN_BR_JMP_REL32:
	case INSN_BR_JMP_IND:
	case INSN_BR_RET:
	case INSN_BR_RET_IMM:
		return true;
	default:
		return false;
	}
}

/*
 * Whether a copy elsewhere does what the instruction does in place. The
 * decoder's REFUSE class is refused here too. x87 records the address it
 * ran at. A call leaves its return address behind: only the last one in
 * the range may be copied, as push of the original return address + jmp,
 * which needs that address as a sign-extended imm32 (all kernel and module
 * text is); an indirect one must not address through rsp, which the push moves.
 */
static enum opt_reason check_insn(const struct insn *in, bool last)
{
	if (insn_probe_class(in, NULL) == INSN_CLASS_REFUSE || (in->flags & INSN_F_X87))
		return OPT_INSN;
	switch (in->branch) {
	case INSN_BR_CALL_REL32:
	case INSN_BR_CALL_IND:
		if (!last)
			return OPT_CALL_INSIDE;
		if (!fits_imm32(in->addr + in->len))
			return OPT_OUT_OF_REACH;
		if (in->branch == INSN_BR_CALL_IND && operand_uses_rsp(in))
			return OPT_INSN;
		return OPT_OK;
	default:
		return OPT_OK;
	}
}

enum opt_reason opt_plan_range(struct opt_plan *plan, const uint8_t *code, size_t avail,
			       size_t pad, uint64_t addr, uint64_t *bad)
{
	struct insn in[OPT_MAX_INSNS];
	unsigned int n = 0, pos = 0;
	bool stop = false;

	*bad = addr;
	while (pos < OPT_JMP_LEN && !stop) {
		if (pos >= avail)
			return OPT_NO_ROOM;
		if (insn_decode(&in[n], code + pos, avail - pos, addr + pos)) {
			*bad = addr + pos;
			return OPT_NO_ROOM;	/* the function ends inside it */
		}
		pos += in[n].len;
		stop = opt_unconditional(&in[n]);
		n++;
	}
	/* after a jmp or ret the rest of the 5 bytes is only overwritten, never run */
	if (pos < OPT_JMP_LEN) {
		if (avail + pad < OPT_JMP_LEN)
			return OPT_NO_ROOM;
		pos = OPT_JMP_LEN;
	}
	for (unsigned int i = 0; i < n; i++) {
		enum opt_reason r = check_insn(&in[i], i == n - 1);

		if (r != OPT_OK) {
			*bad = in[i].addr;
			return r;
		}
	}
	plan->addr = addr;
	plan->len = pos;
	plan->ninsn = n;
	for (unsigned int i = 0; i < n; i++)
		plan->insn[i] = in[i];
	for (unsigned int i = 0; i < pos; i++)
		plan->orig[i] = code[i];
	return OPT_OK;
}

enum opt_reason opt_plan_short(struct opt_plan *plan, const uint8_t *code, size_t avail,
			       uint64_t addr, uint64_t *bad)
{
	struct insn in;
	enum opt_reason r;

	*bad = addr;
	if (insn_decode(&in, code, avail, addr) || in.len < OPT_SHORT_JMP_LEN)
		return OPT_NO_ROOM;
	r = check_insn(&in, true);
	if (r != OPT_OK)
		return r;
	plan->addr = addr;
	plan->len = in.len;
	plan->ninsn = 1;
	plan->insn[0] = in;
	for (unsigned int i = 0; i < in.len; i++)
		plan->orig[i] = code[i];
	return OPT_OK;
}

static int put_rel32(uint8_t *p, uint64_t next, uint64_t target)
{
	int64_t rel = (int64_t)(target - next);
	int32_t r32 = (int32_t)rel;

	if (r32 != rel)
		return -ERANGE;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)((uint32_t)r32 >> (8 * i));
	return 0;
}

static void put_imm32(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The instruction's bytes at out (for address at), its disp32 re-aimed if rip-relative. */
static int copy_insn(const struct opt_plan *plan, const struct insn *in, uint8_t *out,
		     uint64_t at)
{
	const uint8_t *src = plan->orig + (in->addr - plan->addr);

	for (unsigned int i = 0; i < in->len; i++)
		out[i] = src[i];
	if (!in->rip_relative)
		return 0;
	return put_rel32(out + in->disp_offset, at + in->len,
			 in->addr + in->len + (uint64_t)in->disp);
}

/* One instruction's relocated form at out (address at): its length, or -ERANGE. */
static int relocate_one(const struct opt_plan *plan, const struct insn *in, uint8_t *out,
			uint64_t at)
{
	unsigned int n;
	int err;

	switch (in->branch) {
	case INSN_BR_JMP_REL8:
	case INSN_BR_JMP_REL32:
		out[0] = 0xe9;
		return put_rel32(out + 1, at + 5, in->target) ?: 5;
	case INSN_BR_JCC_REL8:
	case INSN_BR_JCC_REL32:
		out[0] = 0x0f;
		out[1] = 0x80 | (in->opcode & 0xf);
		return put_rel32(out + 2, at + 6, in->target) ?: 6;
	case INSN_BR_LOOP:
		/* loop/jrcxz have only rel8: "loopX taken; jmp over; taken: jmp rel32" */
		n = in->opcode_offset;
		for (unsigned int i = 0; i < n; i++)
			out[i] = plan->orig[in->addr - plan->addr + i];
		out[n] = in->opcode;
		out[n + 1] = 2;
		out[n + 2] = 0xeb;
		out[n + 3] = 5;
		out[n + 4] = 0xe9;
		return put_rel32(out + n + 5, at + n + 9, in->target) ?: (int)n + 9;
	case INSN_BR_CALL_REL32:
		out[0] = 0x68;		/* push the original return address */
		put_imm32(out + 1, in->addr + in->len);
		out[5] = 0xe9;
		return put_rel32(out + 6, at + 10, in->target) ?: 10;
	case INSN_BR_CALL_IND:
		out[0] = 0x68;
		put_imm32(out + 1, in->addr + in->len);
		err = copy_insn(plan, in, out + 5, at + 5);
		if (err)
			return err;
		out[5 + in->modrm_offset] = (in->modrm & ~0x38) | (4 << 3);	/* FF /2 -> FF /4 */
		return 5 + in->len;
	default:
		return copy_insn(plan, in, out, at) ?: in->len;
	}
}

int opt_relocate(const struct opt_plan *plan, uint64_t dst, uint8_t *out, uint8_t *map)
{
	unsigned int pos = 0;

	for (unsigned int i = 0; i < plan->ninsn; i++) {
		int n = relocate_one(plan, &plan->insn[i], out + pos, dst + pos);

		if (n < 0)
			return n;
		map[i] = pos;
		pos += n;
	}
	out[pos] = 0xe9;
	if (put_rel32(out + pos + 1, dst + pos + 5, plan->addr + plan->len))
		return -ERANGE;
	return pos + 5;
}

static void mark_table(uint64_t table, const struct opt_scan_env *env)
{
	uint64_t v;

	for (unsigned int i = 0; i < 1024; i++) {
		if (!env->read64(table + 8 * i, &v, env->arg) || !env->is_code(v, env->arg))
			return;
		env->mark(v, env->arg);
	}
}

int opt_scan_targets(const uint8_t *code, uint64_t start, uint64_t end,
		     const struct opt_scan_env *env)
{
	struct insn in;

	for (uint64_t pc = start; pc < end; pc += in.len) {
		if (insn_decode(&in, code + (pc - start), end - pc, pc)) {
			for (; pc < end; pc++)
				env->mark(pc, env->arg);
			return -EILSEQ;
		}
		switch (in.branch) {
		case INSN_BR_JMP_REL8:
		case INSN_BR_JMP_REL32:
		case INSN_BR_JCC_REL8:
		case INSN_BR_JCC_REL32:
		case INSN_BR_CALL_REL32:
		case INSN_BR_LOOP:
		case INSN_BR_XBEGIN:
			env->mark(in.target, env->arg);
			break;
		default:
			break;
		}
		/* table(,%reg,8) with no base register: a switch's jump table, or its load */
		if (in.has_sib && in.mod == 0 && in.base == 5 && in.scale == 3 &&
		    !(in.index == 4 && !in.rex_x))
			mark_table((uint64_t)(int64_t)(int32_t)in.disp, env);
	}
	return 0;
}
