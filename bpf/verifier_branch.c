/*
 * Conditional jumps: decide the branch when the operands' bounds do, else
 * walk both with each side's bounds narrowed by the comparison. Comparing a
 * map value or ringbuf pointer with 0 settles whether it is NULL for every
 * copy of it; comparing a packet pointer with data_end (or a meta pointer
 * with data) proves the bytes before it in bounds for every pointer that
 * shares its variable part.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"

/* Bounds of one width in 64-bit containers (see struct bnd in verifier_bounds.c). */
struct cmp {
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum t;
};

static struct cmp cmp_of(const struct reg_state *r, bool w32)
{
	if (w32)
		return (struct cmp){ r->u32_min, r->u32_max, r->s32_min, r->s32_max,
				     tnum_subreg(r->var_off) };
	return (struct cmp){ r->umin, r->umax, r->smin, r->smax, r->var_off };
}

static void cmp_store(struct reg_state *r, const struct cmp *c, bool w32)
{
	if (w32) {
		r->u32_min = c->umin;
		r->u32_max = c->umax;
		r->s32_min = c->smin;
		r->s32_max = c->smax;
		r->var_off = TNUM((r->var_off.value & ~0xffffffffULL) | c->t.value,
				  (r->var_off.mask & ~0xffffffffULL) | c->t.mask);
	} else {
		r->umin = c->umin;
		r->umax = c->umax;
		r->smin = c->smin;
		r->smax = c->smax;
		r->var_off = c->t;
	}
	reg_bounds_sync(r);
}

/* a OP b with a and b swapped, so only the GT/GE forms are needed. */
static unsigned int flip(unsigned int op)
{
	switch (op) {
	case BPF_JLT: return BPF_JGT;
	case BPF_JLE: return BPF_JGE;
	case BPF_JSLT: return BPF_JSGT;
	case BPF_JSLE: return BPF_JSGE;
	default: return op;
	}
}

/* The opposite test: the fall-through side of op. */
static unsigned int negate(unsigned int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	default: return op;	/* JSET has no plain opposite; handled apart */
	}
}

/* 1 always taken, 0 never, -1 either. */
static int scalar_taken(const struct cmp *a, const struct cmp *b, unsigned int op)
{
	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq = -1;

		if (tnum_is_const(a->t) && tnum_is_const(b->t))
			eq = a->t.value == b->t.value;
		else if (a->umin > b->umax || a->umax < b->umin || a->smin > b->smax ||
			 a->smax < b->smin ||
			 ((a->t.value ^ b->t.value) & ~(a->t.mask | b->t.mask)))
			eq = 0;
		if (eq < 0)
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JSET:
		if (a->t.value & b->t.value)
			return 1;
		if (!((a->t.value | a->t.mask) & (b->t.value | b->t.mask)))
			return 0;
		return -1;
	case BPF_JGT:
		return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case BPF_JGE:
		return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case BPF_JSGT:
		return a->smin > b->smax ? 1 : a->smax <= b->smin ? 0 : -1;
	case BPF_JSGE:
		return a->smin >= b->smax ? 1 : a->smax < b->smin ? 0 : -1;
	default:
		return scalar_taken(b, a, flip(op));
	}
}

/* Narrow a and b to the values where "a op b" holds (the test is undecided). */
static void narrow(struct cmp *a, struct cmp *b, unsigned int op, bool w32)
{
	switch (op) {
	case BPF_JEQ:
		a->umin = b->umin = max(a->umin, b->umin);
		a->umax = b->umax = min(a->umax, b->umax);
		a->smin = b->smin = max(a->smin, b->smin);
		a->smax = b->smax = min(a->smax, b->smax);
		a->t = b->t = tnum_intersect(a->t, b->t);
		break;
	case BPF_JNE:
		/* only an end of a range equal to a constant goes */
		if (tnum_is_const(b->t)) {
			uint64_t v = b->t.value;
			int64_t sv = w32 ? (int64_t)(int32_t)v : (int64_t)v;

			if (a->umin == v)
				a->umin++;
			else if (a->umax == v)
				a->umax--;
			if (a->smin == sv)
				a->smin++;
			else if (a->smax == sv)
				a->smax--;
		}
		break;
	case BPF_JSET:
		break;
	case BPF_JGT:
		a->umin = max(a->umin, b->umin + 1);
		b->umax = min(b->umax, a->umax - 1);
		break;
	case BPF_JGE:
		a->umin = max(a->umin, b->umin);
		b->umax = min(b->umax, a->umax);
		break;
	case BPF_JSGT:
		a->smin = max(a->smin, b->smin + 1);
		b->smax = min(b->smax, a->smax - 1);
		break;
	case BPF_JSGE:
		a->smin = max(a->smin, b->smin);
		b->smax = min(b->smax, a->smax);
		break;
	default:
		narrow(b, a, flip(op), w32);
		break;
	}
}

/* The side where "a & b" is zero: b's known ones are a's known zeros. */
static void narrow_jset_false(struct cmp *a, const struct cmp *b)
{
	if (tnum_is_const(b->t))
		a->t = tnum_and(a->t, tnum_const(~b->t.value));
}

struct null_mark {
	uint32_t id;
	bool is_null;
};

static void mark_null(struct reg_state *r, void *arg)
{
	struct null_mark *m = arg;

	if (!r->id || r->id != m->id ||
	    (r->type != PTR_TO_MAP_VALUE_OR_NULL && r->type != PTR_TO_MEM_OR_NULL))
		return;
	if (m->is_null) {
		reg_mark_known(r, 0);
		return;
	}
	r->type = r->type == PTR_TO_MAP_VALUE_OR_NULL ? PTR_TO_MAP_VALUE : PTR_TO_MEM;
	r->id = 0;
}

static void null_check(struct vstate *st, const struct reg_state *r, bool is_null)
{
	struct null_mark m = { r->id, is_null };
	uint32_t ref = r->ref_obj_id;

	for_each_reg(st, mark_null, &m);
	/* a reservation that failed holds nothing to release */
	if (is_null && ref) {
		for (uint32_t i = 0; i < st->nrefs; i++) {
			if (st->refs[i].id == ref) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
		}
	}
}

struct pkt_mark {
	uint8_t type;
	uint32_t id;
	uint32_t range;
};

static void mark_pkt_range(struct reg_state *r, void *arg)
{
	struct pkt_mark *m = arg;

	if (r->type == m->type && r->id == m->id)
		r->range = max(r->range, m->range);
}

/* When "lo <= hi" holds on a side, the bytes before lo are in the packet. */
static void pkt_proven(struct vstate *st, const struct reg_state *lo)
{
	struct pkt_mark m = { lo->type, lo->id, lo->off > 0 ? (uint32_t)lo->off : 0 };

	if (m.range)
		for_each_reg(st, mark_pkt_range, &m);
}

/* a OP b as b OP' a. */
static unsigned int swap_op(unsigned int op)
{
	switch (op) {
	case BPF_JGT: return BPF_JLT;
	case BPF_JLT: return BPF_JGT;
	case BPF_JGE: return BPF_JLE;
	case BPF_JLE: return BPF_JGE;
	default: return op;
	}
}

static bool pkt_below(const struct reg_state *p, const struct reg_state *e)
{
	return (p->type == PTR_TO_PACKET && e->type == PTR_TO_PACKET_END) ||
	       (p->type == PTR_TO_PACKET_META && e->type == PTR_TO_PACKET);
}

/*
 * A packet pointer compared with its end (data_end for packet pointers, data
 * for meta ones): *lo is the packet pointer; returns 1 when the jump side has
 * lo <= end, 0 when the fall-through side has, -1 for neither.
 */
static int pkt_side(const struct reg_state *a, const struct reg_state *b, unsigned int op,
		    const struct reg_state **lo)
{
	if (pkt_below(a, b)) {
		*lo = a;
	} else if (pkt_below(b, a)) {
		*lo = b;
		op = swap_op(op);
	} else {
		return -1;
	}
	switch (op) {
	case BPF_JGT: case BPF_JGE: return 0;
	case BPF_JLT: case BPF_JLE: return 1;
	default: return -1;
	}
}

int check_cond_jmp(struct verifier_env *env, const struct bpf_insn *insn, uint32_t *next)
{
	struct func_state *f = cur_frame(env->cur);
	bool w32 = BPF_CLASS(insn->code) == BPF_JMP32;
	unsigned int op = BPF_OP(insn->code);
	uint32_t target = env->insn_idx + insn->off + 1, fall = env->insn_idx + 1;
	struct reg_state *dst = &f->regs[insn->dst_reg], src;
	struct reg_state *srcp = NULL;
	struct vstate *other;
	int taken = -1, err;

	if (op > BPF_JSLE || op == BPF_CALL || op == BPF_EXIT)
		return verr(env, "unknown opcode %02x", insn->code);
	if (BPF_SRC(insn->code) == BPF_K && insn->src_reg)
		return verr(env, "BPF_JMP/JMP32 uses reserved fields");
	err = check_reg_read(env, insn->dst_reg);
	if (!err && BPF_SRC(insn->code) == BPF_X)
		err = check_reg_read(env, insn->src_reg);
	if (err)
		return err;
	if (BPF_SRC(insn->code) == BPF_X) {
		srcp = &f->regs[insn->src_reg];
		src = *srcp;
	} else {
		reg_mark_known(&src, w32 ? (uint64_t)(uint32_t)insn->imm :
				     (uint64_t)(int64_t)insn->imm);
	}
	env->jmps_since_kept++;

	if (reg_is_ptr(dst) || reg_is_ptr(&src)) {
		const struct reg_state *p = reg_is_ptr(dst) ? dst : &src;
		const struct reg_state *o = p == dst ? &src : dst;
		bool null_test = o->type == SCALAR_VALUE && tnum_equals_const(o->var_off, 0) &&
				 !w32 && (op == BPF_JEQ || op == BPF_JNE);
		int side;

		if (reg_is_ptr(dst) && reg_is_ptr(&src)) {
			const struct reg_state *lo = NULL;
			struct reg_state lo_copy = { 0 };

			side = w32 ? -1 : pkt_side(dst, &src, op, &lo);
			if (lo)
				lo_copy = *lo;
			other = push_branch(env, target);
			if (!other)
				return verr_code(env, -ENOMEM, "out of memory");
			if (side >= 0)
				pkt_proven(side ? other : env->cur, &lo_copy);
			*next = fall;
			return 0;
		}
		if (!null_test)
			return verr(env, "R%u pointer comparison prohibited",
				    p == dst ? insn->dst_reg : insn->src_reg);
		if (p->type != PTR_TO_MAP_VALUE_OR_NULL && p->type != PTR_TO_MEM_OR_NULL) {
			/* a pointer that cannot be NULL */
			*next = (op == BPF_JNE) ? target : fall;
			return 0;
		}
		{
			struct reg_state pc = *p;

			other = push_branch(env, target);
			if (!other)
				return verr_code(env, -ENOMEM, "out of memory");
			null_check(other, &pc, op == BPF_JEQ);
			null_check(env->cur, &pc, op != BPF_JEQ);
		}
		*next = fall;
		return 0;
	}

	{
		struct cmp a = cmp_of(dst, w32), b = cmp_of(&src, w32);
		struct cmp ta = a, tb = b, fa = a, fb = b;
		struct reg_state td = *dst, ts = src, fd = *dst, fs = src;

		taken = scalar_taken(&a, &b, op);
		if (taken >= 0) {
			*next = taken ? target : fall;
			return 0;
		}
		narrow(&ta, &tb, op, w32);
		if (op == BPF_JSET)
			narrow_jset_false(&fa, &fb);
		else
			narrow(&fa, &fb, negate(op), w32);
		cmp_store(&td, &ta, w32);
		cmp_store(&ts, &tb, w32);
		cmp_store(&fd, &fa, w32);
		cmp_store(&fs, &fb, w32);
		if (!reg_bounds_sane(&td) || !reg_bounds_sane(&ts)) {
			*next = fall;
			*dst = fd;
			if (srcp)
				*srcp = fs;
			return 0;
		}
		if (!reg_bounds_sane(&fd) || !reg_bounds_sane(&fs)) {
			*next = target;
			*dst = td;
			if (srcp)
				*srcp = ts;
			return 0;
		}
		other = push_branch(env, target);
		if (!other)
			return verr_code(env, -ENOMEM, "out of memory");
		cur_frame(other)->regs[insn->dst_reg] = td;
		if (srcp)
			cur_frame(other)->regs[insn->src_reg] = ts;
		*dst = fd;
		if (srcp)
			*srcp = fs;
		*next = fall;
	}
	return 0;
}
