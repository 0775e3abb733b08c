/*
 * ALU instructions: operand checks, scalar arithmetic (verifier_bounds.c)
 * and the rules for pointers: a pointer may move by a scalar with add or
 * sub (64-bit only), two pointers of one kind may be subtracted, and nothing
 * else is done to a pointer.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"

#define MAX_PTR_OFF	(1 << 29)	/* keeps offsets far from overflowing */
#define MAX_PKT_OFF	0xffff

uint32_t new_id(struct verifier_env *env)
{
	return ++env->id_gen;
}

int check_reg_read(struct verifier_env *env, uint32_t regno)
{
	if (regno >= MAX_BPF_REG)
		return verr(env, "R%u is invalid", regno);
	if (cur_frame(env->cur)->regs[regno].type == NOT_INIT)
		return verr(env, "R%u !read_ok", regno);
	return 0;
}

int check_reg_write(struct verifier_env *env, uint32_t regno)
{
	if (regno >= MAX_BPF_REG)
		return verr(env, "R%u is invalid", regno);
	if (regno == BPF_REG_FP)
		return verr(env, "frame pointer is read only");
	return 0;
}

/* dst (a pointer) = dst +/- src (a scalar). */
static int ptr_add_scalar(struct verifier_env *env, struct reg_state *dst,
			  const struct reg_state *ptr, const struct reg_state *off,
			  unsigned int op, uint32_t dst_regno)
{
	struct reg_state res = *ptr;
	int64_t fixed;

	switch (ptr->type) {
	case PTR_TO_PACKET_END:
	case CONST_PTR_TO_MAP:
	case PTR_TO_MAP_VALUE_OR_NULL:
	case PTR_TO_MEM_OR_NULL:
		return verr(env, "R%u pointer arithmetic on %s prohibited", dst_regno,
			    reg_type_name(ptr->type));
	default:
		break;
	}
	if (op == BPF_SUB && ptr != dst)
		return verr(env, "R%u tried to subtract pointer from scalar", dst_regno);
	if (tnum_is_const(off->var_off)) {
		int64_t v = (int64_t)off->var_off.value;

		fixed = op == BPF_ADD ? (int64_t)ptr->off + v : (int64_t)ptr->off - v;
		if (fixed <= -MAX_PTR_OFF || fixed >= MAX_PTR_OFF)
			return verr(env, "R%u pointer offset %lld out of range", dst_regno,
				    (long long)fixed);
		res.off = fixed;
		*dst = res;
		return 0;
	}
	/* a variable part: only where accesses check it */
	if (ptr->type == PTR_TO_STACK || ptr->type == PTR_TO_CTX)
		return verr(env, "R%u variable offset on %s prohibited", dst_regno,
			    reg_type_name(ptr->type));
	if (reg_is_pkt(ptr) && (off->smin < 0 || off->umax > MAX_PKT_OFF) && op == BPF_ADD)
		return verr(env, "R%u math between pkt pointer and unbounded register", dst_regno);
	if (op == BPF_SUB) {
		struct reg_state neg;

		reg_mark_known(&neg, 0);
		scalar_alu(&neg, off, &(struct bpf_insn){ .code = BPF_ALU64 | BPF_SUB | BPF_X }, false);
		scalar_alu(&res, &neg, &(struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_X }, false);
	} else {
		scalar_alu(&res, off, &(struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_X }, false);
	}
	res.type = ptr->type;
	if (reg_is_pkt(ptr)) {
		/* a new variable part: nothing about it is proven yet */
		res.id = new_id(env);
		res.range = 0;
	}
	*dst = res;
	return 0;
}

static int check_alu_operands(struct verifier_env *env, const struct bpf_insn *insn)
{
	unsigned int op = BPF_OP(insn->code);

	if (op > BPF_END)
		return verr(env, "unknown opcode %02x", insn->code);
	if (op == BPF_NEG || op == BPF_END) {
		if (insn->src_reg || insn->off || (op == BPF_NEG && (insn->imm || BPF_SRC(insn->code))))
			return verr(env, "BPF_%s uses reserved fields", op == BPF_NEG ? "NEG" : "END");
		if (op == BPF_END && insn->imm != 16 && insn->imm != 32 && insn->imm != 64)
			return verr(env, "invalid byte swap width %d", insn->imm);
		if (op == BPF_END && BPF_CLASS(insn->code) == BPF_ALU64 && BPF_SRC(insn->code))
			return verr(env, "unknown opcode %02x", insn->code);
	} else if (BPF_SRC(insn->code) == BPF_K && insn->src_reg) {
		return verr(env, "BPF_ALU uses reserved fields");
	}
	if (op == BPF_MOV && insn->off &&
	    (BPF_SRC(insn->code) == BPF_K || (insn->off != 8 && insn->off != 16 &&
	     (insn->off != 32 || BPF_CLASS(insn->code) == BPF_ALU))))
		return verr(env, "invalid sign-extending move");
	if ((op == BPF_DIV || op == BPF_MOD) && insn->off > 1)
		return verr(env, "BPF_ALU uses reserved fields");
	if (op != BPF_MOV && op != BPF_DIV && op != BPF_MOD && insn->off)
		return verr(env, "BPF_ALU uses reserved fields");
	if ((op == BPF_DIV || op == BPF_MOD) && BPF_SRC(insn->code) == BPF_K && !insn->imm)
		return verr(env, "div by zero");
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && BPF_SRC(insn->code) == BPF_K &&
	    (uint32_t)insn->imm >= (BPF_CLASS(insn->code) == BPF_ALU64 ? 64U : 32U))
		return verr(env, "invalid shift %d", insn->imm);
	return 0;
}

int check_alu(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct func_state *f = cur_frame(env->cur);
	bool alu32 = BPF_CLASS(insn->code) == BPF_ALU;
	unsigned int op = BPF_OP(insn->code);
	struct reg_state *dst = &f->regs[insn->dst_reg], src;
	int err;

	err = check_alu_operands(env, insn);
	if (!err && BPF_SRC(insn->code) == BPF_X && op != BPF_END)
		err = check_reg_read(env, insn->src_reg);
	if (!err && op != BPF_MOV)
		err = check_reg_read(env, insn->dst_reg);
	if (!err)
		err = check_reg_write(env, insn->dst_reg);
	if (err)
		return err;
	if (BPF_SRC(insn->code) == BPF_X && op != BPF_END)
		src = f->regs[insn->src_reg];
	else
		reg_mark_known(&src, alu32 ? (uint64_t)(uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm);

	if (op == BPF_MOV) {
		if (reg_is_ptr(&src)) {
			if (alu32 || insn->off)
				return verr(env, "R%u partial copy of pointer", insn->src_reg);
			*dst = src;
			return 0;
		}
		scalar_alu(dst, &src, insn, alu32);
		return 0;
	}
	if (reg_is_ptr(dst) || reg_is_ptr(&src)) {
		if (alu32)
			return verr(env, "R%u 32-bit pointer arithmetic prohibited", insn->dst_reg);
		if (op == BPF_SUB && reg_is_ptr(dst) && reg_is_ptr(&src)) {
			if (dst->type != src.type || !(reg_is_pkt(dst) || dst->type == PTR_TO_MAP_VALUE ||
						      dst->type == PTR_TO_STACK))
				return verr(env, "R%u pointer subtraction of %s and %s prohibited",
					    insn->dst_reg, reg_type_name(dst->type),
					    reg_type_name(src.type));
			reg_mark_unknown(dst);
			return 0;
		}
		if (op != BPF_ADD && op != BPF_SUB)
			return verr(env, "R%u pointer arithmetic with %s prohibited",
				    reg_is_ptr(dst) ? insn->dst_reg : insn->src_reg,
				    op == BPF_NEG ? "negation" : op == BPF_END ? "byte swap" :
				    op == BPF_AND || op == BPF_OR || op == BPF_XOR ? "a bitwise operator" :
				    "this operator");
		if (reg_is_ptr(dst) && reg_is_ptr(&src))
			return verr(env, "R%u pointer += pointer prohibited", insn->dst_reg);
		if (reg_is_ptr(dst))
			return ptr_add_scalar(env, dst, dst, &src, op, insn->dst_reg);
		return ptr_add_scalar(env, dst, &f->regs[insn->src_reg], dst, op, insn->dst_reg);
	}
	scalar_alu(dst, &src, insn, alu32);
	return 0;
}
