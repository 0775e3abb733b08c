/*
 * The eBPF verifier: walks every path of a program from its first
 * instruction, depth first, one state at a time (branches it cannot decide
 * wait on an explicit stack), and refuses the program at the first
 * instruction that could be unsafe on some path. Bounded loops are walked
 * round by round until the complexity limit; pruning ends a path whose state
 * a proven one covers. docs/bpf-verifier.md describes the rules.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"
#include "mm.h"

static void init_ptr(struct reg_state *r, enum reg_type type)
{
	reg_mark_known(r, 0);
	r->type = type;
}

static int check_lddw_insn(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct reg_state *dst = &cur_frame(env->cur)->regs[insn->dst_reg];
	int err;

	if (insn->code != (BPF_LD | BPF_IMM | BPF_DW)) {
		if (BPF_MODE(insn->code) == BPF_ABS || BPF_MODE(insn->code) == BPF_IND)
			return verr(env, "BPF_LD_[ABS|IND] not allowed for this program type");
		return verr(env, "unknown opcode %02x", insn->code);
	}
	err = check_reg_write(env, insn->dst_reg);
	if (err)
		return err;
	switch (insn->src_reg) {
	case 0:
		reg_mark_known(dst, (uint64_t)(uint32_t)insn->imm | ((uint64_t)insn[1].imm << 32));
		break;
	case BPF_PSEUDO_MAP_FD:
		init_ptr(dst, CONST_PTR_TO_MAP);
		dst->map = insn->imm;
		break;
	default: {
		const struct bpf_map *map = env->prog->maps[insn->imm];

		if (insn[1].imm < 0 || (uint32_t)insn[1].imm >= map->value_size)
			return verr(env, "lddw offset %d outside map %d's value of %u bytes",
				    insn[1].imm, insn->imm, map->value_size);
		init_ptr(dst, PTR_TO_MAP_VALUE);
		dst->map = insn->imm;
		dst->off = insn[1].imm;
		break;
	}
	}
	return 0;
}

static int call_function(struct verifier_env *env, const struct bpf_insn *insn, uint32_t *next)
{
	struct vstate *st = env->cur;
	struct func_state *caller = cur_frame(st), *callee;

	if (insn->off || insn->dst_reg)
		return verr(env, "BPF_CALL uses reserved fields");
	if (st->curframe + 1 >= BPF_MAX_CALL_FRAMES)
		return verr(env, "the call stack of %u frames is too deep", st->curframe + 2);
	callee = func_alloc(st->curframe + 1, env->insn_idx);
	if (!callee)
		return verr_code(env, -ENOMEM, "out of memory");
	/* arguments in r1-r5; the callee has its own frame pointer and nothing else */
	for (int r = 1; r <= 5; r++)
		callee->regs[r] = caller->regs[r];
	init_ptr(&callee->regs[BPF_REG_FP], PTR_TO_STACK);
	callee->regs[BPF_REG_FP].frameno = callee->frameno;
	st->frame[++st->curframe] = callee;
	*next = env->insn_idx + insn->imm + 1;
	return 0;
}

/* 1: the path ended; 0: it goes on at *next (a function returned). */
static int check_exit(struct verifier_env *env, const struct bpf_insn *insn, uint32_t *next)
{
	struct vstate *st = env->cur;
	struct func_state *f = cur_frame(st), *caller;
	const struct reg_state *r0 = &f->regs[0];
	int err;

	if (insn->off || insn->imm || insn->src_reg || insn->dst_reg)
		return verr(env, "BPF_EXIT uses reserved fields");
	err = check_reg_read(env, 0);
	if (err)
		return err;
	if (st->curframe) {
		if (r0->type == PTR_TO_STACK && r0->frameno == st->curframe)
			return verr(env, "cannot return stack pointer to the caller");
		caller = st->frame[st->curframe - 1];
		caller->regs[0] = *r0;
		for (int r = 1; r <= 5; r++)
			memset(&caller->regs[r], 0, sizeof(caller->regs[r]));
		*next = f->callsite + 1;
		func_free(f);
		st->frame[st->curframe--] = NULL;
		return 0;
	}
	if (r0->type != SCALAR_VALUE)
		return verr(env, "At program exit R0 is %s, not a scalar", reg_type_name(r0->type));
	if (st->nrefs)
		return verr(env, "Unreleased reference id=%u alloc_insn=%u", st->refs[0].id,
			    st->refs[0].insn);
	return 1;
}

/* One instruction of the current path: 1 when the path ends there. */
static int step(struct verifier_env *env, uint32_t *next)
{
	const struct bpf_insn *insn = &env->insns[env->insn_idx];
	unsigned int cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	*next = env->insn_idx + 1;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		return check_alu(env, insn);
	case BPF_LDX:
		return check_ldx(env, insn);
	case BPF_ST:
		return check_st(env, insn);
	case BPF_STX:
		if (BPF_MODE(insn->code) == BPF_ATOMIC)
			return check_atomic(env, insn);
		return check_st(env, insn);
	case BPF_LD:
		*next = env->insn_idx + 2;
		return check_lddw_insn(env, insn);
	default:	/* BPF_JMP, BPF_JMP32 */
		if (op == BPF_JA) {
			if (insn->src_reg || insn->dst_reg || (cls == BPF_JMP ? insn->imm : insn->off))
				return verr(env, "BPF_JA uses reserved fields");
			*next = env->insn_idx + 1 + (cls == BPF_JMP ? insn->off : insn->imm);
			return 0;
		}
		if (op == BPF_CALL && cls == BPF_JMP) {
			if (insn->src_reg == BPF_PSEUDO_CALL)
				return call_function(env, insn, next);
			if (insn->src_reg)
				return verr(env, "unsupported call src_reg=%u", insn->src_reg);
			return check_helper_call(env, insn);
		}
		if (op == BPF_EXIT && cls == BPF_JMP)
			return check_exit(env, insn, next);
		return check_cond_jmp(env, insn, next);
	}
}

static int do_check(struct verifier_env *env)
{
	struct func_state *f;
	uint32_t next;
	int err;

	env->cur = state_alloc();
	f = func_alloc(0, -1);
	if (!env->cur || !f) {
		func_free(f);
		return verr_code(env, -ENOMEM, "out of memory");
	}
	env->cur->frame[0] = f;
	init_ptr(&f->regs[1], PTR_TO_CTX);
	init_ptr(&f->regs[BPF_REG_FP], PTR_TO_STACK);
	env->insn_idx = 0;
	for (;;) {
		if (++env->insn_processed > env->insn_limit)
			return verr_code(env, -E2BIG, "program too complex: processed %u insns (limit %u)",
					 env->insn_processed, env->insn_limit);
		env->insns_since_kept++;
		if (env->aux[env->insn_idx].prune) {
			err = state_visited(env, env->insn_idx);
			if (err < 0)
				return err;
			if (err)
				goto path_end;
		}
		if (env->log_level >= 2) {
			vlog(env, "%u:", env->insn_idx);
			log_state(env, env->cur);
		}
		if (env->log_level)
			log_insn(env, env->insn_idx);
		err = step(env, &next);
		if (err < 0)
			return err;
		if (!err) {
			env->insn_idx = next;
			continue;
		}
		if (env->log_level)
			vlog(env, "%u: path ends\n", env->insn_idx);
path_end:
		if (!pop_branch(env))
			return 0;
		if (env->log_level) {
			vlog(env, "from a branch to %u:", env->insn_idx);
			log_state(env, env->cur);
		}
	}
}

int bpf_verify_opts(struct bpf_prog *prog, struct bpf_verify_opts *opts, char *log,
		    size_t log_size)
{
	struct verifier_env env = {
		.prog = prog,
		.insns = prog->insnsi,
		.len = prog->len,
		.log = log,
		.log_size = log_size,
		.log_level = opts ? opts->log_level : 0,
		.insn_limit = opts && opts->insn_limit ? opts->insn_limit :
			      BPF_COMPLEXITY_LIMIT_INSNS,
	};
	int err;

	if (log && log_size)
		log[0] = '\0';
	if (prog->type != BPF_PROG_TYPE_XDP && prog->type != BPF_PROG_TYPE_KPROBE)
		return verr(&env, "program type %d not supported", prog->type);
	if (!prog->insnsi && prog->len)
		return verr(&env, "no instructions");
	env.aux = bpf_zalloc((prog->len + 1) * sizeof(*env.aux));
	env.kept = bpf_zalloc((prog->len + 1) * sizeof(*env.kept));
	if (!env.aux || !env.kept) {
		err = verr_code(&env, -ENOMEM, "out of memory");
		goto out;
	}
	err = check_cfg(&env);
	if (!err)
		err = do_check(&env);
	if (!err)
		err = ctx_rewrite(&env);
	if (!err)
		vlog(&env, "verified: processed %u insns (limit %u), %u states kept, stack depth %u\n",
		     env.insn_processed, env.insn_limit, env.nr_kept, env.stack_depth);
out:
	if (opts) {
		opts->insn_processed = env.insn_processed;
		opts->stack_depth = env.stack_depth;
		opts->states = env.nr_kept;
	}
	free_all_states(&env);
	bpf_free(env.aux);
	return err;
}

int bpf_verify(struct bpf_prog *prog, char *log, size_t log_size)
{
	return bpf_verify_opts(prog, NULL, log, log_size);
}
