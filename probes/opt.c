/*
 * Jump-optimized probes: where a site has no post_handler, the whole
 * instructions covering 5 bytes at it become a `jmp rel32` to a detour
 * (opt_detour.asm + a relocated copy of them, opt_reloc.c) that runs the
 * pre-handlers without a trap.
 *
 * A site is always an int3 probe first. The optimizer (deferred: it runs
 * after the console command that changed a site, or on kprobes_optimize())
 * proves the range safe (opt_analyze), builds the detour, sends int3 hits
 * there too (mode OPTIMIZED: the copy runs the whole range, so no CPU
 * resumes between its instructions any more), waits until no CPU is
 * stopped inside the range, and writes the jmp with text_poke's int3-first
 * protocol. Undoing it writes the int3 and the original bytes back the same
 * way; int3 hits still go to the copy until the bytes are whole again.
 * Detours live as long as their site and are freed after a grace period.
 *
 * Where 5 bytes are not to be had (a branch target, a call or the function's
 * end among them) but the probed instruction has 2, the short form: a
 * `jmp rel8` over it to an island, 5 bytes of dead padding nearby that hold
 * the `jmp rel32`, written before the rel8 and put back after it is gone and
 * no CPU is left on the island. The copy then holds that one instruction.
 */
#include "kprobes_internal.h"
#include "opt_reloc.h"
#include "console.h"
#include "kallsyms.h"
#include "mm.h"

#define CELL_SIZE	512
#define CELLS_PER_PAGE	(PAGE_SIZE / CELL_SIZE)

extern const uint8_t optprobe_template[], optprobe_template_ip[], optprobe_template_site[],
	optprobe_template_copy[], optprobe_template_call[], optprobe_template_end[],
	optprobe_template_ret[], optprobe_template_slow_ret[], optprobe_template_kret[],
	optprobe_template_kret_site[], optprobe_template_kret_call[], opt_kret_entry[];

/* opt_detour.asm's and opt_kret_entry.asm's view of the structures they read and write */
DETOUR_OFFSET(struct percpu, trap_depth, 20);
DETOUR_OFFSET(struct percpu, probe_state, 40);
DETOUR_OFFSET(struct percpu, kprobe_hits, 88);
DETOUR_OFFSET(struct kprobe_ctlblk, cur.status, 0);
DETOUR_OFFSET(struct kprobe_ctlblk, cur.site, 8);
DETOUR_OFFSET(struct kprobe_ctlblk, running, 48);
DETOUR_OFFSET(struct kprobe_ctlblk, trap_regs, 56);
DETOUR_OFFSET(struct kprobe_ctlblk, counts, 88);
DETOUR_OFFSET(struct kprobe, pre_handler, 24);
DETOUR_OFFSET(struct kprobe, count_off, 64);
DETOUR_OFFSET(struct kprobe_site, opt_solo, 192);
DETOUR_OFFSET(struct pt_regs, ip, 128);
DETOUR_OFFSET(struct kprobe_count, nhit, 0);
DETOUR_OFFSET(struct kprobe_count, ret_nmissed, 24);
DETOUR_OFFSET(struct percpu, cpu, 8);
DETOUR_OFFSET(struct kprobe_ctlblk, ret_stack, 80);
DETOUR_OFFSET(struct kprobe_site, opt_kret, 200);
DETOUR_OFFSET(struct kretprobe, kp, 0);
DETOUR_OFFSET(struct kretprobe, pool, 160);
DETOUR_OFFSET(struct kretprobe_instance, ret_addr, 8);
DETOUR_OFFSET(struct kretprobe_instance, fp, 16);
DETOUR_OFFSET(struct kretprobe_instance, next, 24);
DETOUR_OFFSET(struct kretprobe_instance, state, 32);
_Static_assert(KPROBE_HIT_ACTIVE == 1, "opt_detour.asm: the status value it writes");

struct opt_detour {
	struct kprobe_site *site;
	uint8_t *cell;			/* template, then the copy */
	unsigned int copy_len;
	struct opt_plan plan;
	uint8_t map[OPT_MAX_INSNS];	/* offset of each relocated instruction in the copy */
	bool live;			/* the jmp is in the text */
	uint64_t island;		/* short form: where its jmp rel32 is written, or 0 */
	uint8_t island_orig[OPT_JMP_LEN];	/* the padding it was */
	struct opt_detour *next;	/* all detours (opt_read_orig) */
};

struct cell_page {
	uint8_t *base;
	struct opt_detour *owner[CELLS_PER_PAGE];
	struct cell_page *next;
};

static struct cell_page *cell_pages;
static struct opt_detour *detours;
static bool opt_on = true;
static bool pending;	/* a site changed since the last pass */

/* ---- detour cells: pages near the text, never freed (the fault path walks them) ---- */

static uint8_t *cell_alloc(struct opt_detour *d)
{
	struct cell_page *pg;

	for (pg = cell_pages; pg; pg = pg->next)
		for (unsigned int i = 0; i < CELLS_PER_PAGE; i++)
			if (!pg->owner[i]) {
				WRITE_ONCE(pg->owner[i], d);
				return pg->base + i * CELL_SIZE;
			}
	pg = kzalloc(sizeof(*pg));
	if (!pg)
		return NULL;
	pg->base = exec_alloc_page();
	if (!pg->base) {
		kfree(pg);
		return NULL;
	}
	pg->owner[0] = d;
	WRITE_ONCE(pg->next, cell_pages);
	smp_store_release(&cell_pages, pg);
	return pg->base;
}

static void cell_free(uint8_t *cell)
{
	static const uint8_t fill[CELL_SIZE] = { [0 ... CELL_SIZE - 1] = INT3 };

	for (struct cell_page *pg = cell_pages; pg; pg = pg->next)
		if ((uint64_t)(cell - pg->base) < PAGE_SIZE) {
			text_poke(cell, fill, CELL_SIZE);
			WRITE_ONCE(pg->owner[(cell - pg->base) / CELL_SIZE], NULL);
			return;
		}
}

/* From the fault path (any context): a fault in a copy is reported at the original. */
__noprobe("hit") bool opt_fault_in_place(struct pt_regs *regs)
{
	for (struct cell_page *pg = READ_ONCE(cell_pages); pg; pg = READ_ONCE(pg->next)) {
		uint64_t off = regs->ip - (uint64_t)pg->base;
		struct opt_detour *d;
		uint64_t copy;

		if (off >= PAGE_SIZE)
			continue;
		d = READ_ONCE(pg->owner[off / CELL_SIZE]);
		if (!d)
			return false;
		copy = d->site->opt_copy;
		if (regs->ip < copy || regs->ip >= copy + d->copy_len - OPT_JMP_LEN)
			return false;
		for (int i = d->plan.ninsn - 1; i >= 0; i--)
			if (regs->ip - copy >= d->map[i]) {
				regs->ip = d->plan.insn[i].addr;
				return true;
			}
		return false;
	}
	return false;
}

/*
 * For stack walkers (trap_frame_like): is ret where a detour's call of a
 * handler or of kprobe_optimized_hit() returns? Then the detour's pt_regs
 * lies just above the callee's frame, as in a trap frame.
 */
__noprobe("hit") bool opt_is_detour_return(uint64_t ret)
{
	for (struct cell_page *pg = READ_ONCE(cell_pages); pg; pg = READ_ONCE(pg->next)) {
		uint64_t off = ret - (uint64_t)pg->base;

		if (off >= PAGE_SIZE)
			continue;
		if (!READ_ONCE(pg->owner[off / CELL_SIZE]))
			return false;
		off %= CELL_SIZE;
		return off == (uint64_t)(optprobe_template_ret - optprobe_template) ||
		       off == (uint64_t)(optprobe_template_slow_ret - optprobe_template);
	}
	return false;
}

/* ---- islands: the short form's jmp rel32, in dead padding within rel8 reach ---- */

static bool is_short(const struct opt_plan *plan)
{
	return plan->len < OPT_JMP_LEN;
}

static unsigned int patch_len(const struct opt_detour *d)
{
	return is_short(&d->plan) ? OPT_SHORT_JMP_LEN : OPT_JMP_LEN;
}

/* Does a detour other than self write a at the moment (its jmp or its island)? */
static bool written_by_other(uint64_t a, const struct opt_detour *self)
{
	if (!opt_is_written(a))
		return false;
	for (const struct opt_detour *d = detours; d; d = d->next) {
		if (d == self)
			continue;
		if (d->island && a - d->island < OPT_JMP_LEN)
			return true;
		if (d->live && a - d->plan.addr < patch_len(d))
			return true;
	}
	return false;
}

static bool island_free(uint64_t a, const struct opt_detour *self)
{
	for (unsigned int i = 0; i < OPT_JMP_LEN; i++)
		if (!opt_is_dead(a + i) || site_lookup(a + i) || written_by_other(a + i, self))
			return false;
	return true;
}

/*
 * 5 free dead bytes a jmp rel8 at addr reaches, or 0. The highest: the end
 * of a run of padding, away from its start, which a range ending in the
 * jmp or ret before it may need.
 */
static uint64_t island_find(uint64_t addr, const struct opt_detour *self)
{
	uint64_t next = addr + OPT_SHORT_JMP_LEN;

	for (int64_t rel = 127; rel >= -128; rel--)
		if (island_free(next + rel, self))
			return next + rel;
	return 0;
}

/* Only fall-through may enter the replaced bytes after the first, and nothing else writes them. */
static enum opt_reason check_inside(const struct opt_plan *plan, const struct opt_detour *self,
				    uint64_t *bad)
{
	for (unsigned int i = 1; i < plan->len; i++) {
		*bad = plan->addr + i;
		if (opt_is_target(plan->addr + i))
			return OPT_BRANCH_TARGET;
		if (site_lookup(plan->addr + i) || written_by_other(plan->addr + i, self))
			return OPT_OTHER_PROBE;
	}
	*bad = plan->addr;
	return OPT_OK;
}

static enum opt_reason plan_in(const struct ksym *sym, enum opt_reason r,
			       const struct opt_plan *plan, const struct opt_detour *self,
			       uint64_t *bad)
{
	uint64_t off;

	if (r != OPT_OK)
		return r;
	if (kallsyms_lookup(plan->addr + plan->len - 1, &off) != sym &&
	    plan->len <= sym->addr + sym->size - plan->addr)
		return OPT_NO_ROOM;	/* another symbol (an asm label) starts inside */
	return check_inside(plan, self, bad);
}

/*
 * Can a jmp at addr replace whole instructions up to >= 5 bytes (full)?
 * Stays in one function of the image, nothing but fall-through enters the
 * bytes after the first, each instruction keeps its meaning when copied,
 * no other probe sits inside. If not, the short form: the instruction at
 * addr alone, reaching its detour through *island. A refusal reports the
 * full form's reason (it is what a probe here would have been); *bad:
 * where it applies. The bytes of a detour of a site at addr do not count.
 */
static enum opt_reason analyze(uint64_t addr, bool full, struct opt_plan *plan, uint64_t *bad,
			       uint64_t *island)
{
	const struct kprobe_site *own = site_lookup(addr);
	const struct opt_detour *self = own ? own->opt : NULL;
	uint8_t buf[OPT_MAX_RANGE];
	const struct ksym *sym;
	enum opt_reason r = OPT_NO_ROOM, rs;
	uint64_t off, sbad;
	size_t n, pad;

	*bad = addr;
	*island = 0;
	if (!opt_in_image(addr))
		return OPT_MODULE;
	sym = kallsyms_lookup(addr, &off);
	if (!sym || off >= sym->size)
		return OPT_NO_ROOM;
	if (opt_targets_init())
		return OPT_INSN;
	n = min((uint64_t)sizeof(buf), sym->size - off);
	pad = opt_padding_after(sym, sizeof(buf) - n);
	kprobe_read_orig(addr, buf, n + pad);
	if (full) {
		r = plan_in(sym, opt_plan_range(plan, buf, n, pad, addr, bad), plan, self, bad);
		if (r == OPT_OK)
			return OPT_OK;
	}
	rs = plan_in(sym, opt_plan_short(plan, buf, n, addr, &sbad), plan, self, &sbad);
	if (rs == OPT_OK) {
		*island = island_find(addr, self);
		if (*island) {
			*bad = addr;
			return OPT_OK;
		}
		rs = OPT_NO_ROOM;
	}
	if (!full)
		*bad = sbad;
	return full ? r : rs;
}

enum opt_reason opt_analyze(uint64_t addr, struct opt_plan *plan, uint64_t *bad)
{
	uint64_t island;

	return analyze(addr, true, plan, bad, &island);
}

/* ---- building, installing and removing a detour ---- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int build(struct kprobe_site *s, const struct opt_plan *plan)
{
	size_t tlen = optprobe_template_end - optprobe_template;
	uint8_t buf[CELL_SIZE];
	struct opt_detour *d;
	uint64_t base, call;
	int n;

	if (tlen + OPT_COPY_MAX > CELL_SIZE)
		return -ENOSPC;
	d = kzalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->site = s;
	d->plan = *plan;
	d->cell = cell_alloc(d);
	if (!d->cell) {
		kfree(d);
		return -ENOMEM;
	}
	base = (uint64_t)d->cell;
	memset(buf, INT3, sizeof(buf));
	memcpy(buf, optprobe_template, tlen);
	put32(buf + (optprobe_template_ip - optprobe_template) + 1, (uint32_t)s->addr);
	memcpy(buf + (optprobe_template_site - optprobe_template) + 2, &s, 8);
	memcpy(buf + (optprobe_template_kret_site - optprobe_template) + 2, &s, 8);
	call = optprobe_template_kret_call - optprobe_template;
	put32(buf + call + 1, (uint32_t)((uint64_t)opt_kret_entry - (base + call + 5)));
	put32(buf + (optprobe_template_copy - optprobe_template) - 4, (uint32_t)(base + tlen));
	call = optprobe_template_call - optprobe_template;
	put32(buf + call + 1, (uint32_t)((uint64_t)kprobe_optimized_hit - (base + call + 5)));
	n = opt_relocate(plan, base + tlen, buf + tlen, d->map);
	if (n < 0) {
		cell_free(d->cell);
		kfree(d);
		return n;
	}
	d->copy_len = n;
	text_poke(d->cell, buf, tlen + n);
	s->opt_copy = base + tlen;
	s->opt = d;
	d->next = detours;
	detours = d;
	return 0;
}

static bool wanted(const struct kprobe_site *s)
{
	return opt_on && s->armed && !s->has_post;
}

/*
 * Where the jmp goes: a site with a plain kretprobe when it is optimized
 * enters by the detour's kretprobe entry (which falls back to the full
 * detour whenever the site has changed since); any other by the full one.
 */
static uint64_t detour_entry(const struct kprobe_site *s)
{
	uint64_t base = (uint64_t)s->opt->cell;

	if (READ_ONCE(s->opt_kret))
		return base + (optprobe_template_kret - optprobe_template);
	return base;
}

static bool optimize(struct kprobe_site *s)
{
	struct opt_detour *d = s->opt;
	uint8_t jmp[OPT_JMP_LEN] = { 0xe9 };
	struct opt_plan plan;
	uint64_t bad, island;

	/* a detour built for the short form keeps it: its copy holds one instruction */
	if (analyze(s->addr, !d || !is_short(&d->plan), &plan, &bad, &island) != OPT_OK) {
		s->opt_refused = true;
		return false;
	}
	if (!d && build(s, &plan))
		return false;
	d = s->opt;
	if (d->plan.len != plan.len)
		return false;	/* a neighbour probe came: the full form's copy no longer fits */
	if (island) {
		/* nothing runs the padding yet: the rel8 that leads there is written last */
		memcpy(d->island_orig, (const void *)island, OPT_JMP_LEN);
		put32(jmp + 1, (uint32_t)(detour_entry(s) - (island + OPT_JMP_LEN)));
		text_poke((void *)island, jmp, OPT_JMP_LEN);
		d->island = island;
		opt_set_written(island, OPT_JMP_LEN, true);
		jmp[0] = 0xeb;
		jmp[1] = (uint8_t)(island - (s->addr + OPT_SHORT_JMP_LEN));
	} else {
		put32(jmp + 1, (uint32_t)(detour_entry(s) - (s->addr + OPT_JMP_LEN)));
	}
	site_set_mode(s, KPROBE_MODE_OPTIMIZED);
	synchronize_cpus_outside(s->addr + 1, s->addr + plan.len);
	text_poke((void *)s->addr, jmp, patch_len(d));	/* over the int3 that is there */
	d->live = true;
	opt_set_written(s->addr, patch_len(d), true);
	return true;
}

/* Back to the int3 probe; the mode follows once the bytes are whole. */
static void unoptimize(struct kprobe_site *s)
{
	struct opt_detour *d = s->opt;
	uint8_t b[OPT_JMP_LEN];

	if (!d || !d->live)
		return;
	memcpy(b, d->plan.orig, patch_len(d));
	b[0] = INT3;
	text_poke((void *)s->addr, b, patch_len(d));
	d->live = false;
	opt_set_written(s->addr, patch_len(d), false);
	site_set_mode(s, kprobe_class_mode(s->cls, &s->insn, s->has_post));
	if (d->island) {
		/* a CPU interrupted on the island resumes there (into the cell, still there) */
		synchronize_cpus_outside(d->island, d->island + OPT_JMP_LEN);
		text_poke((void *)d->island, d->island_orig, OPT_JMP_LEN);
		opt_set_written(d->island, OPT_JMP_LEN, false);
		d->island = 0;
	}
}

void opt_site_changed(struct kprobe_site *s)
{
	if (!wanted(s)) {
		unoptimize(s);
		return;
	}
	if (!s->opt || !s->opt->live)
		pending = true;
}

void opt_disarm(struct kprobe_site *s)
{
	unoptimize(s);
}

enum kprobe_mode opt_site_mode(const struct kprobe_site *s, enum kprobe_mode m)
{
	return s->opt && s->opt->live ? KPROBE_MODE_OPTIMIZED : m;
}

/* A new probe inside an optimized range: that jmp must go first. */
void opt_before_new_site(uint64_t addr)
{
	for (struct opt_detour *d = detours; d; d = d->next)
		if ((d->live && addr - d->plan.addr - 1 < d->plan.len - 1) ||
		    (d->island && addr - d->island < OPT_JMP_LEN))
			unoptimize(d->site);
}

static bool busy_on_any_cpu(const struct kprobe_site *s)
{
	for (unsigned int c = 0; c < num_cpus(); c++) {
		const struct kprobe_ctlblk *ctl = cpu_percpu(c)->probe_state;

		if (READ_ONCE(ctl->cur.status) != KPROBE_IDLE && READ_ONCE(ctl->cur.site) == s)
			return true;
	}
	return false;
}

/* After the site's grace period: no CPU can enter the detour any more. */
void opt_site_free(struct kprobe_site *s)
{
	struct opt_detour *d = s->opt, **pp;

	if (!d)
		return;
	/* a handler spinning on a lock answered the grace period: it returns into the cell */
	while (busy_on_any_cpu(s))
		cpu_relax();
	for (pp = &detours; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	cell_free(d->cell);
	s->opt = NULL;
	kfree(d);
}

void opt_read_orig(uint64_t addr, uint8_t *buf, size_t n)
{
	for (const struct opt_detour *d = detours; d; d = d->next) {
		for (unsigned int i = 0; d->live && i < patch_len(d); i++)
			if (d->plan.addr + i - addr < n)
				buf[d->plan.addr + i - addr] = d->plan.orig[i];
		for (unsigned int i = 0; d->island && i < OPT_JMP_LEN; i++)
			if (d->island + i - addr < n)
				buf[d->island + i - addr] = d->island_orig[i];
	}
}

/* ---- the optimizer ---- */

struct pass {
	bool retry;	/* also the sites refused before (their neighbours may have gone) */
	int done;
};

static int optimize_site(struct kprobe_site *s, void *arg)
{
	struct pass *ps = arg;

	if (ps->retry)
		s->opt_refused = false;
	if (wanted(s) && !s->opt_refused && !(s->opt && s->opt->live) && optimize(s))
		ps->done++;
	return 0;
}

static int optimizer_pass(bool retry)
{
	struct pass ps = { retry, 0 };

	pending = false;
	if (opt_on)
		site_for_each(optimize_site, &ps);
	return ps.done;
}

int kprobes_optimize(void)
{
	return optimizer_pass(true);
}
EXPORT_SYMBOL(kprobes_optimize);

static int unoptimize_site(struct kprobe_site *s, void *arg)
{
	(void)arg;
	unoptimize(s);
	return 0;
}

void kprobes_set_optimization(bool on)
{
	opt_on = on;
	if (!on)
		site_for_each(unoptimize_site, NULL);
	else
		kprobes_optimize();
}
EXPORT_SYMBOL(kprobes_set_optimization);

bool kprobes_optimization(void)
{
	return opt_on;
}
EXPORT_SYMBOL(kprobes_optimization);

static void opt_after_command(void)
{
	if (pending)
		optimizer_pass(false);
}

static int opt_init(void)
{
	console_after_command_set(opt_after_command);
	return opt_targets_init();
}
INITCALL(opt_init, 2);
