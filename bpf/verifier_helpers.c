/*
 * Helper prototypes by Linux's numbers, and the check of a call against
 * one: each argument register against its ARG_* type, the map against the
 * helper (a prog array only for tail calls, a ring buffer only for the ring
 * buffer helpers...), then the caller-saved registers die and r0 takes the
 * return type.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"

#define BOTH	(BPF_PROTO_XDP | BPF_PROTO_KPROBE)

static const struct bpf_func_proto protos[] = {
	[1] = { "map_lookup_elem", RET_MAP_VALUE_OR_NULL,
		{ ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY }, BOTH },
	[2] = { "map_update_elem", RET_INTEGER,
		{ ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING }, BOTH },
	[3] = { "map_delete_elem", RET_INTEGER, { ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY }, BOTH },
	[4] = { "probe_read", RET_INTEGER,
		{ ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BPF_PROTO_KPROBE },
	[5] = { "ktime_get_ns", RET_INTEGER, { 0 }, BOTH },
	[6] = { "trace_printk", RET_INTEGER,
		{ ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING }, BOTH },
	[7] = { "get_prandom_u32", RET_INTEGER, { 0 }, BOTH },
	[8] = { "get_smp_processor_id", RET_INTEGER, { 0 }, BOTH },
	[12] = { "tail_call", RET_INTEGER, { ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING }, BOTH },
	[14] = { "get_current_pid_tgid", RET_INTEGER, { 0 }, BPF_PROTO_KPROBE },
	[16] = { "get_current_comm", RET_INTEGER, { ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE },
		 BPF_PROTO_KPROBE },
	[23] = { "redirect", RET_INTEGER, { ARG_ANYTHING, ARG_ANYTHING }, BPF_PROTO_XDP },
	[28] = { "csum_diff", RET_INTEGER,
		 { ARG_PTR_TO_MEM_OR_NULL, ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_MEM_OR_NULL,
		   ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BPF_PROTO_XDP },
	[44] = { "xdp_adjust_head", RET_INTEGER, { ARG_PTR_TO_CTX, ARG_ANYTHING }, BPF_PROTO_XDP, 1 },
	[45] = { "probe_read_str", RET_INTEGER,
		 { ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BPF_PROTO_KPROBE },
	[51] = { "redirect_map", RET_INTEGER, { ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING },
		 BPF_PROTO_XDP },
	[54] = { "xdp_adjust_meta", RET_INTEGER, { ARG_PTR_TO_CTX, ARG_ANYTHING }, BPF_PROTO_XDP, 1 },
	[65] = { "xdp_adjust_tail", RET_INTEGER, { ARG_PTR_TO_CTX, ARG_ANYTHING }, BPF_PROTO_XDP, 1 },
	[113] = { "probe_read_kernel", RET_INTEGER,
		  { ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BOTH },
	[115] = { "probe_read_kernel_str", RET_INTEGER,
		  { ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BOTH },
	[130] = { "ringbuf_output", RET_INTEGER,
		  { ARG_CONST_MAP_PTR, ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING }, BOTH },
	[131] = { "ringbuf_reserve", RET_RINGBUF_MEM_OR_NULL,
		  { ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE, ARG_ANYTHING }, BOTH },
	[132] = { "ringbuf_submit", RET_VOID, { ARG_PTR_TO_RINGBUF_MEM, ARG_ANYTHING }, BOTH },
	[133] = { "ringbuf_discard", RET_VOID, { ARG_PTR_TO_RINGBUF_MEM, ARG_ANYTHING }, BOTH },
	[173] = { "get_func_ip", RET_INTEGER, { ARG_PTR_TO_CTX }, BPF_PROTO_KPROBE },
};

const struct bpf_func_proto *bpf_func_proto(int32_t id)
{
	if (id < 0 || (uint32_t)id >= ARRAY_SIZE(protos) || !protos[id].name)
		return NULL;
	return &protos[id];
}

/* Which helpers each special map type goes with, both ways. */
static bool map_fits(enum bpf_map_type type, int32_t id)
{
	bool special_helper = id == 12 || id == 51 || (id >= 130 && id <= 131);

	switch (type) {
	case BPF_MAP_TYPE_PROG_ARRAY: return id == 12;
	case BPF_MAP_TYPE_DEVMAP: return id == 51 || id == 1;
	case BPF_MAP_TYPE_RINGBUF: return id == 130 || id == 131;
	default: return !special_helper;
	}
}

struct release {
	uint32_t ref;
};

static void kill_ref(struct reg_state *r, void *arg)
{
	const struct release *rel = arg;

	if (r->ref_obj_id == rel->ref)
		reg_mark_unknown(r);
}

void release_ref_regs(struct vstate *st, uint32_t ref_obj_id)
{
	struct release rel = { ref_obj_id };

	for_each_reg(st, kill_ref, &rel);
}

static void kill_pkt(struct reg_state *r, void *arg)
{
	(void)arg;
	if (reg_is_pkt(r) || r->type == PTR_TO_PACKET_END)
		reg_mark_unknown(r);
}

/* A size argument: bounded, not negative, and (unless zero is allowed) not zero. */
static int check_size(struct verifier_env *env, uint32_t regno, bool zero_ok, uint64_t *max_size)
{
	const struct reg_state *r = &cur_frame(env->cur)->regs[regno];

	if (r->type != SCALAR_VALUE)
		return verr(env, "R%u type=%s expected=scalar", regno, reg_type_name(r->type));
	if (r->smin < 0)
		return verr(env, "R%u min value is negative", regno);
	if (r->umax > MAX_BPF_STACK * 128)
		return verr(env, "R%u unbounded memory access", regno);
	if (!r->umin && !zero_ok && r->umax == 0)
		return verr(env, "R%u invalid zero-sized access", regno);
	if (!r->umin && !zero_ok)
		return verr(env, "R%u size may be zero", regno);
	*max_size = r->umax;
	return 0;
}

int check_helper_call(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct vstate *st = env->cur;
	struct func_state *f = cur_frame(st);
	const struct bpf_prog *prog = env->prog;
	const struct bpf_func_proto *fn = bpf_func_proto(insn->imm);
	int32_t map = -1, release = -1;
	uint64_t alloc = 0;
	int err;

	if (insn->off || insn->dst_reg)
		return verr(env, "BPF_CALL uses reserved fields");
	if (!fn || !prog->helpers || (uint32_t)insn->imm >= prog->nr_helpers ||
	    !prog->helpers[insn->imm])
		return verr(env, "invalid func unknown#%d", insn->imm);
	if (!(fn->prog_types & (prog->type == BPF_PROG_TYPE_XDP ? BPF_PROTO_XDP : BPF_PROTO_KPROBE)))
		return verr(env, "helper %s#%d not allowed for this program type", fn->name,
			    insn->imm);
	for (uint32_t i = 0; i < 5 && fn->arg[i] != ARG_DONTCARE; i++) {
		uint32_t regno = i + 1;
		struct reg_state *r = &f->regs[regno];
		enum bpf_arg_type t = fn->arg[i];
		uint64_t size = 0;
		const char *want = NULL;

		err = check_reg_read(env, regno);
		if (err)
			return err;
		switch (t) {
		case ARG_ANYTHING:
			break;
		case ARG_SCALAR:
			if (r->type != SCALAR_VALUE)
				want = "scalar";
			break;
		case ARG_CONST_MAP_PTR:
			if (r->type != CONST_PTR_TO_MAP) {
				want = "map_ptr";
				break;
			}
			map = r->map;
			if (!map_fits(prog->maps[map]->map_type, insn->imm))
				return verr(env, "cannot pass map_type %d into func %s#%d",
					    prog->maps[map]->map_type, fn->name, insn->imm);
			break;
		case ARG_PTR_TO_MAP_KEY:
		case ARG_PTR_TO_MAP_VALUE:
			if (map < 0)
				return verr(env, "R%u map argument missing", regno);
			if (r->type == SCALAR_VALUE) {
				want = "fp";
				break;
			}
			err = check_helper_mem(env, regno, t == ARG_PTR_TO_MAP_KEY ?
					       prog->maps[map]->key_size :
					       prog->maps[map]->value_size, false);
			if (err)
				return err;
			break;
		case ARG_PTR_TO_MEM:
		case ARG_PTR_TO_MEM_OR_NULL:
		case ARG_PTR_TO_UNINIT_MEM:
			if (t == ARG_PTR_TO_MEM_OR_NULL && r->type == SCALAR_VALUE &&
			    tnum_equals_const(r->var_off, 0))
				break;
			if (!reg_is_ptr(r) || r->type == PTR_TO_CTX ||
			    r->type == CONST_PTR_TO_MAP || r->type == PTR_TO_PACKET_END ||
			    r->type == PTR_TO_MAP_VALUE_OR_NULL || r->type == PTR_TO_MEM_OR_NULL)
				want = "fp";
			break;
		case ARG_CONST_SIZE:
		case ARG_CONST_SIZE_OR_ZERO:
			err = check_size(env, regno, t == ARG_CONST_SIZE_OR_ZERO, &size);
			if (err)
				return err;
			if (f->regs[regno - 1].type != SCALAR_VALUE)
				err = check_helper_mem(env, regno - 1, size,
						       fn->arg[i - 1] == ARG_PTR_TO_UNINIT_MEM);
			else if (size && fn->arg[i - 1] != ARG_PTR_TO_MEM_OR_NULL)
				want = "fp";
			if (err)
				return err;
			break;
		case ARG_CONST_ALLOC_SIZE:
			if (r->type != SCALAR_VALUE || !tnum_is_const(r->var_off) ||
			    !r->var_off.value || r->var_off.value > (1U << 20))
				return verr(env, "R%u must be a known constant size", regno);
			alloc = r->var_off.value;
			break;
		case ARG_PTR_TO_CTX:
			if (r->type != PTR_TO_CTX) {
				want = "ctx";
				break;
			}
			if (r->off || !tnum_equals_const(r->var_off, 0))
				return verr(env, "dereference of modified ctx ptr R%u off=%d disallowed",
					    regno, r->off);
			break;
		case ARG_PTR_TO_RINGBUF_MEM:
			if (r->type != PTR_TO_MEM || !r->ref_obj_id) {
				want = "mem";
				break;
			}
			if (r->off || !tnum_equals_const(r->var_off, 0))
				return verr(env, "R%u must be the unmodified ringbuf reservation",
					    regno);
			release = r->ref_obj_id;
			break;
		default:
			break;
		}
		if (want)
			return verr(env, "R%u type=%s expected=%s", regno, reg_type_name(r->type),
				    want);
	}
	if (insn->imm == 12 && st->nrefs)
		return verr(env, "tail_call with %u unreleased references", st->nrefs);
	if (release >= 0) {
		uint32_t i;

		for (i = 0; i < st->nrefs && st->refs[i].id != (uint32_t)release; i++)
			;
		if (i == st->nrefs)
			return verr(env, "R1 reference has already been released");
		st->refs[i] = st->refs[--st->nrefs];
		release_ref_regs(st, release);
	}
	if (fn->invalidates_pkt)
		for_each_reg(st, kill_pkt, NULL);
	for (int r = 1; r <= 5; r++)
		memset(&f->regs[r], 0, sizeof(f->regs[r]));

	switch (fn->ret) {
	case RET_VOID:
		memset(&f->regs[0], 0, sizeof(f->regs[0]));
		break;
	case RET_INTEGER:
		reg_mark_unknown(&f->regs[0]);
		if (insn->imm == 7 || insn->imm == 8)
			reg_mark_unknown_size(&f->regs[0], 4);
		break;
	case RET_MAP_VALUE_OR_NULL:
		reg_mark_known(&f->regs[0], 0);
		f->regs[0].type = PTR_TO_MAP_VALUE_OR_NULL;
		f->regs[0].map = map;
		f->regs[0].id = new_id(env);
		break;
	case RET_RINGBUF_MEM_OR_NULL:
		if (st->nrefs == MAX_REFS)
			return verr(env, "more than %d ringbuf reservations held", MAX_REFS);
		reg_mark_known(&f->regs[0], 0);
		f->regs[0].type = PTR_TO_MEM_OR_NULL;
		f->regs[0].mem_size = alloc;
		f->regs[0].id = new_id(env);
		f->regs[0].ref_obj_id = new_id(env);
		st->refs[st->nrefs].id = f->regs[0].ref_obj_id;
		st->refs[st->nrefs++].insn = env->insn_idx;
		break;
	}
	return 0;
}
