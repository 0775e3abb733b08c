/*
 * The probe-event hit path and the trace buffer it writes.
 *
 *   int3 -> kprobe engine -> kevent_pre_handler (interrupts off)
 *     fetch_args() into a scratch record -> filter -> one ring entry
 *   return through the kretprobe trampoline -> kevent_ret_handler
 *     the same, with $retval and the return site
 *
 * All of it, and everything it calls (fetch, filter, the ring, string and
 * format routines, the clock), may itself carry probes: a hit from in here
 * is a reentry, which the engine runs without handlers and counts as a miss.
 * So the handler never nests, and nothing on the way to the ring allocates,
 * prints or takes a lock (the hist trigger's own lock aside). Each CPU
 * writes its own ring; a probe in the code a reader runs writes from inside
 * the reader, and the ring notices when such a write (or another CPU's)
 * overwrote the entry a reader was copying (trace_buffer.c).
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kprobe_events.h"

#define DEFAULT_SIZE	(128 * 1024)	/* per CPU, as Linux's buffer_size_kb */
#define MAX_SIZE	(64UL * 1024 * 1024)

/*
 * One ring per CPU, written by that CPU alone without a lock (a hit nested
 * inside this CPU's own write is refused by the ring, never waited for).
 * Writers run with interrupts off, so a resize can retire a set of rings
 * after a grace period. Readers (the console, tests) take readers_lock,
 * which no writer ever takes: a probe hit inside a reader just writes.
 * Two sets, so that a resize builds the new one while the old is live.
 */
static struct trace_ring ring_sets[2][MAX_CPUS];
static struct trace_ring *rings;	/* the live set, NULL until init */
static size_t ring_size;		/* bytes per CPU */
static bool resizing;
static struct spinlock readers_lock = SPINLOCK_INIT("trace_readers");
static bool tracing_on = true;
static bool paused;
/* hits not recorded while a reader paused writers, each CPU its own line */
static struct { uint64_t n; } __aligned(64) paused_drops[MAX_CPUS];
/* a record is built per CPU: hits on two CPUs at once must not share one */
static uint8_t scratch[MAX_CPUS][ALIGN_UP(TRACE_HIT_MAX, 64)] __aligned(64);

static int read_mem(void *dst, uint64_t addr, size_t n)
{
	return copy_from_kernel_nofault(dst, (const void *)addr, n) ? -EFAULT : 0;
}

static void record(struct kevent_probe *p, struct pt_regs *regs, uint64_t ip,
		   uint64_t func, const uint64_t *entry, uint64_t irqflags)
{
	struct kevent *ev = p->ev;
	bool is_return = func != 0;
	struct percpu *cpu = this_cpu();
	struct trace_hit *hit = (struct trace_hit *)scratch[cpu->cpu];
	struct fetch_ctx ctx = {
		.regs = regs,
		.retval = regs->ax,
		.is_return = is_return,
		.comm = KEVENT_COMM,
		.entry = entry,
		.read_mem = read_mem,
	};
	const struct trace_filter *f;
	struct kevent_hist *h;
	uint64_t now = uptime_ns();

	if (!READ_ONCE(tracing_on))
		return;
	if (fetch_args(&p->def, &ctx, hit->rec, TRACE_RECORD_MAX))
		return;
	/* Triggers see every hit, before the event's filter, as Linux's do. */
	h = READ_ONCE(ev->hist);
	if (h)
		kevent_hist_hit(h, &p->def, hit->rec, now);
	if (!READ_ONCE(ev->enabled))
		return;		/* armed for its trigger only */
	if (READ_ONCE(paused)) {
		paused_drops[cpu->cpu].n++;
		return;
	}
	f = READ_ONCE(ev->filter);
	if (f && !trace_filter_match(f, &p->def, hit->rec))
		return;
	hit->event_id = ev->id;
	hit->cpu = (uint8_t)cpu->cpu;
	hit->flags = (irqflags & X86_EFLAGS_IF ? 0 : TRACE_HIT_IRQS_OFF) |
		     (cpu->irq_depth > 0 ? TRACE_HIT_HARDIRQ : 0);
	hit->depth = (uint8_t)min(cpu->trap_depth, 15);
	hit->pad = 0;
	hit->ts_ns = now;
	hit->ip = ip;
	hit->func = func;
	trace_write_hit(hit, sizeof(*hit) + p->def.rec_size);
}

int kevent_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct kevent_probe *p = container_of(kp, struct kevent_probe, rp.kp);

	record(p, regs, (uint64_t)kp->addr, 0, NULL, local_save_flags());
	return 0;
}

int kevent_entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);
	struct fetch_ctx ctx = { .regs = regs, .read_mem = read_mem };

	if (rp)
		fetch_entry_args(&container_of(rp, struct kevent_probe, rp)->def, &ctx,
				 (uint64_t *)ri->data);
	return 0;
}

int kevent_ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);
	struct kevent_probe *p;
	struct kevent *ev;

	if (!rp)
		return 0;
	p = container_of(rp, struct kevent_probe, rp);
	ev = p->ev;
	if (!READ_ONCE(ev->enabled) && !READ_ONCE(ev->hist))
		return 0;	/* disabled while this call was in flight */
	/* the engine runs return handlers with interrupts off; the flags
	 * column shows the function's own state, saved in regs */
	record(p, regs, ri->ret_addr, p->def.addr,
	       p->def.entry_args ? (const uint64_t *)ri->data : NULL, regs->flags);
	return 0;
}

/* ---- writing: this CPU's ring, from any context ---- */

int trace_write_hit(const struct trace_hit *hit, size_t len)
{
	uint64_t flags = local_irq_save();	/* a grace period waits for us */
	struct trace_ring *set = READ_ONCE(rings);
	int err = set ? trace_ring_write(&set[this_cpu()->cpu], hit, len) : -E2BIG;

	local_irq_restore(flags);
	return err;
}

/*
 * Text lines are built in their own per-CPU buffer: a probe in the code
 * below may run record() on this CPU, and a text write nested in one (a BPF
 * program on such a probe) is refused rather than allowed to scribble.
 */
static struct {
	bool busy;
	uint8_t buf[sizeof(struct trace_hit) + TRACE_TEXT_TAG_MAX + TRACE_TEXT_MAX + 1];
} __aligned(64) text_scratch[MAX_CPUS];

int trace_write_text(const char *tag, const char *text)
{
	uint64_t flags = local_irq_save();
	struct percpu *cpu = this_cpu();
	struct trace_hit *hit = (struct trace_hit *)text_scratch[cpu->cpu].buf;
	size_t n = min(strlen(text), (size_t)TRACE_TEXT_MAX);
	int err = 0;

	if (!READ_ONCE(tracing_on)) {
		goto out;
	} else if (READ_ONCE(paused)) {
		paused_drops[cpu->cpu].n++;
		goto out;
	} else if (text_scratch[cpu->cpu].busy) {
		err = -EBUSY;
		goto out;
	}
	text_scratch[cpu->cpu].busy = true;
	barrier();
	memset(hit, 0, sizeof(*hit));
	hit->event_id = TRACE_HIT_TEXT;
	hit->cpu = (uint8_t)cpu->cpu;
	hit->flags = (flags & X86_EFLAGS_IF ? 0 : TRACE_HIT_IRQS_OFF) |
		     (cpu->irq_depth > 0 ? TRACE_HIT_HARDIRQ : 0);
	hit->depth = (uint8_t)min(cpu->trap_depth, 15);
	hit->ts_ns = uptime_ns();
	snprintf((char *)hit->rec, TRACE_TEXT_TAG_MAX, "%s", tag);
	memcpy(hit->rec + TRACE_TEXT_TAG_MAX, text, n);
	hit->rec[TRACE_TEXT_TAG_MAX + n] = '\0';
	err = trace_write_hit(hit, sizeof(*hit) + TRACE_TEXT_TAG_MAX + n + 1);
	barrier();
	text_scratch[cpu->cpu].busy = false;
out:
	local_irq_restore(flags);
	return err;
}

/* ---- the readers' side ---- */

void trace_buffer_info(struct trace_buffer_info *info)
{
	struct trace_ring_stats st;

	memset(info, 0, sizeof(*info));
	for (unsigned int c = 0; c < num_cpus(); c++) {
		trace_buffer_cpu_stats(c, &st);
		info->entries += st.entries;
		info->written += st.written;
		info->overwritten += st.overrun;
		info->refused += st.refused;
		info->paused_drops += READ_ONCE(paused_drops[c].n);
	}
	info->size = ring_size;
	info->on = READ_ONCE(tracing_on);
}

void trace_buffer_cpu_stats(unsigned int cpu, struct trace_ring_stats *st)
{
	uint64_t flags = spin_lock_irqsave(&readers_lock);

	trace_ring_stats(&rings[cpu], st);
	spin_unlock_irqrestore(&readers_lock, flags);
}

void trace_buffer_clear(void)
{
	uint64_t flags = spin_lock_irqsave(&readers_lock);

	for (unsigned int c = 0; c < num_cpus(); c++) {
		trace_ring_clear(&rings[c]);
		WRITE_ONCE(paused_drops[c].n, 0);
	}
	spin_unlock_irqrestore(&readers_lock, flags);
}

int trace_buffer_resize(size_t bytes)
{
	size_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, old_pages = ring_size / PAGE_SIZE;
	struct trace_ring *old = rings, *set;
	unsigned int n = num_cpus(), c;
	uint64_t flags;
	void *mem;
	int err = 0;

	if (bytes < TRACE_RING_MIN || bytes > MAX_SIZE)
		return -EINVAL;
	if (__atomic_exchange_n(&resizing, true, __ATOMIC_ACQUIRE))
		return -EBUSY;
	set = old == ring_sets[0] ? ring_sets[1] : ring_sets[0];
	for (c = 0; c < n; c++) {
		mem = alloc_pages_virt(pages);
		if (!mem) {
			err = -ENOMEM;
			break;
		}
		trace_ring_init(&set[c], mem, pages * PAGE_SIZE);
	}
	if (err) {
		while (c--)
			free_pages_virt(set[c].buf, pages);
	} else {
		flags = spin_lock_irqsave(&readers_lock);
		WRITE_ONCE(rings, set);
		ring_size = pages * PAGE_SIZE;
		spin_unlock_irqrestore(&readers_lock, flags);
		/* every writer that found the old set has finished with it */
		if (old) {
			synchronize_cpus();
			for (c = 0; c < n; c++)
				free_pages_virt(old[c].buf, old_pages);
		}
	}
	__atomic_store_n(&resizing, false, __ATOMIC_RELEASE);
	return err;
}

void trace_buffer_set_on(bool on)
{
	WRITE_ONCE(tracing_on, on);
}

void trace_buffer_pause(bool pause)
{
	WRITE_ONCE(paused, pause);
}

/*
 * The merged reader: each CPU's ring has its own iterator and, once looked
 * at, the time stamp of its next entry (peeked through the entry's header
 * without taking it). The oldest of those is read for real; if its ring
 * overwrote it meanwhile, the next one of that CPU comes with its loss.
 */
void trace_buffer_iter_start(struct trace_buffer_iter *it)
{
	uint64_t flags = spin_lock_irqsave(&readers_lock);

	it->ncpus = num_cpus();
	for (unsigned int c = 0; c < it->ncpus; c++) {
		trace_ring_iter_start(&rings[c], &it->cpu[c]);
		it->peeked[c] = false;
	}
	spin_unlock_irqrestore(&readers_lock, flags);
}

/* Under readers_lock: the time stamp of CPU c's next entry; false if none. */
static bool peek(struct trace_buffer_iter *it, unsigned int c)
{
	struct trace_ring_iter probe;
	struct trace_hit head;
	uint64_t lost;

	if (it->peeked[c])
		return true;
	probe = it->cpu[c];
	if (!trace_ring_next(&rings[c], &probe, &head, sizeof(head), &lost))
		return false;
	it->ts[c] = head.ts_ns;
	it->peeked[c] = true;
	return true;
}

size_t trace_buffer_next(struct trace_buffer_iter *it, struct trace_hit *hit,
			 uint64_t *lost)
{
	uint64_t flags = spin_lock_irqsave(&readers_lock);
	unsigned int best = MAX_CPUS;
	size_t n = 0;

	for (unsigned int c = 0; c < it->ncpus; c++)
		if (peek(it, c) && (best == MAX_CPUS || it->ts[c] < it->ts[best]))
			best = c;
	if (best != MAX_CPUS) {
		n = trace_ring_next(&rings[best], &it->cpu[best], hit, TRACE_HIT_MAX, lost);
		it->peeked[best] = false;
	}
	spin_unlock_irqrestore(&readers_lock, flags);
	return n;
}

void trace_buffer_consume(struct trace_buffer_iter *it)
{
	uint64_t flags = spin_lock_irqsave(&readers_lock);

	/* a peeked entry was not taken: the iterators stop before it */
	for (unsigned int c = 0; c < it->ncpus; c++)
		trace_ring_consume(&rings[c], &it->cpu[c]);
	spin_unlock_irqrestore(&readers_lock, flags);
}

static int trace_buffer_init(void)
{
	return trace_buffer_resize(DEFAULT_SIZE);
}
INITCALL(trace_buffer_init, 3);
