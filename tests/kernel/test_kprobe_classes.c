/*
 * One probe per instruction class, on the assembly targets in
 * probe_targets.S: the function's result is unchanged under the probe, the
 * probe runs in the mode the decoder chose, and register changes made by a
 * handler take effect. Then "probe every instruction": each boundary of a set
 * of functions in turn, then all at once, with hit counts that must agree.
 */
#include "ktest.h"
#include "arch.h"
#include "insn.h"
#include "kallsyms.h"
#include "probes.h"

typedef uint64_t (*fn3_t)(uint64_t, uint64_t, uint64_t);

static uint64_t call3(const char *sym, uint64_t a, uint64_t b, uint64_t c)
{
	fn3_t fn = (fn3_t)kallsyms_lookup_name(sym);

	return fn(a, b, c);
}

/* Decode at pc as the engine does: other probes' int3 bytes read as the original. */
static int decode_orig(struct insn *insn, uint64_t pc)
{
	uint8_t buf[INSN_MAX_LEN];
	size_t n = kprobe_read_orig(pc, buf, sizeof(buf));

	return insn_decode(insn, buf, n, pc);
}

/* Address of the idx-th instruction of sym. */
static uint64_t nth_insn(const char *sym, int idx)
{
	uint64_t pc = kallsyms_lookup_name(sym);
	struct insn insn;

	for (int i = 0; i < idx; i++) {
		if (decode_orig(&insn, pc))
			return 0;
		pc += insn.len;
	}
	return pc;
}

enum { NONE, SET_DI, SET_AX_POST };

struct class_case {
	const char *sym;
	int idx;
	const char *mode;		/* with a pre_handler only */
	uint64_t a, b, c, expect;
	int change;			/* what the handler changes */
	uint64_t value, expect_changed;
};

extern uint64_t pt_data;
static uint8_t copy_src[64], copy_dst[64];

static struct class_case cases[] = {
	{ "pt_riprel_load", 0, "boost", 0, 0, 0, 0x1122334455667788, SET_AX_POST, 5, 5 },
	{ "pt_riprel_store", 0, "boost", 9, 0, 0, 9, SET_DI, 12, 12 },
	{ "pt_riprel_lea", 0, "boost", 0, 0, 0, 0, SET_AX_POST, 6, 6 },
	{ "pt_call_rel", 2, "emulate", 10, 0, 0, 11, SET_DI, 41, 42 },
	{ "pt_call_reg", 3, "step-fixup", 10, 0, 0, 11, SET_DI, 41, 42 },
	{ "pt_call_mem", 2, "step-fixup", 10, 0, 0, 11, SET_DI, 41, 42 },
	{ "pt_jmp_rel8", 0, "emulate", 0, 0, 0, 2, NONE, 0, 0 },
	{ "pt_jmp_rel32", 0, "emulate", 0, 0, 0, 3, NONE, 0, 0 },
	{ "pt_jmp_reg", 1, "step-fixup", 0, 0, 0, 4, NONE, 0, 0 },
	{ "pt_jcc8", 1, "emulate", 3, 0, 0, 10, NONE, 0, 0 },		/* taken */
	{ "pt_jcc8", 1, "emulate", 7, 0, 0, 20, NONE, 0, 0 },		/* not taken */
	{ "pt_jcc8", 0, "boost", 3, 0, 0, 10, SET_DI, 7, 20 },		/* cmp sees the new di */
	{ "pt_jcc32", 1, "emulate", 0, 0, 0, 30, NONE, 0, 0 },
	{ "pt_jcc32", 1, "emulate", 1, 0, 0, 40, NONE, 0, 0 },
	{ "pt_ret_imm_callee", 1, "emulate", 0, 0, 0, 0, NONE, 0, 0 },	/* via pt_ret_imm */
	{ "pt_ret_imm", 8, "emulate", 55, 0, 0, 55, SET_AX_POST, 66, 66 },
	{ "pt_push_pop", 0, "emulate", 20, 0, 0, 41, SET_DI, 1, 3 },
	{ "pt_push_pop", 5, "emulate", 20, 0, 0, 41, NONE, 0, 0 },	/* pop r12 */
	{ "pt_pushf", 0, "step-fixup", 0, 0, 0, 0x200, NONE, 0, 0 },
	{ "pt_popf", 1, "step-fixup", 0, 0, 0, 0x200, NONE, 0, 0 },
	{ "pt_cli", 1, "emulate", 0, 0, 0, 0, NONE, 0, 0 },
	{ "pt_sti", 2, "emulate", 0, 0, 0, 0x200, NONE, 0, 0 },
	{ "pt_rep_movs", 1, "boost", 0, 0, 40, 0, NONE, 0, 0 },
	{ "pt_cmov", 2, "boost", 1, 2, 9, 9, NONE, 0, 0 },
	{ "pt_cmov", 2, "boost", 3, 2, 9, 0, NONE, 0, 0 },
	{ "pt_fault_load", 0, "step", 0, 0, 0, 0x1122334455667788, NONE, 0, 0 },
	{ "pt_fault_load", 0, "step", 16, 0, 0, (uint64_t)-14, NONE, 0, 0 },	/* faults */
	{ "pt_loop", 3, "emulate", 4, 0, 0, 10, NONE, 0, 0 },
};

static struct class_case *cur;
static int pre_hits, post_hits;

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	pre_hits++;
	if (cur->change == SET_DI)
		regs->di = cur->value;
	return 0;
}

static void post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)flags;
	post_hits++;
	if (cur->change == SET_AX_POST)
		regs->ax = cur->value;
}

/* Fill in the arguments that are addresses, and call the case's function. */
static uint64_t run_case(struct class_case *c)
{
	if (!strcmp(c->sym, "pt_riprel_lea"))
		c->expect = kallsyms_lookup_name("pt_riprel_lea");
	if (!strcmp(c->sym, "pt_rep_movs")) {
		for (int i = 0; i < 64; i++)
			copy_src[i] = i * 7, copy_dst[i] = 0;
		c->expect = (uint64_t)copy_dst + c->c;
		return call3(c->sym, (uint64_t)copy_dst, (uint64_t)copy_src, c->c);
	}
	if (!strcmp(c->sym, "pt_ret_imm_callee"))
		return call3("pt_ret_imm", 0, 0, 0);
	if (!strcmp(c->sym, "pt_fault_load") && !c->a)
		return call3(c->sym, (uint64_t)&pt_data, 0, 0);
	return call3(c->sym, c->a, c->b, c->c);
}

static void check_case(struct class_case *c, bool with_post)
{
	struct kprobe kp = { .addr = (uint8_t *)nth_insn(c->sym, c->idx),
			     .pre_handler = pre, .post_handler = with_post ? post : NULL };
	const char *mode;
	uint64_t r;
	int err, want_pre, want_post;

	cur = c;
	pre_hits = post_hits = 0;
	err = register_kprobe(&kp);
	if (err) {
		ktest_fail(__FILE__, __LINE__, "%s[%d]: register: %d", c->sym, c->idx, err);
		return;
	}
	mode = kprobe_mode_name(kprobe_mode(&kp));
	r = run_case(c);
	unregister_kprobe(&kp);
	if (!with_post && strcmp(mode, c->mode))
		ktest_fail(__FILE__, __LINE__, "%s[%d]: mode %s, expected %s", c->sym, c->idx,
			   mode, c->mode);
	if (with_post && !strcmp(mode, "boost"))
		ktest_fail(__FILE__, __LINE__, "%s[%d]: boosted despite a post_handler", c->sym, c->idx);
	if (r != (c->change != NONE ? c->expect_changed : c->expect) &&
	    !(c->change == SET_AX_POST && !with_post && r == c->expect))
		ktest_fail(__FILE__, __LINE__, "%s[%d]%s: result %#lx, expected %#lx", c->sym,
			   c->idx, with_post ? " +post" : "", r,
			   c->change != NONE ? c->expect_changed : c->expect);
	/* the loop insn runs a times; a faulting insn never completes (no post) */
	want_pre = strcmp(c->sym, "pt_loop") ? 1 : (int)c->a;
	want_post = !with_post || c->expect == (uint64_t)-14 ? 0 : want_pre;
	if (pre_hits != want_pre || post_hits != want_post)
		ktest_fail(__FILE__, __LINE__, "%s[%d]: %d pre and %d post hits, expected %d and %d",
			   c->sym, c->idx, pre_hits, post_hits, want_pre, want_post);
	if (!strcmp(c->sym, "pt_rep_movs") && memcmp(copy_dst, copy_src, c->c))
		ktest_fail(__FILE__, __LINE__, "rep movsb copied wrongly");
}

KTEST(kprobe_classes, each_class_pre_only)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* a post-handler-only change needs the post handler */
		if (cases[i].change == SET_AX_POST) {
			int saved = cases[i].change;

			cases[i].change = NONE;
			check_case(&cases[i], false);
			cases[i].change = saved;
		} else {
			check_case(&cases[i], false);
		}
	}
}

KTEST(kprobe_classes, each_class_with_post_handler)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i], true);
}

/* ---- probe every instruction ---- */

struct every_target {
	const char *sym;
	uint64_t a, b, c;
};

static const struct every_target every[] = {
	{ "pt_riprel_load", 0, 0, 0 }, { "pt_riprel_store", 5, 0, 0 }, { "pt_riprel_lea", 0, 0, 0 },
	{ "pt_call_rel", 1, 0, 0 }, { "pt_call_reg", 2, 0, 0 }, { "pt_call_mem", 3, 0, 0 },
	{ "pt_jmp_rel8", 0, 0, 0 }, { "pt_jmp_rel32", 0, 0, 0 }, { "pt_jmp_reg", 0, 0, 0 }, { "pt_jcc8", 2, 0, 0 },
	{ "pt_jcc32", 0, 0, 0 }, { "pt_ret_imm", 8, 0, 0 }, { "pt_push_pop", 4, 0, 0 }, { "pt_pushf", 0, 0, 0 },
	{ "pt_popf", 0, 0, 0 }, { "pt_cli", 0, 0, 0 }, { "pt_sti", 0, 0, 0 }, { "pt_cmov", 1, 5, 6 }, { "pt_loop", 5, 0, 0 },
	{ "kp_target_fib", 7, 0, 0 }, { "kp_target_add_indirect", 3, 4, 0 }, { "strrchr", 0, 0, 0 },
	{ "kstrtou64", 0, 0, 0 }, { "strstr", 0, 0, 0 },
};

#define EVERY_MAX 160

struct every_state {
	struct kprobe kp[EVERY_MAX];
	unsigned long hits[EVERY_MAX];
	int n;
};

static uint64_t every_call(const struct every_target *t)
{
	static const char pattern[] = "e1000_*x", name[] = "e1000_rx", num[] = "0x1f2e";
	static uint64_t out;

	if (!strcmp(t->sym, "strrchr"))
		return call3(t->sym, (uint64_t)pattern, '_', 0) - (uint64_t)pattern;
	if (!strcmp(t->sym, "kstrtou64"))
		return call3(t->sym, (uint64_t)num, (uint64_t)&out, 0) + out;
	if (!strcmp(t->sym, "strstr"))
		return call3(t->sym, (uint64_t)name, (uint64_t)"rx", 0) - (uint64_t)name;
	return call3(t->sym, t->a, t->b, t->c);
}

static struct every_state es;

static void probe_every(const struct every_target *t)
{
	uint64_t start = kallsyms_lookup_name(t->sym), off, want = every_call(t);
	const struct ksym *s = kallsyms_lookup(start, &off);
	uint8_t before[512];
	size_t size = s ? min((size_t)s->size, sizeof(before)) : 0;
	struct insn insn;
	int registered = 0;

	if (!s) {
		ktest_fail(__FILE__, __LINE__, "%s: no symbol", t->sym);
		return;
	}
	memcpy(before, (void *)start, size);
	es.n = 0;
	/* one at a time */
	for (uint64_t pc = start; pc < start + s->size && es.n < EVERY_MAX; pc += insn.len) {
		struct kprobe *kp = &es.kp[es.n];
		uint64_t r;
		int err;

		if (decode_orig(&insn, pc))
			break;
		*kp = (struct kprobe){ .addr = (uint8_t *)pc };
		err = register_kprobe(kp);
		if (err == -EOPNOTSUPP)
			continue;
		if (err) {
			ktest_fail(__FILE__, __LINE__, "%s+%#lx: register %d", t->sym, pc - start, err);
			continue;
		}
		r = every_call(t);
		es.hits[es.n] = kprobe_nhit(kp);
		unregister_kprobe(kp);
		if (r != want)
			ktest_fail(__FILE__, __LINE__, "%s+%#lx (%s): result %#lx, expected %#lx",
				   t->sym, pc - start, kprobe_mode_name(kprobe_mode(kp)), r, want);
		es.n++;
	}
	/* all at once: same result, same hit counts */
	for (int i = 0; i < es.n; i++) {
		es.kp[i] = (struct kprobe){ .addr = es.kp[i].addr };
		registered += !register_kprobe(&es.kp[i]);
	}
	if (registered != es.n)
		ktest_fail(__FILE__, __LINE__, "%s: %d of %d registered at once", t->sym, registered, es.n);
	if (every_call(t) != want)
		ktest_fail(__FILE__, __LINE__, "%s: wrong result with all probes", t->sym);
	for (int i = 0; i < es.n; i++) {
		if (kprobe_nhit(&es.kp[i]) != es.hits[i])
			ktest_fail(__FILE__, __LINE__, "%s+%#lx: %lu hits together, %lu alone", t->sym,
				   (uint64_t)es.kp[i].addr - start, kprobe_nhit(&es.kp[i]), es.hits[i]);
		unregister_kprobe(&es.kp[i]);
	}
	if (es.n == 0 || es.hits[0] == 0)
		ktest_fail(__FILE__, __LINE__, "%s: the first instruction never hit", t->sym);
	if (memcmp(before, (void *)start, size))
		ktest_fail(__FILE__, __LINE__, "%s: text differs after unregistering", t->sym);
}

KTEST(kprobe_every, every_instruction)
{
	for (size_t i = 0; i < ARRAY_SIZE(every); i++)
		probe_every(&every[i]);
}
