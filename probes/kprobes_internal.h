/* Shared between the files of the probe engine in probes/ only. */
#ifndef KP_KPROBES_INTERNAL_H
#define KP_KPROBES_INTERNAL_H

#include "arch.h"
#include "insn.h"
#include "kernel.h"
#include "probes.h"

#define SLOT_SIZE	32	/* longest insn (15) + jmp rel32 (5), rounded */
#define INT3		0xcc

/* One per probed address; the probes registered there hang off it. */
struct kprobe_site {
	uint64_t addr;
	struct kprobe_site *hnext[2];	/* hash chain, one link per table generation */
	struct kprobe *probes;		/* in registration order */
	uint8_t *slot;			/* out-of-line copy (NULL when emulated) */
	struct insn insn;		/* the original instruction, decoded */
	enum insn_probe_class cls;
	enum kprobe_mode mode;		/* how it runs now (boost drops to step with a post_handler) */
	uint8_t fast;			/* SITE_FAST_*: mode's one-trap cases, for the hit */
	unsigned int fixups;		/* INSN_FIX_* after a single-step */
	bool armed;			/* int3 is in the text */
	bool has_post;			/* some probe here has a post_handler */
	struct opt_detour *opt;		/* jump optimization (opt.c), NULL if never tried */
	uint64_t opt_copy;		/* its relocated copy: where an int3 hit goes on */
	bool opt_refused;		/* the analysis said no: the idle optimizer skips it */
	/*
	 * The site's one probe when it is the only one, enabled, and has a
	 * pre-handler (else NULL): the asm hit paths call it without C.
	 */
	struct kprobe *opt_solo;
	/*
	 * opt_solo when it is a kretprobe without an entry handler (else
	 * NULL): the detour then does the entry's bookkeeping itself.
	 */
	struct kretprobe *opt_kret;
	uint8_t orig[INSN_MAX_LEN];	/* the bytes the int3 covers, and the rest of the insn */
};

/*
 * The hit tests one byte for its commonest cases before it looks at the
 * mode: a boosted copy, an emulated `ret` with no post-handler, a step.
 */
enum site_fast {
	SITE_FAST_NONE,		/* anything else: the hit reads the mode (and a new site) */
	SITE_FAST_BOOST,
	SITE_FAST_RET,
	SITE_FAST_STEP,		/* any of the single-stepped modes */
};

/*
 * Every change of s->mode goes through here, so fast always agrees with
 * it: a hit that reads a stale fast byte finds the mode it names still
 * valid (going to SITE_FAST_NONE, the byte changes first; leaving it, last).
 */
static inline void site_set_mode(struct kprobe_site *s, enum kprobe_mode m)
{
	uint8_t f = SITE_FAST_NONE;

	if (m == KPROBE_MODE_BOOST)
		f = SITE_FAST_BOOST;
	else if (m == KPROBE_MODE_EMULATE && s->insn.branch == INSN_BR_RET && !s->has_post)
		f = SITE_FAST_RET;
	else if (m == KPROBE_MODE_STEP || m == KPROBE_MODE_STEP_RIPREL || m == KPROBE_MODE_STEP_FIXUP)
		f = SITE_FAST_STEP;
	if (f == SITE_FAST_NONE)
		WRITE_ONCE(s->fast, f);
	WRITE_ONCE(s->mode, m);
	WRITE_ONCE(s->fast, f);
}

/* One probe's counters on one CPU (probes/counters.c); kprobe->counted[] in this order. */
struct kprobe_count {
	unsigned long nhit, nmissed;		/* kprobe_nhit(), kprobe_nmissed() */
	unsigned long ret_nhit, ret_nmissed;	/* kretprobe_nhit(), kretprobe_nmissed() */
};

/* Per-CPU hit-path state (Linux: struct kprobe_ctlblk). */
enum kprobe_status {
	KPROBE_IDLE,
	KPROBE_HIT_ACTIVE,	/* running pre-handlers */
	KPROBE_HIT_SS,		/* single-stepping the copy */
	KPROBE_HIT_SSDONE,	/* running post-handlers */
	KPROBE_REENTER,		/* stepping an insn hit from inside a handler */
};

struct kprobe_saved {
	enum kprobe_status status;
	struct kprobe_site *site;
	uint64_t flags;		/* TF and IF of the probed context */
};

struct kprobe_ctlblk {
	struct kprobe_saved cur, prev;	/* prev: the hit a reentry interrupted */
	struct kprobe *running;		/* probe whose handler is executing */
	struct pt_regs *trap_regs;	/* the int3/#DB frame (or the trampoline's pt_regs)
					 * the handlers run under */
	struct kretprobe_instance *ret_ri;	/* its return handler is running */
	bool in_fault_handler;
	struct kretprobe_instance *ret_stack;	/* pending kretprobe returns */
	char *counts;			/* this CPU's struct kprobe_count array */
	uint64_t last_stray;		/* where the last int3 nobody owned was */
} __aligned(64);	/* one per CPU: no cache line shared between two */

/* One gs-relative load: the hit path starts with it. */
static inline struct kprobe_ctlblk *kprobe_ctl(void)
{
	struct kprobe_ctlblk *ctl;

	asm("mov %%gs:%c1, %0" : "=r"(ctl) : "i"(offsetof(struct percpu, probe_state)));
	return ctl;
}

/* Registering and unregistering are refused from inside a handler (state is mid-change). */
bool kprobe_writer_context_ok(void);

/* p's counters on this CPU (ctl is this CPU's). */
static inline struct kprobe_count *kprobe_count(struct kprobe_ctlblk *ctl, const struct kprobe *p)
{
	return (struct kprobe_count *)(ctl->counts + p->count_off);
}

/* counters.c: a cell for p in every CPU's array; put folds it into p->counted */
int kprobe_counter_get(struct kprobe *p);
void kprobe_counter_put(struct kprobe *p);

/* table.c: address -> site, lock-free lookups (the lookup itself is inline: the hit path) */
struct site_table {
	unsigned int shift;	/* 1 << shift buckets */
	unsigned int link;	/* which hnext[] this table's chains use */
	unsigned int hash_shift;	/* 64 - shift: the hash's top bits pick the bucket */
	unsigned long count;
	struct kprobe_site *buckets[];
};

extern struct site_table *kprobe_table;

static inline unsigned long site_hash(uint64_t addr, const struct site_table *t)
{
	return (addr * 0x9e3779b97f4a7c15ULL) >> t->hash_shift;
}

static inline struct kprobe_site *site_lookup(uint64_t addr)
{
	const struct site_table *t = READ_ONCE(kprobe_table);
	/* a relaxed atomic load, not READ_ONCE's volatile: one instruction */
	struct kprobe_site *s = __atomic_load_n(&t->buckets[site_hash(addr, t)], __ATOMIC_RELAXED);

	for (; s; s = READ_ONCE(s->hnext[t->link]))
		if (s->addr == addr)
			return s;
	return NULL;
}
int site_insert(struct kprobe_site *s);
void site_remove(struct kprobe_site *s);
unsigned long site_count(void);
unsigned long site_buckets(void);
int site_table_init(void);
int site_for_each(int (*fn)(struct kprobe_site *s, void *arg), void *arg);

/* slots.c: executable out-of-line slots near the text */
uint8_t *slot_alloc(struct kprobe_site *owner);
void slot_free(uint8_t *slot);
/* The site whose copy holds addr, or NULL. */
struct kprobe_site *slot_owner(uint64_t addr);
unsigned long slots_in_use(void);


/* blacklist.c: `kprobes blacklist`, and its totals (for make bench too) */
void kprobe_blacklist_show(void);
void kprobe_blacklist_stats(uint64_t *bytes, uint64_t *text, unsigned long *funcs,
			    unsigned long *all_funcs);

/* core.c */
/*
 * The one decision of how a probe runs the instruction insn decoded at addr
 * (from the original text): the engine's sites and `insns` both ask here,
 * so what the console reports is what the engine does. *why as for
 * insn_probe_class(), or the reason the engine changed the class.
 */
enum insn_probe_class kprobe_insn_class(uint64_t addr, const struct insn *insn,
					const char **why);
/* The mode a site of that class runs in, with or without a post-handler there. */
enum kprobe_mode kprobe_class_mode(enum insn_probe_class cls, const struct insn *insn,
				   bool post);
void synchronize_kprobes(void);
void site_disarm_if_unused(struct kprobe_site *s);
void site_set_solo(struct kprobe_site *s);
extern struct kprobe_stats kprobe_counters;

/* step.c: the trap hooks (core.c registers them) */
bool kprobe_int3(struct pt_regs *regs, int trapnr);
bool kprobe_debug(struct pt_regs *regs, int trapnr);
bool kprobe_fault(struct pt_regs *regs, int trapnr);
bool kprobe_nmi(struct pt_regs *regs, int trapnr);
void kprobe_guard_unwound(uint64_t sp);

/* core.c */
void kprobe_disable_faulted(struct kprobe *p, const char *what);
/*
 * Run a handler outside the int3/#DB path (a kretprobe's entry handler)
 * behind a guarded call, so a fault in it is survived; false if it faulted
 * (the probe is then disabled). Return handlers are called directly; a
 * fault in one is unwound to the trampoline (kretprobe_recover).
 */
bool kprobe_call_guarded(struct kprobe *p, const char *what, void *fn,
			 uint64_t a0, uint64_t a1, uint64_t *ret);

/*
 * opt.c: jump optimization. core.c calls these hooks: after any change of
 * a site's probes (queue or undo the optimization), before its int3 goes
 * (undo it), before it is freed, before a new site is made at addr (undo
 * one whose jmp covers it), and when it computes a site's mode.
 */
void opt_site_changed(struct kprobe_site *s);
void opt_disarm(struct kprobe_site *s);
void opt_site_free(struct kprobe_site *s);
void opt_before_new_site(uint64_t addr);
enum kprobe_mode opt_site_mode(const struct kprobe_site *s, enum kprobe_mode m);
/* Put back the original bytes where a jmp covers buf (addr..addr+n). */
void opt_read_orig(uint64_t addr, uint8_t *buf, size_t n);
/* A fault in a detour's copy: make it look as if it happened in place. */
bool opt_fault_in_place(struct pt_regs *regs);
/* step.c: the detour's entry into the hit path */
void kprobe_optimized_hit(struct kprobe_site *s, struct pt_regs *regs);
/* Is ret where a detour's call (with rsp at its pt_regs) returns? */
bool opt_is_detour_return(uint64_t ret);
/* step.c: int3_fast.asm in front of the #BP hooks; its C end */
void kprobe_int3_fast_init(void);
void kprobe_int3_rest(struct pt_regs *regs);

/* An asm file's view of a structure: the C file beside it checks each offset it uses */
#define DETOUR_OFFSET(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), \
		       "asm: offsetof(" #type ", " #field ") != " #off)

/* kretprobe.c */
struct kretprobe_pool;
void kretprobe_pool_put(struct kretprobe_pool *pool);
int kretprobe_pre_handler(struct kprobe *p, struct pt_regs *regs);
/* A return handler faulted: unwind to the trampoline; true when handled. */
bool kretprobe_recover(struct kprobe_ctlblk *ctl, struct pt_regs *regs, int trapnr);
/* A guarded call was unwound to sp: pending returns of frames below it are dead. */
void kretprobe_unwound(struct kprobe_ctlblk *ctl, uint64_t sp);

/* jprobe.c: the entry handler of p when p is a jprobe's kprobe, else NULL. */
const void *jprobe_entry_of(const struct kprobe *p);

#endif
