/*
 * The hit path: int3 -> pre-handlers -> run the instruction (emulate, boost,
 * or single-step out of line with TF) -> #DB -> fixups -> post-handlers.
 * Also: strays, reentry from inside a handler, and faults in handlers or in
 * the stepped instruction. This file is the blacklist's "hit" range
 * (.noprobe.text.hit): it runs before the per-CPU state says a probe is
 * active, or while it runs the probed instruction. Whatever it calls once
 * the state is set (handlers, printk, kallsyms) may carry probes: hits
 * there are reentries.
 */
#include "kprobes_internal.h"
#include "emulate.h"

struct kprobe_stats kprobe_counters;

static uint64_t read_dr6(void)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void write_dr6(uint64_t v)
{
	asm volatile("mov %0, %%dr6" : : "r"(v));
}

#define DR6_BS		(1UL << 14)
#define DR6_RESERVED	0xffff0ff0UL	/* reads as 1 */

static bool enabled(const struct kprobe *p)
{
	return !(p->flags & KPROBE_FLAG_DISABLED);
}

/*
 * Handlers are called directly: no per-call setup on the hit path. A fault
 * inside one is caught by kprobe_fault(), which abandons the handler and
 * resumes from ctl->trap_regs, the trap frame they run under.
 */

/* Pre-handlers in registration order; true if one redirected regs->ip. */
static inline __attribute__((always_inline)) bool
run_pre_handlers(struct kprobe_ctlblk *ctl, struct kprobe_site *s, struct pt_regs *regs)
{
	ctl->trap_regs = regs;
	for (struct kprobe *p = s->probes; p; p = p->next) {
		if (!enabled(p))
			continue;
		kprobe_count(ctl, p)->nhit++;
		this_cpu_inc(kprobe_hits);
		ctl->running = p;
		if (p->pre_handler && p->pre_handler(p, regs))
			return true;
	}
	return false;
}

static void run_post_handlers(struct kprobe_ctlblk *ctl, struct kprobe_site *s,
			      struct pt_regs *regs)
{
	ctl->trap_regs = regs;
	ctl->cur.status = KPROBE_HIT_SSDONE;
	for (struct kprobe *p = s->probes; p; p = p->next) {
		if (!enabled(p) || !p->post_handler)
			continue;
		ctl->running = p;
		p->post_handler(p, regs, 0);
	}
}

static void go_idle(struct kprobe_ctlblk *ctl)
{
	ctl->cur.status = KPROBE_IDLE;	/* cur.site means nothing while idle */
	ctl->running = NULL;
}

/*
 * Point the CPU at the copy with TF set and interrupts off; #DB comes next.
 * ctl->cur.site is s already (the caller set it).
 */
static void setup_singlestep(struct kprobe_ctlblk *ctl, struct kprobe_site *s,
			     struct pt_regs *regs, enum kprobe_status status)
{
	uint64_t flags = regs->flags;

	ctl->cur.status = status;
	ctl->cur.flags = flags & (X86_EFLAGS_TF | X86_EFLAGS_IF);
	regs->flags = (flags | X86_EFLAGS_TF) & ~X86_EFLAGS_IF;
	regs->ip = (uint64_t)s->slot;
}

/*
 * The emulator out of line for the rare paths (a reentry, a faulted
 * pre-handler): the hit itself has the one inlined copy.
 */
static __noinline void emulate(const struct insn *insn, struct pt_regs *regs)
{
	kprobe_emulate(insn, regs);
}

/*
 * A hit while a step is in flight has nowhere to save the outer state. No
 * code that can run then reaches a probe: the #DB and fault hooks are this
 * file, interrupts are off while stepping, and an NMI then is swallowed by
 * kprobe_nmi(). Should it happen all the same, the site is taken out of the
 * text (its original byte put back) and execution goes on there: the probe
 * is lost, the kernel is not.
 */
static bool reenter_while_stepping(struct kprobe_site *s)
{
	for (struct kprobe *p = s->probes; p; p = p->next)
		p->flags |= KPROBE_FLAG_GONE | KPROBE_FLAG_DISABLED;
	site_set_solo(s);
	text_poke((void *)s->addr, s->orig, 1);
	s->armed = false;
	kprobe_counters.faults++;
	return true;	/* regs->ip is already s->addr */
}

/* Run the instruction without handlers: for a hit from inside a handler. */
static __noinline bool reenter(struct kprobe_ctlblk *ctl, struct kprobe_site *s,
			       struct pt_regs *regs)
{
	if (ctl->cur.status == KPROBE_REENTER || ctl->cur.status == KPROBE_HIT_SS)
		return reenter_while_stepping(s);
	for (struct kprobe *p = s->probes; p; p = p->next)
		kprobe_count(ctl, p)->nmissed++;
	this_cpu_inc(kprobe_misses);
	if (s->mode == KPROBE_MODE_OPTIMIZED) {	/* its copy runs the whole range */
		regs->ip = s->opt_copy;
		return true;
	}
	if (s->cls == INSN_CLASS_EMULATE) {
		emulate(&s->insn, regs);
		return true;
	}
	if (s->cls == INSN_CLASS_BOOST) {
		regs->ip = (uint64_t)s->slot;
		return true;
	}
	ctl->prev = ctl->cur;
	ctl->cur.site = s;
	setup_singlestep(ctl, s, regs, KPROBE_REENTER);
	return true;
}

/*
 * After the pre-handlers (post: the hit, whose post-handlers may follow;
 * else after a faulted pre-handler): execute the probed instruction in the
 * site's mode, the commonest cases from the site's fast byte first, since
 * this is the hit's cost.
 */
static inline __attribute__((always_inline)) void run_insn(struct kprobe_ctlblk *ctl,
							      struct kprobe_site *s,
							      struct pt_regs *regs, bool post)
{
	uint8_t fast = READ_ONCE(s->fast);

	if (likely(fast == SITE_FAST_BOOST)) {
		regs->ip = (uint64_t)s->slot;	/* the copy jumps back by itself */
		go_idle(ctl);
		return;
	}
	if (likely(fast == SITE_FAST_RET)) {	/* no post-handler here */
		regs->ip = pop(regs);
		go_idle(ctl);
		return;
	}
	if (likely(fast == SITE_FAST_STEP)) {
		setup_singlestep(ctl, s, regs, KPROBE_HIT_SS);
		return;
	}
	switch (s->mode) {
	case KPROBE_MODE_EMULATE:
		if (post)	/* inlined: the emulated jumps, calls and pushes */
			kprobe_emulate(&s->insn, regs);
		else		/* after a faulted pre-handler */
			emulate(&s->insn, regs);
		if (post && s->has_post)
			run_post_handlers(ctl, s, regs);
		go_idle(ctl);
		break;
	case KPROBE_MODE_BOOST:
		regs->ip = (uint64_t)s->slot;
		go_idle(ctl);
		break;
	case KPROBE_MODE_OPTIMIZED:
		/* being (un)optimized: the bytes after the first may be changing */
		regs->ip = s->opt_copy;
		go_idle(ctl);
		break;
	default:
		setup_singlestep(ctl, s, regs, KPROBE_HIT_SS);
		break;
	}
}

/*
 * An int3 with no probe: just removed (resume there), or genuinely stray
 * (oops). The engine inserts a site before it writes the int3 and restores
 * the byte before it removes the site, so an int3 it wrote always has a
 * site. But a CPU may run an int3 the text no longer holds (multi-threaded
 * TCG did, after the grace period: probe_rules.probe_removed_while_other_
 * cpus_hit_it), and by the time it reads the byte a new probe may be there.
 * So the site is looked for again after the byte: only an int3 with no
 * site even then is stray.
 */
static __noinline bool kprobe_stray(struct kprobe_ctlblk *ctl, struct pt_regs *regs,
				    uint64_t addr)
{
	/* the CPU just fetched the int3 there, so the byte is mapped and readable */
	uint8_t byte = READ_ONCE(*(const uint8_t *)addr);

	/* volatile reads stay in order, and x86 keeps loads in order */
	if (byte == INT3 && !site_lookup(addr))
		return false;	/* a genuine stray int3: the trap path oopses */
	regs->ip = addr;	/* restored: run the original; re-armed: trap again */
	kprobe_counters.strays_recovered++;
	/* the same int3, not in memory, again: see text_poke_refresh() */
	if (ctl->last_stray == addr)
		text_poke_refresh((void *)addr);
	ctl->last_stray = addr;
	return true;
}

bool kprobe_int3(struct pt_regs *regs, int trapnr)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	uint64_t addr = regs->ip - 1;
	struct kprobe_site *s = site_lookup(addr);

	(void)trapnr;
	if (unlikely(!s))
		return kprobe_stray(ctl, regs, addr);
	regs->ip = addr;
	if (unlikely(ctl->cur.status != KPROBE_IDLE))
		return reenter(ctl, s, regs);

	ctl->cur.status = KPROBE_HIT_ACTIVE;
	ctl->cur.site = s;
	if (run_pre_handlers(ctl, s, regs)) {
		go_idle(ctl);	/* a handler moved ip: skip the instruction */
		return true;
	}
	run_insn(ctl, s, regs, true);
	return true;
}

/*
 * The same hit without the trap, from a jump-optimized site's detour
 * (probes/opt_detour.asm), which built regs with ip = the probe address and
 * turned interrupts off. A hit from inside a handler is a miss, as above;
 * the detour's copy of the replaced instructions runs in either case unless
 * a pre-handler moved ip.
 */
void kprobe_optimized_hit(struct kprobe_site *s, struct pt_regs *regs)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	if (unlikely(ctl->cur.status != KPROBE_IDLE)) {
		for (struct kprobe *p = s->probes; p; p = p->next)
			kprobe_count(ctl, p)->nmissed++;
		this_cpu_inc(kprobe_misses);
		regs->ip = s->opt_copy;
		return;
	}
	ctl->cur.status = KPROBE_HIT_ACTIVE;
	ctl->cur.site = s;
	if (!run_pre_handlers(ctl, s, regs))
		regs->ip = s->opt_copy;
	go_idle(ctl);
}

/*
 * int3_fast.asm's view of the structures it reads; it is kprobe_int3() for
 * a site with one enabled probe and a fast byte, so the two stay in step.
 */
DETOUR_OFFSET(struct site_table, link, 4);
DETOUR_OFFSET(struct site_table, hash_shift, 8);
DETOUR_OFFSET(struct site_table, buckets, 24);
DETOUR_OFFSET(struct kprobe_site, addr, 0);
DETOUR_OFFSET(struct kprobe_site, hnext, 8);
DETOUR_OFFSET(struct kprobe_site, slot, 32);
DETOUR_OFFSET(struct kprobe_site, fast, 152);
DETOUR_OFFSET(struct kprobe_site, opt_solo, 192);
DETOUR_OFFSET(struct kprobe_ctlblk, cur.flags, 16);
DETOUR_OFFSET(struct pt_regs, flags, 144);
DETOUR_OFFSET(struct pt_regs, sp, 152);
_Static_assert(KPROBE_HIT_SS == 2 && SITE_FAST_NONE == 0 && SITE_FAST_BOOST == 1 &&
	       SITE_FAST_RET == 2 && SITE_FAST_STEP == 3,
	       "int3_fast.asm: KPROBE_HIT_SS, SITE_FAST_*");

/*
 * int3_fast.asm ran the pre-handler, and the site's fast byte went to NONE
 * meanwhile (its mode changed): the rest of the hit as kprobe_int3() does.
 */
void kprobe_int3_rest(struct pt_regs *regs)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	run_insn(ctl, ctl->cur.site, regs, true);
}

/*
 * For stack walkers (trap_frame_like): the calls int3_fast.asm and the
 * detours make with rsp at a pt_regs return here.
 */
static __noprobe("hit") bool kprobe_trap_like_return(uint64_t ret)
{
	extern const char kprobe_int3_fast_ret[], kprobe_int3_rest_ret[];

	return ret == (uint64_t)kprobe_int3_fast_ret || ret == (uint64_t)kprobe_int3_rest_ret ||
	       opt_is_detour_return(ret);
}

/* The hit's asm front end and the walkers' view of it, from kprobe_hooks_init(). */
void kprobe_int3_fast_init(void)
{
	extern const char kprobe_int3_fast[];

	trap_frame_like(kprobe_trap_like_return);
	trap_int3_fast_path(kprobe_int3_fast);
}

/* resume_execution() for an instruction with fixups (out of line: the rare case). */
static __noinline void resume_with_fixups(struct kprobe_site *s, struct pt_regs *regs,
					  uint64_t saved_flags)
{
	uint64_t delta = regs->ip - (uint64_t)s->slot;

	if (!(s->fixups & INSN_FIX_IP_ABS))
		regs->ip = s->addr + delta;
	if (s->fixups & INSN_FIX_RET_ADDR)
		*(uint64_t *)regs->sp = s->addr + s->insn.len;
	if (s->fixups & INSN_FIX_PUSHED_FLAGS) {
		uint64_t *f = (uint64_t *)regs->sp;

		*f = (*f & ~(X86_EFLAGS_TF | X86_EFLAGS_IF)) | saved_flags;
	}
	regs->flags &= ~X86_EFLAGS_TF;
	if (s->fixups & INSN_FIX_KEEP_IF)
		regs->flags |= saved_flags & X86_EFLAGS_TF;
	else
		regs->flags |= saved_flags;
}

/* After the copy ran: put ip, the stack and the flags where the original would have. */
static inline __attribute__((always_inline)) void resume_execution(struct kprobe_site *s,
								   struct pt_regs *regs,
								   uint64_t saved_flags)
{
	if (likely(!s->fixups)) {	/* the common case: relocate ip, restore TF/IF */
		regs->ip = s->addr + (regs->ip - (uint64_t)s->slot);
		regs->flags = (regs->flags & ~X86_EFLAGS_TF) | saved_flags;
		return;
	}
	resume_with_fixups(s, regs, saved_flags);
}

bool kprobe_debug(struct pt_regs *regs, int trapnr)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	struct kprobe_site *s = ctl->cur.site;

	(void)trapnr;
	if ((ctl->cur.status != KPROBE_HIT_SS && ctl->cur.status != KPROBE_REENTER) ||
	    !(read_dr6() & DR6_BS))
		return false;
	/* a rep string op traps after each iteration until it is done */
	if ((s->insn.flags & INSN_F_REP) && regs->ip == (uint64_t)s->slot) {
		write_dr6(DR6_RESERVED);
		return true;
	}
	write_dr6(DR6_RESERVED);
	resume_execution(s, regs, ctl->cur.flags);
	if (ctl->cur.status == KPROBE_REENTER) {
		ctl->cur = ctl->prev;
		return true;
	}
	if (s->has_post)
		run_post_handlers(ctl, s, regs);
	go_idle(ctl);
	return true;
}

/*
 * A handler faulted and nothing fixed it. Report it, take the probe out of
 * service, and resume from the trap frame the handler ran under as if it had
 * returned: after a pre-handler the instruction still runs (in its mode,
 * with no more handlers); after a post-handler the hit is simply over.
 * `regs` is the fault's frame: pointing it at trap_return with the stack at
 * the old frame makes its iretq land there and unwind everything between.
 */
static bool recover_from_handler(struct kprobe_ctlblk *ctl, struct pt_regs *regs, int trapnr)
{
	extern const char trap_return[];
	struct pt_regs *t = ctl->trap_regs;
	struct kprobe *p = ctl->running;

	oops_report(regs, trapnr, "in a kprobe handler; the kernel goes on");
	kprobe_disable_faulted(p, ctl->cur.status == KPROBE_HIT_ACTIVE ? "pre_handler" :
			       "post_handler");
	if (ctl->cur.status == KPROBE_HIT_ACTIVE)
		run_insn(ctl, ctl->cur.site, t, false);
	else
		go_idle(ctl);
	regs->ip = (uint64_t)trap_return;
	regs->sp = (uint64_t)t;
	this_cpu()->trap_depth--;	/* the abandoned trap never gets to its decrement */
	return true;
}

/*
 * A fault in an out-of-line copy that was not being stepped (a boosted one):
 * make it look as if the original instruction faulted in place, so the
 * report, the backtrace and any fixup see the probed address, not the slot.
 */
static void fault_in_place(struct pt_regs *regs)
{
	struct kprobe_site *s;

	if (opt_fault_in_place(regs))
		return;
	s = slot_owner(regs->ip);
	if (s && regs->ip - (uint64_t)s->slot < s->insn.len)
		regs->ip = s->addr + (regs->ip - (uint64_t)s->slot);
}

/*
 * Any other exception. In the stepped copy: the instruction faulted on its
 * own (a bad pointer, say), so make it look as if it faulted in place and
 * let normal handling (an extable fixup, a guarded call, an oops) proceed.
 * In a handler: offer it to the probe's fault_handler first. A fault in the
 * instruction stepped for a reentry is then a fault in the handler that
 * reentered, handled at that level.
 */
bool kprobe_fault(struct pt_regs *regs, int trapnr)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	struct kprobe_site *s;
	struct kprobe *p;
	int r;

again:
	s = ctl->cur.site;
	p = ctl->running;
	switch (ctl->cur.status) {
	case KPROBE_HIT_SS:
	case KPROBE_REENTER:
		if (regs->ip - (uint64_t)s->slot < SLOT_SIZE) {
			regs->ip = s->addr;	/* faulted in place */
			regs->flags &= ~X86_EFLAGS_TF;
			regs->flags |= ctl->cur.flags;
		} else {
			/* an indirect call/jmp reached a bad target: finish its fixups */
			resume_execution(s, regs, ctl->cur.flags);
		}
		if (ctl->cur.status == KPROBE_REENTER) {
			ctl->cur = ctl->prev;
			goto again;
		}
		go_idle(ctl);
		return false;
	case KPROBE_HIT_ACTIVE:
	case KPROBE_HIT_SSDONE:
		fault_in_place(regs);	/* a reentry's boosted copy */
		if (!p || ctl->in_fault_handler)
			return false;	/* the fault handler itself faulted: oops */
		if (p->fault_handler) {
			ctl->in_fault_handler = true;
			r = p->fault_handler(p, regs, trapnr);
			ctl->in_fault_handler = false;
			if (r)
				return true;
		}
		/* a handler reading through an extable'd accessor is fine */
		if (fixup_exception(regs))
			return true;
		/*
		 * A guarded call made inside the handler (a kretprobe's
		 * entry_handler) is closer to the fault than the trap frame:
		 * its stack lies below it. Let the trap path unwind to that one.
		 * A kretprobe return handler unwinds to its trampoline.
		 */
		if (this_cpu()->guard_sp && this_cpu()->guard_sp < (uint64_t)ctl->trap_regs)
			return false;
		if (ctl->ret_ri)
			return kretprobe_recover(ctl, regs, trapnr);
		return recover_from_handler(ctl, regs, trapnr);
	default:
		fault_in_place(regs);
		return false;
	}
}

/*
 * An NMI while a probed instruction is being stepped: the saved state has
 * no room for a hit from NMI code, so the NMI is dropped here (the trap path
 * would only have reported and ignored it) before any code that may carry
 * a probe runs.
 */
bool kprobe_nmi(struct pt_regs *regs, int trapnr)
{
	enum kprobe_status st = kprobe_ctl()->cur.status;

	(void)regs;
	(void)trapnr;
	return st == KPROBE_HIT_SS || st == KPROBE_REENTER;
}

/*
 * A fault unwound a guarded call down to sp: a hit whose trap frame lies
 * below is abandoned (a stack overflow in a handler, say), and so are the
 * return probes of the functions unwound.
 */
void kprobe_guard_unwound(uint64_t sp)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	if (ctl->cur.status != KPROBE_IDLE && (uint64_t)ctl->trap_regs < sp) {
		ctl->ret_ri = NULL;
		ctl->in_fault_handler = false;
		go_idle(ctl);
	}
	if (ctl->cur.status != KPROBE_IDLE) {
		kretprobe_unwound(ctl, sp);
		return;
	}
	/* busy while the instances are recycled: a probe hit there is a reentry */
	ctl->cur.status = KPROBE_HIT_ACTIVE;
	kretprobe_unwound(ctl, sp);
	go_idle(ctl);
}
