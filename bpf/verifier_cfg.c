/*
 * The program's shape, before any path is walked: lddw pairs whole and
 * naming known maps, functions found from the bpf-to-bpf calls, every jump
 * inside its function and onto an instruction start, every function ending
 * in exit or a jump, every instruction reachable, and the pruning points
 * (jump targets, the fall-through of conditional jumps, call sites).
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"
#include "mm.h"

#define LDDW	(BPF_LD | BPF_IMM | BPF_DW)

static bool is_pseudo_call(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL;
}

#define NO_TARGET	INT64_MIN

/* A jump's target (maybe outside the program), or NO_TARGET for another insn. */
static int64_t jump_target(const struct bpf_insn *i, uint32_t idx)
{
	unsigned int cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	if (cls != BPF_JMP && cls != BPF_JMP32)
		return NO_TARGET;
	if (op == BPF_EXIT || (op == BPF_CALL && !is_pseudo_call(i)))
		return NO_TARGET;
	if (op == BPF_CALL || (cls == BPF_JMP32 && op == BPF_JA))
		return (int64_t)idx + 1 + i->imm;
	return (int64_t)idx + 1 + i->off;
}

static int check_lddw(struct verifier_env *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i], *hi = in + 1;

	env->insn_idx = i;
	if (i + 1 >= env->len || hi->code || hi->dst_reg || hi->src_reg || hi->off || in->off)
		return verr(env, "invalid BPF_LD_IMM insn");
	if (in->src_reg > BPF_PSEUDO_MAP_VALUE)
		return verr(env, "unsupported lddw form src_reg=%u", in->src_reg);
	if (in->src_reg && (in->imm < 0 || (uint32_t)in->imm >= env->prog->nr_maps ||
			    !env->prog->maps || !env->prog->maps[in->imm]))
		return verr(env, "lddw names map %d, not one of the program's %u", in->imm,
			    env->prog->nr_maps);
	env->aux[i + 1].lddw_tail = 1;
	return 0;
}

static int mark_functions(struct verifier_env *env)
{
	uint32_t sub = 0;

	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *in = &env->insns[i];
		int64_t t;

		if (env->aux[i].lddw_tail)
			continue;
		if (in->code == LDDW) {
			int err = check_lddw(env, i);

			if (err)
				return err;
			continue;
		}
		if (!is_pseudo_call(in))
			continue;
		env->insn_idx = i;
		t = jump_target(in, i);
		if (t < 0 || t >= env->len || env->aux[t].lddw_tail)
			return verr(env, "call to invalid destination %lld", (long long)t);
		/* the start marker: a function begins at every call target */
		env->aux[t].subprog = 1;
	}
	env->aux[0].subprog = 1;
	for (uint32_t i = 0; i < env->len; i++) {
		if (env->aux[i].subprog)
			sub++;
		env->aux[i].subprog = sub - 1;
	}
	env->nr_subprogs = sub;
	return 0;
}

static int check_jumps(struct verifier_env *env)
{
	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *in = &env->insns[i];
		unsigned int op = BPF_OP(in->code);
		bool last = i + 1 == env->len || env->aux[i + 1].subprog != env->aux[i].subprog;
		int64_t t;

		bool ends = in->code == (BPF_JMP | BPF_EXIT) || in->code == (BPF_JMP | BPF_JA) ||
			    in->code == (BPF_JMP32 | BPF_JA);

		env->insn_idx = i;
		if (last && (!ends || env->aux[i].lddw_tail))
			return verr(env, "last insn is not an exit or jmp");
		if (env->aux[i].lddw_tail)
			continue;
		t = jump_target(in, i);
		if (t == NO_TARGET)
			continue;
		if (is_pseudo_call(in)) {
			env->aux[t].prune = 1;
			env->aux[i + 1].prune = 1;
			continue;
		}
		if (t >= env->len || t < 0 || env->aux[t].subprog != env->aux[i].subprog)
			return verr(env, "jump out of range from insn %u to %lld", i, (long long)t);
		if (env->aux[t].lddw_tail)
			return verr(env, "jump into the middle of ldimm64 insn %lld", (long long)t - 1);
		env->aux[t].prune = 1;
		if (op != BPF_JA)
			env->aux[i + 1].prune = 1;
	}
	return 0;
}

static int check_reachable(struct verifier_env *env)
{
	uint32_t *todo = bpf_zalloc(env->len * sizeof(*todo) * 2), n = 0;

	if (!todo)
		return verr_code(env, -ENOMEM, "out of memory");
	todo[n++] = 0;
	env->aux[0].reachable = 1;
	while (n) {
		uint32_t i = todo[--n], next[2], nn = 0;
		const struct bpf_insn *in = &env->insns[i];
		unsigned int cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		int64_t t = jump_target(in, i);

		if (in->code == LDDW)
			next[nn++] = i + 2;
		else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_EXIT)
			;
		else if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_JA)
			next[nn++] = t;
		else
			next[nn++] = i + 1;
		if (t != NO_TARGET && op != BPF_JA)
			next[nn++] = t;
		for (uint32_t k = 0; k < nn; k++) {
			if (next[k] >= env->len || env->aux[next[k]].reachable)
				continue;
			env->aux[next[k]].reachable = 1;
			todo[n++] = next[k];
		}
	}
	bpf_free(todo);
	for (uint32_t i = 0; i < env->len; i++) {
		if (!env->aux[i].reachable && !env->aux[i].lddw_tail) {
			env->insn_idx = i;
			return verr(env, "unreachable insn %u", i);
		}
	}
	return 0;
}

int check_cfg(struct verifier_env *env)
{
	int err;

	if (!env->len)
		return verr(env, "empty program");
	if (env->len > BPF_MAXINSNS)
		return verr_code(env, -E2BIG, "program of %u insns, more than %d", env->len,
				 BPF_MAXINSNS);
	err = mark_functions(env);
	if (!err)
		err = check_jumps(env);
	if (!err)
		err = check_reachable(env);
	env->insn_idx = 0;
	return err;
}
