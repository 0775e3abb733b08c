/*
 * States: copies for branches, the kept states at pruning points, and the
 * comparison that ends a path whose state is covered by one already proven
 * safe. A kept state counts the paths still walking below it (branches);
 * only a state with none left is proven, and a path that comes back to an
 * unproven ancestor in exactly the same state loops forever.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"
#include "mm.h"

struct func_state *func_alloc(uint32_t frameno, int32_t callsite)
{
	struct func_state *f = bpf_zalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->frameno = frameno;
	f->callsite = callsite;
	return f;
}

void func_free(struct func_state *f)
{
	if (!f)
		return;
	bpf_free(f->stack);
	bpf_free(f);
}

static struct func_state *frame_copy(const struct func_state *src)
{
	struct func_state *f = bpf_zalloc(sizeof(*f));

	if (!f)
		return NULL;
	*f = *src;
	f->stack = NULL;
	if (src->nslots) {
		f->stack = bpf_zalloc(src->nslots * sizeof(*f->stack));
		if (!f->stack) {
			bpf_free(f);
			return NULL;
		}
		memcpy(f->stack, src->stack, src->nslots * sizeof(*f->stack));
	}
	return f;
}

int frame_grow_stack(struct verifier_env *env, struct func_state *f, uint32_t nslots)
{
	struct stack_slot *s;
	uint32_t total = 0;

	if (nslots <= f->nslots)
		return 0;
	s = bpf_zalloc(nslots * sizeof(*s));
	if (!s)
		return verr_code(env, -ENOMEM, "out of memory");
	if (f->nslots)
		memcpy(s, f->stack, f->nslots * sizeof(*s));
	bpf_free(f->stack);
	f->stack = s;
	f->nslots = nslots;
	/* each frame rounded to 32 bytes, as Linux counts the combined stack */
	for (uint32_t i = 0; i <= env->cur->curframe; i++)
		total += ALIGN_UP(env->cur->frame[i]->nslots * 8, 32);
	if (total > MAX_BPF_STACK)
		return verr(env, "combined stack of %u frames is %u bytes, more than %d",
			    env->cur->curframe + 1, total, MAX_BPF_STACK);
	env->stack_depth = max(env->stack_depth, total);
	return 0;
}

struct vstate *state_alloc(void)
{
	return bpf_zalloc(sizeof(struct vstate));
}

void state_free(struct vstate *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i <= st->curframe; i++)
		func_free(st->frame[i]);
	bpf_free(st);
}

struct vstate *state_copy(const struct vstate *src)
{
	struct vstate *st = bpf_zalloc(sizeof(*st));

	if (!st)
		return NULL;
	*st = *src;
	for (uint32_t i = 0; i <= src->curframe; i++)
		st->frame[i] = NULL;
	for (uint32_t i = 0; i <= src->curframe; i++) {
		st->frame[i] = frame_copy(src->frame[i]);
		if (!st->frame[i]) {
			state_free(st);
			return NULL;
		}
	}
	st->next = NULL;
	return st;
}

void for_each_reg(struct vstate *st, void (*fn)(struct reg_state *r, void *arg), void *arg)
{
	for (uint32_t i = 0; i <= st->curframe; i++) {
		struct func_state *f = st->frame[i];

		for (int r = 0; r < MAX_BPF_REG; r++)
			fn(&f->regs[r], arg);
		for (uint32_t s = 0; s < f->nslots; s++)
			if (f->stack[s].type[0] == STACK_SPILL)
				fn(&f->stack[s].spilled, arg);
	}
}

struct vstate *push_branch(struct verifier_env *env, uint32_t insn)
{
	struct vstate *st;

	if (env->nr_branches == env->branch_cap) {
		uint32_t cap = env->branch_cap ? env->branch_cap * 2 : 64;
		struct branch *b = bpf_zalloc(cap * sizeof(*b));

		if (!b)
			return NULL;
		if (env->nr_branches)
			memcpy(b, env->stack, env->nr_branches * sizeof(*b));
		bpf_free(env->stack);
		env->stack = b;
		env->branch_cap = cap;
	}
	st = state_copy(env->cur);
	if (!st)
		return NULL;
	if (st->parent)
		st->parent->branches++;
	env->stack[env->nr_branches].st = st;
	env->stack[env->nr_branches].insn = insn;
	env->nr_branches++;
	return st;
}

bool pop_branch(struct verifier_env *env)
{
	/* the path that ended no longer holds its ancestors open */
	for (struct vstate *p = env->cur->parent; p; p = p->parent)
		if (--p->branches)
			break;
	state_free(env->cur);
	env->cur = NULL;
	if (!env->nr_branches)
		return false;
	env->nr_branches--;
	env->cur = env->stack[env->nr_branches].st;
	env->insn_idx = env->stack[env->nr_branches].insn;
	return true;
}

/* Ids of the kept state map one to one onto the current one's. */
struct idmap {
	uint32_t n;
	uint32_t old[64], cur[64];
};

static bool ids_match(struct idmap *m, uint32_t old, uint32_t cur)
{
	if (!old && !cur)
		return true;
	if (!old || !cur)
		return false;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->old[i] == old)
			return m->cur[i] == cur;
		if (m->cur[i] == cur)
			return false;
	}
	if (m->n == ARRAY_SIZE(m->old))
		return false;
	m->old[m->n] = old;
	m->cur[m->n++] = cur;
	return true;
}

static bool range_within(const struct reg_state *o, const struct reg_state *c)
{
	return o->umin <= c->umin && o->umax >= c->umax && o->smin <= c->smin &&
	       o->smax >= c->smax && o->u32_min <= c->u32_min && o->u32_max >= c->u32_max &&
	       o->s32_min <= c->s32_min && o->s32_max >= c->s32_max &&
	       tnum_in(o->var_off, c->var_off);
}

/* Whatever the kept path did with o, it may do with c. */
static bool reg_covers(const struct reg_state *o, const struct reg_state *c, struct idmap *m,
		       bool exact)
{
	if (exact)
		return o->type == c->type && o->off == c->off && o->frameno == c->frameno &&
		       o->map == c->map && o->range == c->range && o->mem_size == c->mem_size &&
		       range_within(o, c) && range_within(c, o) && ids_match(m, o->id, c->id) &&
		       ids_match(m, o->ref_obj_id, c->ref_obj_id);
	/* a register the kept path never read may hold anything */
	if (o->type == NOT_INIT)
		return true;
	if (o->type != c->type)
		return false;
	switch (o->type) {
	case SCALAR_VALUE:
		return range_within(o, c);
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (o->range > c->range)
			return false;
		break;
	default:
		break;
	}
	return o->off == c->off && o->frameno == c->frameno && o->map == c->map &&
	       o->mem_size == c->mem_size && range_within(o, c) &&
	       ids_match(m, o->id, c->id) && ids_match(m, o->ref_obj_id, c->ref_obj_id);
}

static bool stack_covers(const struct func_state *o, const struct func_state *c,
			 struct idmap *m, bool exact)
{
	static const struct stack_slot empty;

	if (exact && o->nslots != c->nslots)
		return false;
	for (uint32_t i = 0; i < o->nslots; i++) {
		const struct stack_slot *os = &o->stack[i];
		const struct stack_slot *cs = i < c->nslots ? &c->stack[i] : &empty;

		for (int b = 0; b < 8; b++) {
			if (os->type[b] == STACK_INVALID && !exact)
				continue;
			if (os->type[b] == STACK_MISC && cs->type[b] == STACK_SPILL && !exact &&
			    cs->spilled.type == SCALAR_VALUE)
				continue;
			if (os->type[b] != cs->type[b])
				return false;
		}
		if (os->type[0] == STACK_SPILL && !reg_covers(&os->spilled, &cs->spilled, m, exact))
			return false;
	}
	return true;
}

static bool state_covers(const struct vstate *o, const struct vstate *c, bool exact)
{
	struct idmap m = { 0 };

	if (o->curframe != c->curframe || o->nrefs != c->nrefs)
		return false;
	for (uint32_t i = 0; i < o->nrefs; i++)
		if (!ids_match(&m, o->refs[i].id, c->refs[i].id))
			return false;
	for (uint32_t i = 0; i <= o->curframe; i++) {
		const struct func_state *of = o->frame[i], *cf = c->frame[i];

		if (of->callsite != cf->callsite)
			return false;
		for (int r = 0; r < MAX_BPF_REG; r++)
			if (!reg_covers(&of->regs[r], &cf->regs[r], &m, exact))
				return false;
		if (!stack_covers(of, cf, &m, exact))
			return false;
	}
	return true;
}

static bool is_ancestor(const struct vstate *a, const struct vstate *st)
{
	for (const struct vstate *p = st->parent; p; p = p->parent)
		if (p == a)
			return true;
	return false;
}

int state_visited(struct verifier_env *env, uint32_t insn)
{
	struct vstate *cur = env->cur, *st;
	uint32_t open = 0;

	for (st = env->kept[insn]; st; st = st->next) {
		if (st->branches) {
			/* not proven yet: only the loop check can use it */
			if (state_covers(st, cur, true) && is_ancestor(st, cur))
				return verr(env, "infinite loop detected at insn %u", insn);
			open++;
			continue;
		}
		if (state_covers(st, cur, false)) {
			if (env->log_level)
				vlog(env, "%u: safe (covered by a proven state)\n", insn);
			return 1;
		}
	}
	/*
	 * Inside a loop each round differs, so keep a state only now and then,
	 * and only a few: they cost a comparison on every later round.
	 */
	if (open && (open >= 32 || env->insns_since_kept < 100 || env->jmps_since_kept < 20))
		return 0;
	st = state_copy(cur);
	if (!st)
		return verr_code(env, -ENOMEM, "out of memory");
	st->insn = insn;
	st->branches = 1;
	st->parent = cur->parent;
	st->next = env->kept[insn];
	env->kept[insn] = st;
	cur->parent = st;
	env->nr_kept++;
	env->insns_since_kept = 0;
	env->jmps_since_kept = 0;
	return 0;
}

void free_all_states(struct verifier_env *env)
{
	if (env->cur)
		state_free(env->cur);
	env->cur = NULL;
	for (uint32_t i = 0; i < env->nr_branches; i++)
		state_free(env->stack[i].st);
	env->nr_branches = 0;
	bpf_free(env->stack);
	env->stack = NULL;
	if (env->kept) {
		for (uint32_t i = 0; i < env->len; i++) {
			struct vstate *st = env->kept[i], *next;

			for (; st; st = next) {
				next = st->next;
				state_free(st);
			}
		}
		bpf_free(env->kept);
		env->kept = NULL;
	}
}
