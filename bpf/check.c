/*
 * bpf_check_basic(): the structural check every program passes before the
 * verifier sees it and before anything runs it. It looks at each instruction
 * alone (opcode, registers, reserved fields, immediates) and at the shape of
 * the program (jump targets, subprograms, the call graph), never at values:
 * what it accepts the interpreter can decode without a default case firing,
 * and a checked run can execute without the interpreter itself going wrong.
 */
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

#define MAX_SUBPROGS	256	/* functions per program (Linux: the same) */

struct check {
	const struct bpf_prog *prog;
	char *log;
	size_t log_size;
	uint32_t starts[MAX_SUBPROGS];	/* sorted instruction index of each function */
	unsigned int nr_subprogs;
	int8_t depth[MAX_SUBPROGS];	/* frames below and including it; 0 unknown */
	bool on_path[MAX_SUBPROGS];
};

static int refuse(struct check *c, uint32_t pc, const char *why)
{
	if (c->log_size)
		snprintf(c->log, c->log_size, "insn %u: %s", pc, why);
	return -EINVAL;
}

static bool is_lddw(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* A jump or call may land on any instruction but the second half of a lddw. */
static bool valid_target(const struct bpf_prog *prog, int64_t t)
{
	return t >= 0 && t < prog->len && !(t > 0 && is_lddw(&prog->insnsi[t - 1]));
}

/* The source operand: a register (and imm unused), or imm (and src_reg unused). */
static const char *check_src(const struct bpf_insn *insn, bool x)
{
	if (x) {
		if (insn->src_reg >= MAX_BPF_REG)
			return "invalid register";
		if (insn->imm)
			return "reserved field (imm) is not zero";
	} else if (insn->src_reg) {
		return "reserved field (src) is not zero";
	}
	return NULL;
}

static const char *check_alu(const struct bpf_insn *insn)
{
	bool is64 = BPF_CLASS(insn->code) == BPF_ALU64, x = BPF_SRC(insn->code) == BPF_X;
	uint8_t op = BPF_OP(insn->code);
	const char *err;

	if (insn->dst_reg >= BPF_REG_FP)
		return insn->dst_reg == BPF_REG_FP ? "frame pointer is read only" : "invalid register";
	if (op == BPF_END) {
		if (insn->src_reg || insn->off || (is64 && x))
			return "invalid byte swap";
		if (insn->imm != 16 && insn->imm != 32 && insn->imm != 64)
			return "invalid byte swap width";
		return NULL;
	}
	if (op > BPF_END)
		return "invalid alu opcode";
	if (op == BPF_NEG) {
		if (x || insn->src_reg || insn->imm || insn->off)
			return "invalid neg";
		return NULL;
	}
	err = check_src(insn, x);
	if (err)
		return err;
	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		if (insn->off != 0 && insn->off != 1)
			return "invalid signedness in div/mod";
		if (!x && insn->imm == 0)
			return "division by zero";
		return NULL;
	case BPF_MOV:
		if (insn->off == 0 || (x && (insn->off == 8 || insn->off == 16 ||
					     (is64 && insn->off == 32))))
			return NULL;
		return "invalid movsx width";
	}
	return insn->off ? "reserved field (off) is not zero" : NULL;
}

static bool helper_known(const struct bpf_prog *prog, int32_t id)
{
	if (id == BPF_FUNC_tail_call)
		return true;
	return id >= 0 && (uint32_t)id < prog->nr_helpers && prog->helpers[id];
}

static const char *check_jmp(const struct bpf_prog *prog, uint32_t pc)
{
	const struct bpf_insn *insn = &prog->insnsi[pc];
	bool jmp32 = BPF_CLASS(insn->code) == BPF_JMP32, x = BPF_SRC(insn->code) == BPF_X;
	uint8_t op = BPF_OP(insn->code);
	const char *err;

	switch (op) {
	case BPF_JA:
		if (x || insn->src_reg || insn->dst_reg || (jmp32 ? insn->off : insn->imm))
			return "invalid ja";
		if (!valid_target(prog, (int64_t)pc + 1 + (jmp32 ? insn->imm : insn->off)))
			return "jump out of range";
		return NULL;
	case BPF_CALL:
		if (jmp32)
			return "invalid jmp32 opcode";
		if (x) {
			/* callx: the helper id is in dst_reg (LLVM's encoding) */
			if (insn->src_reg || insn->off || insn->imm || insn->dst_reg >= BPF_REG_FP)
				return "invalid callx";
			return NULL;
		}
		if (insn->dst_reg || insn->off)
			return "reserved field of call is not zero";
		if (insn->src_reg == BPF_PSEUDO_CALL) {
			if (!valid_target(prog, (int64_t)pc + 1 + insn->imm))
				return "call out of range";
			return NULL;
		}
		if (insn->src_reg)
			return "unsupported call kind";
		return helper_known(prog, insn->imm) ? NULL : "unknown helper";
	case BPF_EXIT:
		if (jmp32 || x || insn->src_reg || insn->dst_reg || insn->off || insn->imm)
			return "invalid exit";
		return NULL;
	case 0xe0:
	case 0xf0:
		return jmp32 ? "invalid jmp32 opcode" : "invalid jmp opcode";
	}
	if (insn->dst_reg >= MAX_BPF_REG)
		return "invalid register";
	err = check_src(insn, x);
	if (err)
		return err;
	if (!valid_target(prog, (int64_t)pc + 1 + insn->off))
		return "jump out of range";
	return NULL;
}

static const char *check_lddw(const struct bpf_prog *prog, uint32_t pc)
{
	const struct bpf_insn *insn = &prog->insnsi[pc], *next = insn + 1;

	if (pc + 1 >= prog->len)
		return "lddw is missing its second half";
	if (next->code || next->dst_reg || next->src_reg || next->off)
		return "invalid second half of lddw";
	if (insn->dst_reg >= BPF_REG_FP)
		return insn->dst_reg == BPF_REG_FP ? "frame pointer is read only" : "invalid register";
	if (insn->off)
		return "reserved field (off) is not zero";
	switch (insn->src_reg) {
	case 0:
		return NULL;
	case BPF_PSEUDO_MAP_FD:
		if (next->imm)
			return "map reference with an offset";
		/* fall through */
	case BPF_PSEUDO_MAP_VALUE:
		if (insn->imm < 0 || (uint32_t)insn->imm >= prog->nr_maps || !prog->maps[insn->imm])
			return "unknown map";
		return NULL;
	}
	return "unsupported lddw form";
}

static const char *check_mem(const struct bpf_insn *insn)
{
	uint8_t cls = BPF_CLASS(insn->code), mode = BPF_MODE(insn->code);
	uint8_t size = BPF_SIZE(insn->code);

	if (cls == BPF_LD)
		return mode == BPF_ABS || mode == BPF_IND ?
			"legacy packet loads (BPF_ABS, BPF_IND) are not supported" : "invalid ld opcode";
	if (insn->dst_reg >= MAX_BPF_REG || insn->src_reg >= MAX_BPF_REG)
		return "invalid register";
	switch (cls) {
	case BPF_LDX:
		if (mode != BPF_MEM && !(mode == BPF_MEMSX && size != BPF_DW))
			return "invalid ldx opcode";
		if (insn->dst_reg == BPF_REG_FP)
			return "frame pointer is read only";
		return insn->imm ? "reserved field (imm) is not zero" : NULL;
	case BPF_ST:
		if (mode != BPF_MEM)
			return "invalid st opcode";
		return insn->src_reg ? "reserved field (src) is not zero" : NULL;
	}
	if (mode == BPF_MEM)
		return insn->imm ? "reserved field (imm) is not zero" : NULL;
	if (mode != BPF_ATOMIC || (size != BPF_W && size != BPF_DW))
		return "invalid stx opcode";
	switch (insn->imm) {
	case BPF_ADD: case BPF_ADD | BPF_FETCH:
	case BPF_OR: case BPF_OR | BPF_FETCH:
	case BPF_AND: case BPF_AND | BPF_FETCH:
	case BPF_XOR: case BPF_XOR | BPF_FETCH:
	case BPF_XCHG: case BPF_CMPXCHG:
		return NULL;
	}
	return "invalid atomic operation";
}

/* Index of the function holding pc (starts[] is sorted, starts[0] == 0). */
static unsigned int subprog_of(const struct check *c, uint32_t pc)
{
	unsigned int lo = 0, hi = c->nr_subprogs;

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (c->starts[mid] <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int add_subprog(struct check *c, uint32_t pc, uint32_t start)
{
	unsigned int i = c->nr_subprogs;

	for (unsigned int j = 0; j < c->nr_subprogs; j++)
		if (c->starts[j] == start)
			return 0;
	if (c->nr_subprogs == MAX_SUBPROGS)
		return refuse(c, pc, "too many functions");
	while (i > 0 && c->starts[i - 1] > start) {
		c->starts[i] = c->starts[i - 1];
		i--;
	}
	c->starts[i] = start;
	c->nr_subprogs++;
	return 0;
}

/* Jumps stay inside their function; each function ends in an exit or a jump. */
static int check_functions(struct check *c)
{
	const struct bpf_prog *prog = c->prog;

	for (unsigned int s = 0; s < c->nr_subprogs; s++) {
		uint32_t end = s + 1 < c->nr_subprogs ? c->starts[s + 1] : prog->len;
		uint8_t last = prog->insnsi[end - 1].code;

		if (!valid_target(prog, end - 1))
			return refuse(c, end - 1, "function ends inside a lddw");
		if (last != (BPF_JMP | BPF_EXIT) && last != (BPF_JMP | BPF_JA) &&
		    last != (BPF_JMP32 | BPF_JA))
			return refuse(c, end - 1, "last instruction of a function is not an exit or a jump");
	}
	for (uint32_t pc = 0; pc < prog->len; pc++) {
		const struct bpf_insn *insn = &prog->insnsi[pc];
		uint8_t cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
		int64_t t;

		if (is_lddw(insn)) {
			pc++;
			continue;
		}
		if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_EXIT || op == BPF_CALL)
			continue;
		t = (int64_t)pc + 1 + (cls == BPF_JMP32 && op == BPF_JA ? insn->imm : insn->off);
		if (subprog_of(c, (uint32_t)t) != subprog_of(c, pc))
			return refuse(c, pc, "jump out of its function");
	}
	return 0;
}

/* Deepest chain of frames starting with function s; < 0 on refusal. */
static int call_depth(struct check *c, unsigned int s, int frames)
{
	const struct bpf_prog *prog = c->prog;
	uint32_t end = s + 1 < c->nr_subprogs ? c->starts[s + 1] : prog->len;
	int deepest = 1;

	if (frames > BPF_MAX_CALL_FRAMES)
		return refuse(c, c->starts[s], "call stack too deep");
	if (c->depth[s])
		return frames - 1 + c->depth[s] > BPF_MAX_CALL_FRAMES ?
			refuse(c, c->starts[s], "call stack too deep") : c->depth[s];
	c->on_path[s] = true;
	for (uint32_t pc = c->starts[s]; pc < end; pc++) {
		const struct bpf_insn *insn = &prog->insnsi[pc];
		unsigned int callee;
		int d;

		if (insn->code != (BPF_JMP | BPF_CALL) || insn->src_reg != BPF_PSEUDO_CALL)
			continue;
		callee = subprog_of(c, pc + 1 + insn->imm);
		if (c->on_path[callee])
			return refuse(c, pc, "recursive call");
		d = call_depth(c, callee, frames + 1);
		if (d < 0)
			return d;
		if (d + 1 > deepest)
			deepest = d + 1;
	}
	c->on_path[s] = false;
	c->depth[s] = (int8_t)deepest;
	return deepest;
}

int bpf_check_basic(const struct bpf_prog *prog, char *log, size_t log_size)
{
	struct check c = { .prog = prog, .log = log, .log_size = log_size };
	int err;

	if (log_size)
		log[0] = '\0';
	if (prog->len == 0 || prog->len > BPF_MAXINSNS)
		return refuse(&c, 0, prog->len ? "program too large" : "empty program");
	c.nr_subprogs = 1;
	for (uint32_t pc = 0; pc < prog->len; pc++) {
		const struct bpf_insn *insn = &prog->insnsi[pc];
		const char *why;

		switch (BPF_CLASS(insn->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			why = check_alu(insn);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			why = check_jmp(prog, pc);
			break;
		default:
			why = is_lddw(insn) ? check_lddw(prog, pc) : check_mem(insn);
			break;
		}
		if (why)
			return refuse(&c, pc, why);
		if (is_lddw(insn)) {
			pc++;
		} else if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL) {
			err = add_subprog(&c, pc, pc + 1 + insn->imm);
			if (err)
				return err;
		}
	}
	err = check_functions(&c);
	if (err)
		return err;
	err = call_depth(&c, 0, 1);
	return err < 0 ? err : 0;
}
