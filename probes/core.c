/*
 * Registering and removing probes: resolve, check, copy the instruction to a
 * slot, enter it in the table, and patch int3 over it with text_poke; undo
 * it all exactly on removal. Several probes at one address share a site;
 * their handlers run in registration order.
 */
#include "kprobes_internal.h"
#include "kallsyms.h"
#include "mm.h"

extern const char _etext[];

static struct kprobe_ctlblk ctlblks[MAX_CPUS];

/* Writers must not run from inside the hit path (a handler): state is mid-change. */
bool kprobe_writer_context_ok(void)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	return ctl && ctl->cur.status == KPROBE_IDLE;
}

/*
 * Wait until no CPU can still hold a pointer it found in the table before
 * the caller unpublished something. Readers only exist inside the int3/#DB
 * path and the return handlers, which run with interrupts off, and in the
 * out-of-line slots: a grace period (synchronize_cpus) waits out exactly
 * those. Writers must not be readers themselves.
 */
void synchronize_kprobes(void)
{
	BUG_ON(!kprobe_writer_context_ok());
	synchronize_cpus();
}

static int resolve(struct kprobe *p, uint64_t *addr)
{
	uint64_t base;

	if (p->symbol_name && p->addr)
		return -EINVAL;
	if (p->symbol_name) {
		base = kallsyms_lookup_name(p->symbol_name);
		if (!base)
			return -ENOENT;
	} else if (p->addr) {
		base = (uint64_t)p->addr;
	} else {
		return -EINVAL;
	}
	*addr = base + p->offset;
	return 0;
}

/* Text as it was before any probe: armed sites' int3 bytes put back. */
size_t kprobe_read_orig(uint64_t addr, uint8_t *buf, size_t n)
{
	n = min(n, (size_t)((uint64_t)_etext - addr));
	memcpy(buf, (const void *)addr, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == INT3) {
			struct kprobe_site *s = site_lookup(addr + i);

			if (s && s->armed)
				buf[i] = s->orig[0];
		}
	}
	opt_read_orig(addr, buf, n);
	return n;
}

static int decode_at(uint64_t addr, struct insn *insn)
{
	uint8_t buf[INSN_MAX_LEN];
	size_t n = kprobe_read_orig(addr, buf, sizeof(buf));

	return insn_decode(insn, buf, n, addr) ? -EILSEQ : 0;
}

/* Decode from the start of the enclosing function: addr must be where an instruction starts. */
static int check_boundary(uint64_t addr, struct insn *insn)
{
	uint64_t off, pc;
	const struct ksym *sym = kallsyms_lookup(addr, &off);

	if (!sym)
		return -EINVAL;
	for (pc = sym->addr; pc < addr; pc += insn->len)
		if (decode_at(pc, insn))
			return -EILSEQ;
	if (pc != addr)
		return -EILSEQ;
	return decode_at(addr, insn);
}

enum insn_probe_class kprobe_insn_class(uint64_t addr, const struct insn *insn, const char **why)
{
	enum insn_probe_class cls = insn_probe_class(insn, why);

	/* a boosted copy faulting in its slot would miss the extable fixup */
	if (cls == INSN_CLASS_BOOST && in_exception_table(addr)) {
		if (why)
			*why = "exception-table entry";
		return insn->rip_relative ? INSN_CLASS_STEP_RIPREL : INSN_CLASS_STEP;
	}
	return cls;
}

enum kprobe_mode kprobe_class_mode(enum insn_probe_class cls, const struct insn *insn, bool post)
{
	switch (cls) {
	case INSN_CLASS_EMULATE:
		return KPROBE_MODE_EMULATE;
	case INSN_CLASS_BOOST:
		/* post-handlers need the #DB after the instruction */
		if (!post)
			return KPROBE_MODE_BOOST;
		return insn->rip_relative ? KPROBE_MODE_STEP_RIPREL : KPROBE_MODE_STEP;
	case INSN_CLASS_STEP_RIPREL:
		return KPROBE_MODE_STEP_RIPREL;
	case INSN_CLASS_STEP_FIXUP:
		return KPROBE_MODE_STEP_FIXUP;
	default:
		return KPROBE_MODE_STEP;
	}
}

/*
 * The asm hit paths call opt_solo's pre-handler without looking at its
 * flags, so it is set only while that probe is enabled: every writer of
 * KPROBE_FLAG_DISABLED after registering calls this. A hit racing the
 * write runs the handler once more, as one that read the flag just before
 * it was set would.
 */
void site_set_solo(struct kprobe_site *s)
{
	struct kprobe *p = s->probes;

	if (!p || p->next || !p->pre_handler || (p->flags & KPROBE_FLAG_DISABLED))
		p = NULL;
	WRITE_ONCE(s->opt_solo, p);
	WRITE_ONCE(s->opt_kret, p && p->pre_handler == kretprobe_pre_handler &&
		   !container_of(p, struct kretprobe, kp)->entry_handler ?
		   container_of(p, struct kretprobe, kp) : NULL);
}

static enum kprobe_mode site_mode(struct kprobe_site *s)
{
	const struct kprobe *p;
	bool post = false;

	for (p = s->probes; p; p = p->next)
		post |= p->post_handler != NULL;
	s->has_post = post;
	site_set_solo(s);
	return opt_site_mode(s, kprobe_class_mode(s->cls, &s->insn, post));
}

/* The copy: the instruction (rip-relative operand re-aimed), then for boostable ones a jmp back. */
static int prepare_slot(struct kprobe_site *s)
{
	uint8_t buf[SLOT_SIZE];
	uint64_t slot;
	unsigned int len = s->insn.len;

	if (s->cls == INSN_CLASS_EMULATE)
		return 0;
	s->slot = slot_alloc(s);
	if (!s->slot)
		return -ENOMEM;
	slot = (uint64_t)s->slot;
	memset(buf, INT3, sizeof(buf));
	memcpy(buf, s->orig, len);
	if (s->insn.rip_relative) {
		int64_t disp = s->insn.disp + (int64_t)(s->addr - slot);
		int32_t d32 = (int32_t)disp;

		if (disp != d32)
			return -ERANGE;
		memcpy(buf + s->insn.disp_offset, &d32, 4);
	}
	if (s->cls == INSN_CLASS_BOOST) {
		int32_t rel = (int32_t)((s->addr + len) - (slot + len + 5));

		buf[len] = 0xe9;
		memcpy(buf + len + 1, &rel, 4);
	}
	text_poke(s->slot, buf, sizeof(buf));
	return 0;
}

/*
 * Taking a faulted probe out of service, and the guarded call handlers that
 * run outside the int3 path use: both run once a probe is active (a probe
 * hit in here is a reentry), so they are not blacklisted.
 */
void kprobe_disable_faulted(struct kprobe *p, const char *what)
{
	char sym[96];

	p->flags |= KPROBE_FLAG_GONE | KPROBE_FLAG_DISABLED;
	site_set_solo(p->site);
	kprobe_counters.faults++;
	pr_err("kprobe at %s: %s faulted; probe disabled\n",
	       kallsyms_sprint((uint64_t)p->addr, sym, sizeof(sym)), what);
	site_disarm_if_unused(p->site);
}

bool kprobe_call_guarded(struct kprobe *p, const char *what, void *fn,
			 uint64_t a0, uint64_t a1, uint64_t *ret)
{
	uint64_t args[6] = { a0, a1 };
	bool faulted;

	*ret = call_guarded((uint64_t)fn, args, &faulted);
	if (faulted)
		kprobe_disable_faulted(p, what);
	return !faulted;
}

static bool any_enabled(const struct kprobe_site *s)
{
	for (const struct kprobe *p = s->probes; p; p = p->next)
		if (!(p->flags & KPROBE_FLAG_DISABLED))
			return true;
	return false;
}

static void arm(struct kprobe_site *s)
{
	static const uint8_t int3 = INT3;

	if (!s->armed && any_enabled(s)) {
		text_poke((void *)s->addr, &int3, 1);
		s->armed = true;
	}
}

static void disarm(struct kprobe_site *s)
{
	if (s->armed) {
		opt_disarm(s);
		text_poke((void *)s->addr, s->orig, 1);
		s->armed = false;
	}
}

void site_disarm_if_unused(struct kprobe_site *s)
{
	if (!any_enabled(s))
		disarm(s);
}

static void site_free(struct kprobe_site *s)
{
	opt_site_free(s);
	if (s->slot)
		slot_free(s->slot);
	kfree(s);
}

static int new_site(uint64_t addr, struct kprobe_site **out)
{
	struct kprobe_site *s = kzalloc(sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->addr = addr;
	err = check_boundary(addr, &s->insn);
	if (!err) {
		s->cls = kprobe_insn_class(addr, &s->insn, NULL);
		if (s->cls == INSN_CLASS_REFUSE)
			err = -EOPNOTSUPP;
	}
	if (err) {
		kfree(s);
		return err;
	}
	s->fixups = insn_step_fixups(&s->insn);
	kprobe_read_orig(addr, s->orig, s->insn.len);
	err = prepare_slot(s);
	if (err) {
		site_free(s);
		return err;
	}
	*out = s;
	return 0;
}

static bool registered(const struct kprobe *p)
{
	struct kprobe_site *s = p->site;

	if (!s || site_lookup((uint64_t)p->addr) != s)
		return false;
	for (const struct kprobe *q = s->probes; q; q = q->next)
		if (q == p)
			return true;
	return false;
}

int register_kprobe(struct kprobe *p)
{
	struct kprobe_site *s;
	struct kprobe **tail;
	uint64_t addr;
	int err;

	if (!p)
		return -EINVAL;
	if (!kprobe_writer_context_ok())
		return -EBUSY;
	if (registered(p))
		return -EEXIST;
	err = resolve(p, &addr);
	if (err)
		return err;
	if (!is_kernel_text(addr) || kprobe_blacklisted(addr))
		return -EINVAL;
	err = kprobe_counter_get(p);
	if (err)
		return err;
	s = site_lookup(addr);
	if (!s) {
		opt_before_new_site(addr);
		err = new_site(addr, &s);
		if (err) {
			kprobe_counter_put(p);	/* never published: nobody counted in it */
			return err;
		}
		site_insert(s);
	}
	p->addr = (uint8_t *)addr;
	p->site = s;
	p->next = NULL;
	p->flags &= KPROBE_FLAG_DISABLED;
	for (tail = &s->probes; *tail; tail = &(*tail)->next)
		;
	WRITE_ONCE(*tail, p);	/* complete before the hit path can see it */
	site_set_mode(s, site_mode(s));
	arm(s);
	opt_site_changed(s);
	return 0;
}
EXPORT_SYMBOL(register_kprobe);

void unregister_kprobe(struct kprobe *p)
{
	struct kprobe_site *s;
	struct kprobe **pp;

	if (!p || !registered(p) || !kprobe_writer_context_ok())
		return;
	s = p->site;
	for (pp = &s->probes; *pp != p; pp = &(*pp)->next)
		;
	WRITE_ONCE(*pp, p->next);
	p->site = NULL;
	p->next = NULL;
	if (s->probes) {
		site_set_mode(s, site_mode(s));
		site_disarm_if_unused(s);
		opt_site_changed(s);
		synchronize_kprobes();	/* the caller may free p once we return */
		kprobe_counter_put(p);
		return;
	}
	/* last one: restore the text, unpublish, wait out readers, free */
	WRITE_ONCE(s->opt_solo, NULL);
	WRITE_ONCE(s->opt_kret, NULL);
	disarm(s);
	site_remove(s);
	synchronize_kprobes();
	kprobe_counter_put(p);
	site_free(s);
}
EXPORT_SYMBOL(unregister_kprobe);

int register_kprobes(struct kprobe **kps, int num)
{
	if (!kps || num <= 0)
		return -EINVAL;
	for (int i = 0; i < num; i++) {
		int err = register_kprobe(kps[i]);

		if (err) {
			unregister_kprobes(kps, i);
			return err;
		}
	}
	return 0;
}
EXPORT_SYMBOL(register_kprobes);

void unregister_kprobes(struct kprobe **kps, int num)
{
	for (int i = 0; kps && i < num; i++)
		unregister_kprobe(kps[i]);
}
EXPORT_SYMBOL(unregister_kprobes);

int enable_kprobe(struct kprobe *p)
{
	if (!p || !registered(p))
		return -EINVAL;
	p->flags &= ~(KPROBE_FLAG_DISABLED | KPROBE_FLAG_GONE);
	site_set_solo(p->site);
	arm(p->site);
	opt_site_changed(p->site);
	return 0;
}
EXPORT_SYMBOL(enable_kprobe);

int disable_kprobe(struct kprobe *p)
{
	if (!p || !registered(p))
		return -EINVAL;
	p->flags |= KPROBE_FLAG_DISABLED;
	site_set_solo(p->site);
	site_disarm_if_unused(p->site);
	opt_site_changed(p->site);
	return 0;
}
EXPORT_SYMBOL(disable_kprobe);

enum kprobe_mode kprobe_mode(const struct kprobe *p)
{
	return p->site ? p->site->mode : KPROBE_MODE_STEP;
}

const char *kprobe_mode_name(enum kprobe_mode m)
{
	static const char *const names[] = {
		[KPROBE_MODE_STEP] = "step", [KPROBE_MODE_STEP_RIPREL] = "step-riprel",
		[KPROBE_MODE_STEP_FIXUP] = "step-fixup", [KPROBE_MODE_EMULATE] = "emulate",
		[KPROBE_MODE_BOOST] = "boost", [KPROBE_MODE_OPTIMIZED] = "optimized",
	};

	return m < ARRAY_SIZE(names) ? names[m] : "?";
}

struct kprobe *kprobe_running(void)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	return ctl ? ctl->running : NULL;
}

struct for_each_arg {
	int (*fn)(struct kprobe *p, void *arg);
	void *arg;
};

static int each_site(struct kprobe_site *s, void *arg)
{
	struct for_each_arg *a = arg;

	for (struct kprobe *p = s->probes, *n; p; p = n) {
		int r;

		n = p->next;
		r = a->fn(p, a->arg);
		if (r)
			return r;
	}
	return 0;
}

int kprobe_for_each(int (*fn)(struct kprobe *p, void *arg), void *arg)
{
	struct for_each_arg a = { fn, arg };

	return site_for_each(each_site, &a);
}

static int count_probe(struct kprobe *p, void *arg)
{
	struct kprobe_stats *st = arg;

	st->probes++;
	st->hits += kprobe_nhit(p);
	return 0;
}

void kprobe_get_stats(struct kprobe_stats *st)
{
	*st = kprobe_counters;
	st->misses = 0;
	for (unsigned int c = 0; c < num_cpus(); c++)
		st->misses += READ_ONCE(cpu_percpu(c)->kprobe_misses);
	st->sites = site_count();
	st->table_buckets = site_buckets();
	st->slots_used = slots_in_use();
	st->probes = 0;
	st->hits = 0;
	kprobe_for_each(count_probe, st);
}

/*
 * A grace period's reader, for arch/ipi.c: this CPU is in the hit path
 * (from the moment a hit leaves idle until it is idle again).
 */
static bool cpu_in_hit_path(void)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	return ctl && ctl->cur.status != KPROBE_IDLE;
}

static int kprobe_hooks_init(void)
{
	static const int faults[] = {
		X86_TRAP_DE, X86_TRAP_OF, X86_TRAP_BR, X86_TRAP_UD, X86_TRAP_NM,
		X86_TRAP_TS, X86_TRAP_NP, X86_TRAP_SS, X86_TRAP_GP, X86_TRAP_PF,
		X86_TRAP_MF, X86_TRAP_AC, X86_TRAP_XM,
	};
	int err = trap_hook_register(X86_TRAP_BP, kprobe_int3);

	if (!err)
		err = trap_hook_register(X86_TRAP_DB, kprobe_debug);
	if (!err)
		err = trap_hook_register(X86_TRAP_NMI, kprobe_nmi);
	for (size_t i = 0; !err && i < ARRAY_SIZE(faults); i++)
		err = trap_hook_register(faults[i], kprobe_fault);
	if (!err)
		kprobe_int3_fast_init();	/* kprobe_int3() is #BP's first hook */
	guard_unwind_notifier_set(kprobe_guard_unwound);
	smp_reader_check_set(cpu_in_hit_path);
	return err;
}

static int kprobes_init(void)
{
	int err = site_table_init();

	if (err)
		return err;
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		cpu_percpu(i)->probe_state = &ctlblks[i];
	return kprobe_hooks_init();
}
INITCALL(kprobes_init, 1);
