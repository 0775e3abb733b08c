/*
 * Return probes. The entry probe (at the function's first instruction) takes
 * an instance from the kretprobe's pool, remembers the real return address
 * and swaps it for kretprobe_trampoline. When the function returns there,
 * the trampoline builds a pt_regs and calls kretprobe_trampoline_handler,
 * which finds the instance, runs the handler with regs->ax = the return
 * value and regs->ip = the real return address, and sends execution home.
 *
 * Pending instances form a per-CPU stack ordered by stack address, so
 * recursion and nesting pair up correctly, and an instance whose frame was
 * unwound without returning (a fault recovered by a guarded call) is
 * recognised and recycled.
 *
 * The pool takes no lock: each instance has a state word, taken with one
 * cmpxchg (FREE -> USED) and given back with one xchg. Each CPU starts its
 * search at its own share of the pool and instances are cache-line sized,
 * so CPUs hitting at once write no line in common; at most maxactive are
 * out at any time, and a hit finding none free (a full scan) is a miss.
 * Unregistering marks the instances still out ORPHAN; the pool outlives it
 * until the last of those has come back (a count only touched then).
 *
 * The trampoline's handler and its bookkeeping are the blacklist's
 * "kretprobe" range. The trampoline marks the CPU busy before it looks at
 * anything, so a probe hit from the return handlers or the bookkeeping (in
 * kfree, say) is a reentry. The entry side runs as an ordinary pre-handler,
 * with the CPU already busy: it may carry probes.
 */
#include "kprobes_internal.h"
#include "kallsyms.h"
#include "mm.h"

#define MAXACTIVE_LIMIT	4096

enum { RI_FREE, RI_USED, RI_ORPHAN };

struct kretprobe_pool {
	struct kretprobe *rp;		/* NULL once unregistering */
	char *inst;			/* n instances of isize bytes, cache-line aligned */
	unsigned int n, isize;
	unsigned int spread;		/* CPU c starts its search at c * spread (mod n) */
	unsigned int ret_pop;		/* the function returns with `ret ret_pop` */
	int orphans;			/* once unregistered: instances out, + 1 */
	char mem[];
};

extern const char kretprobe_trampoline[], kretprobe_trampoline_end[];

/* the detour's kretprobe entry takes instances itself (opt_detour.asm) */
DETOUR_OFFSET(struct kretprobe_pool, inst, 8);
DETOUR_OFFSET(struct kretprobe_pool, n, 16);
DETOUR_OFFSET(struct kretprobe_pool, isize, 20);
DETOUR_OFFSET(struct kretprobe_pool, spread, 24);
_Static_assert(RI_FREE == 0 && RI_USED == 1, "opt_detour.asm: RI_FREE, RI_USED");
/* and the trampoline's return fast path (trampoline.asm) */
DETOUR_OFFSET(struct kretprobe_pool, rp, 0);
DETOUR_OFFSET(struct kretprobe_pool, ret_pop, 28);
DETOUR_OFFSET(struct kretprobe, handler, 120);
DETOUR_OFFSET(struct kretprobe_instance, pool, 0);
DETOUR_OFFSET(struct kprobe_ctlblk, ret_ri, 64);
DETOUR_OFFSET(struct kprobe_count, ret_nhit, 16);
DETOUR_OFFSET(struct pt_regs, sp, 152);
_Static_assert(RI_ORPHAN == 2 && KPROBE_IDLE == 0 && KPROBE_HIT_ACTIVE == 1,
	       "trampoline.asm: RI_ORPHAN, KPROBE_IDLE, KPROBE_HIT_ACTIVE");

struct kretprobe *get_kretprobe(struct kretprobe_instance *ri)
{
	return READ_ONCE(ri->pool->rp);
}
EXPORT_SYMBOL(get_kretprobe);

/* The stack pointer the trampoline starts with when ri's function returns. */
static inline uint64_t return_sp(const struct kretprobe_instance *ri)
{
	return ri->fp + 8 + ri->pool->ret_pop;
}

static inline struct kretprobe_instance *instance(struct kretprobe_pool *pool, unsigned int i)
{
	return (struct kretprobe_instance *)(pool->inst + (size_t)i * pool->isize);
}

/* Drop one reference of an unregistered pool; the last frees it (also from the trampoline). */
void kretprobe_pool_put(struct kretprobe_pool *pool)
{
	if (!__atomic_sub_fetch(&pool->orphans, 1, __ATOMIC_ACQ_REL))
		kfree(pool);
}

/* A free instance, or NULL when maxactive are out. */
static struct kretprobe_instance *take(struct kretprobe_pool *pool)
{
	unsigned int n = pool->n, i = (this_cpu()->cpu * pool->spread) % n;

	for (unsigned int k = 0; k < n; k++) {
		struct kretprobe_instance *ri = instance(pool, i);
		uint32_t expect = RI_FREE;

		if (READ_ONCE(ri->state) == RI_FREE &&
		    __atomic_compare_exchange_n(&ri->state, &expect, RI_USED, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return ri;
		if (++i == n)
			i = 0;
	}
	return NULL;
}

/* Only ever called with the CPU busy (a probe hit in here is a reentry). */
static void recycle(struct kretprobe_instance *ri)
{
	struct kretprobe_pool *pool = ri->pool;

	if (__atomic_exchange_n(&ri->state, RI_FREE, __ATOMIC_RELEASE) == RI_ORPHAN)
		kretprobe_pool_put(pool);
}

int kretprobe_pre_handler(struct kprobe *p, struct pt_regs *regs)
{
	struct kretprobe *rp = container_of(p, struct kretprobe, kp);
	struct kretprobe_pool *pool = rp->pool;
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	struct kretprobe_instance *ri = take(pool);
	uint64_t r;

	if (!ri) {
		kprobe_count(ctl, p)->ret_nmissed++;
		return 0;
	}
	ri->ret_addr = *(uint64_t *)regs->sp;
	ri->fp = regs->sp;
	if (ri->ret_addr == (uint64_t)kretprobe_trampoline) {
		/* another return probe on this function got here first: its
		 * instance knows the real return address */
		for (struct kretprobe_instance *o = ctl->ret_stack; o; o = o->next)
			if (o->fp == ri->fp) {
				ri->ret_addr = o->ret_addr;
				break;
			}
	}
	if (rp->entry_handler &&
	    (!kprobe_call_guarded(p, "entry_handler", rp->entry_handler,
				  (uint64_t)ri, (uint64_t)regs, &r) || r)) {
		recycle(ri);
		return 0;
	}
	*(uint64_t *)regs->sp = (uint64_t)kretprobe_trampoline;
	ri->next = ctl->ret_stack;
	ctl->ret_stack = ri;
	return 0;
}

/*
 * Return handlers are called directly, with interrupts off (the trampoline
 * turns them off) as on the int3 path. A fault inside one lands in
 * kretprobe_recover() (through the probe engine's fault hook), which unwinds
 * to the trampoline. `nested`: the function returned while another probe's
 * handler ran on this CPU, so its handlers are missed.
 */
static __noprobe("kretprobe") void run_return_handler(struct kprobe_ctlblk *ctl,
						     struct kretprobe_instance *ri,
						     struct pt_regs *regs, bool nested)
{
	struct kretprobe *rp = get_kretprobe(ri);

	if (!rp || !rp->handler)
		return;
	if (nested) {
		kprobe_count(ctl, &rp->kp)->ret_nmissed++;
		return;
	}
	kprobe_count(ctl, &rp->kp)->ret_nhit++;
	ctl->running = &rp->kp;
	ctl->ret_ri = ri;
	rp->handler(ri, regs);
	ctl->ret_ri = NULL;
	ctl->running = NULL;
}

static __noprobe("kretprobe") void trampoline_idle(struct kprobe_ctlblk *ctl)
{
	ctl->ret_ri = NULL;
	ctl->cur.status = KPROBE_IDLE;
	ctl->running = NULL;
}

/* From the fault hook with the CPU busy, which it stays until the very end. */
bool kretprobe_recover(struct kprobe_ctlblk *ctl, struct pt_regs *regs, int trapnr)
{
	extern const char kretprobe_trampoline_resume[];
	struct pt_regs *t = ctl->trap_regs;
	struct kretprobe_instance *ri = ctl->ret_ri, *n;

	oops_report(regs, trapnr, "in a kretprobe handler; the kernel goes on");
	kprobe_disable_faulted(ctl->running, "kretprobe handler");
	/* this instance, and any other return probe's on the same frame */
	recycle(ri);
	while ((n = ctl->ret_stack) && n->fp == ri->fp) {
		ctl->ret_stack = n->next;
		recycle(n);
	}
	/* the trampoline resumes with rsp = rbx = its pt_regs, and returns home */
	regs->ip = (uint64_t)kretprobe_trampoline_resume;
	regs->bx = (uint64_t)t;
	regs->sp = (uint64_t)t;
	regs->flags = 0x2;	/* the trampoline restores the function's flags itself */
	trampoline_idle(ctl);
	return true;
}

/* Called by the trampoline, interrupts off; returns where the function really returns to. */
__noprobe("kretprobe") uint64_t kretprobe_trampoline_handler(struct pt_regs *regs,
							     uint64_t *frame_ret)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	bool nested = ctl->cur.status != KPROBE_IDLE;
	struct kretprobe_instance *ri;
	uint64_t ret, fp;

	if (!nested) {	/* busy from here on: a probe hit below is a reentry */
		ctl->cur.status = KPROBE_HIT_ACTIVE;
		ctl->running = NULL;
		ctl->trap_regs = regs;
	}
	/* instances from frames that were unwound without returning */
	while ((ri = ctl->ret_stack) && return_sp(ri) < regs->sp) {
		ctl->ret_stack = ri->next;
		recycle(ri);
	}
	if (!ri || return_sp(ri) != regs->sp)
		panic("kretprobe: return through the trampoline with no instance (sp %#lx)",
		      regs->sp);
	fp = ri->fp;
	ret = ri->ret_addr;
	regs->ip = ret;
	*frame_ret = ret;	/* backtraces from the handler see the real caller */
	/* every return probe on this function shares the one swapped slot */
	while ((ri = ctl->ret_stack) && ri->fp == fp) {
		ctl->ret_stack = ri->next;
		run_return_handler(ctl, ri, regs, nested);
		recycle(ri);
	}
	if (!nested)
		trampoline_idle(ctl);
	return ret;
}

/* Called by the unwind notifier with the CPU marked busy. */
void kretprobe_unwound(struct kprobe_ctlblk *ctl, uint64_t sp)
{
	struct kretprobe_instance *ri;

	while ((ri = ctl->ret_stack) && ri->fp < sp) {
		ctl->ret_stack = ri->next;
		recycle(ri);
	}
}

/*
 * For stack traces: a swapped return address (the trampoline) becomes the
 * real one, and the trampoline's own call into the handler is dropped (its
 * frame already carries the real return address).
 */
static uint64_t fixup_ret(uint64_t ret, uint64_t where)
{
	struct kprobe_ctlblk *ctl = kprobe_ctl();

	if (ret == (uint64_t)kretprobe_trampoline) {
		for (struct kretprobe_instance *ri = ctl->ret_stack; ri; ri = ri->next)
			if (ri->fp == where)
				return ri->ret_addr;
		return ret;
	}
	if (ret > (uint64_t)kretprobe_trampoline && ret < (uint64_t)kretprobe_trampoline_end)
		return 0;
	return ret;
}

static int kretprobe_init(void)
{
	stack_trace_set_fixup(fixup_ret);
	return 0;
}
INITCALL(kretprobe_init, 3);

/*
 * How many argument bytes the function at fn pops on return (`ret imm16`),
 * found by decoding it whole: the trampoline must know where the stack ends
 * up. A function that returns both ways is refused.
 */
static int ret_pop_of(uint64_t fn, unsigned int *pop)
{
	const struct ksym *sym;
	uint64_t off, pc;
	int seen = -1;

	*pop = 0;
	sym = kallsyms_lookup(fn, &off);
	if (!sym || off)
		return 0;	/* not a function start: register_kretprobe refuses it */
	for (pc = fn; pc < sym->addr + sym->size;) {
		uint8_t buf[INSN_MAX_LEN];
		size_t n = kprobe_read_orig(pc, buf, sizeof(buf));
		struct insn insn;
		int this = -1;

		if (insn_decode(&insn, buf, n, pc))
			break;	/* data or padding after the code */
		if (insn.map == INSN_MAP_ONEBYTE && insn.opcode == 0xc3)
			this = 0;
		else if (insn.map == INSN_MAP_ONEBYTE && insn.opcode == 0xc2)
			this = (uint16_t)insn.imm;
		if (this >= 0 && seen >= 0 && this != seen)
			return -EOPNOTSUPP;
		if (this >= 0)
			seen = this;
		pc += insn.len;
	}
	*pop = seen > 0 ? seen : 0;
	return 0;
}

int register_kretprobe(struct kretprobe *rp)
{
	unsigned int cpus = num_cpus();
	int n = rp->maxactive > 0 ? rp->maxactive : (int)max(10U, 2 * cpus);
	/* an instance per cache line (or more): CPUs never write one line */
	size_t isize = ALIGN_UP(sizeof(struct kretprobe_instance) + rp->data_size, 64);
	struct kretprobe_pool *pool;
	uint64_t off, fn;
	int err;

	if (rp->pool)
		return -EEXIST;	/* registered: its pool must stay */
	if (n > MAXACTIVE_LIMIT || rp->data_size > PAGE_SIZE)
		return -E2BIG;
	pool = kzalloc(sizeof(*pool) + 63 + n * isize);
	if (!pool)
		return -ENOMEM;
	fn = rp->kp.symbol_name ? kallsyms_lookup_name(rp->kp.symbol_name) : (uint64_t)rp->kp.addr;
	err = fn ? ret_pop_of(fn + rp->kp.offset, &pool->ret_pop) : 0;
	if (err) {
		kfree(pool);
		return err;
	}
	pool->inst = (char *)ALIGN_UP((uintptr_t)pool->mem, 64);
	pool->n = n;
	pool->isize = isize;
	pool->spread = (unsigned int)n >= cpus ? n / cpus : 1;
	for (int i = 0; i < n; i++)
		instance(pool, i)->pool = pool;	/* state RI_FREE: zeroed */
	pool->rp = rp;
	rp->pool = pool;
	rp->kp.pre_handler = kretprobe_pre_handler;
	rp->kp.post_handler = NULL;
	err = register_kprobe(&rp->kp);
	if (!err && (!kallsyms_lookup((uint64_t)rp->kp.addr, &off) || off)) {
		/* the return address is only at [sp] on the first instruction */
		unregister_kprobe(&rp->kp);
		err = -EINVAL;
	}
	if (err) {
		rp->pool = NULL;
		kfree(pool);
	}
	return err;
}
EXPORT_SYMBOL(register_kretprobe);

/*
 * The return handlers stop first (pool->rp), then the entry probe goes; its
 * grace period covers both, so afterwards no CPU takes an instance or holds
 * rp. Instances still out are marked ORPHAN, each a reference on the pool,
 * and the one whose return drops the last frees it (this caller's own
 * reference covers the marking itself).
 */
void unregister_kretprobe(struct kretprobe *rp)
{
	struct kretprobe_pool *pool = rp->pool;

	if (!pool || !kprobe_writer_context_ok())
		return;		/* from inside a handler: refused, the pool stays */
	WRITE_ONCE(pool->rp, NULL);
	unregister_kprobe(&rp->kp);
	rp->nmissed = (int)kretprobe_nmissed(rp);
	WRITE_ONCE(pool->orphans, (int)pool->n + 1);
	for (unsigned int i = 0; i < pool->n; i++) {
		uint32_t expect = RI_USED;

		if (!__atomic_compare_exchange_n(&instance(pool, i)->state, &expect, RI_ORPHAN,
						 false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			kretprobe_pool_put(pool);	/* it was free: nobody else will drop this one */
	}
	kretprobe_pool_put(pool);
	rp->pool = NULL;
}
EXPORT_SYMBOL(unregister_kretprobe);

int register_kretprobes(struct kretprobe **rps, int num)
{
	if (!rps || num <= 0)
		return -EINVAL;
	for (int i = 0; i < num; i++) {
		int err = register_kretprobe(rps[i]);

		if (err) {
			unregister_kretprobes(rps, i);
			return err;
		}
	}
	return 0;
}
EXPORT_SYMBOL(register_kretprobes);

void unregister_kretprobes(struct kretprobe **rps, int num)
{
	for (int i = 0; rps && i < num; i++)
		unregister_kretprobe(rps[i]);
}
EXPORT_SYMBOL(unregister_kretprobes);
