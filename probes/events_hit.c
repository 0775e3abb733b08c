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
 * So the handler never nests, and nothing here allocates, prints or takes a
 * lock. The console's side of the buffer runs with interrupts off, but a
 * probe in the code it runs still writes from inside it; the ring itself
 * keeps such a nested write off the entry being copied (trace_buffer.c).
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kprobe_events.h"

#define DEFAULT_SIZE	(128 * 1024)
#define MAX_SIZE	(64UL * 1024 * 1024)

static struct trace_ring ring;
/* One ring for every CPU: writers (probe hits on any CPU) and the console serialise here. */
static struct spinlock ring_lock = SPINLOCK_INIT("trace_ring");
/*
 * How deep this CPU is in ring operations, counted before the lock is even
 * asked for: a probe hit anywhere inside one (on the lock's own code, on the
 * ring's memcpy) runs its handler on this CPU, and that handler must not
 * wait for a lock its own CPU holds or is taking. It writes without the
 * lock instead: no other CPU can be in the ring then, and the ring itself
 * refuses (and counts) what would disturb the operation it interrupted.
 */
static unsigned int ring_depth[MAX_CPUS];

static uint64_t ring_enter(bool *nested)
{
	unsigned int c = this_cpu()->cpu;

	*nested = ring_depth[c]++ > 0;
	barrier();
	return *nested ? local_irq_save() : spin_lock_irqsave(&ring_lock);
}

static void ring_exit(bool nested, uint64_t flags)
{
	if (nested)
		local_irq_restore(flags);
	else
		spin_unlock_irqrestore(&ring_lock, flags);
	barrier();
	ring_depth[this_cpu()->cpu]--;
}
/* hist tables take one updater at a time (hist.c is plain C, no atomics) */
static struct spinlock hist_lock = SPINLOCK_INIT("hist");
static bool tracing_on = true;
static bool paused;
static uint64_t paused_drops;
/* One hit at a time per CPU, and this kernel runs one CPU. */
/* a record is built per CPU: hits on two CPUs at once must not share one */
static uint8_t scratch[MAX_CPUS][ALIGN_UP(TRACE_HIT_MAX, 64)] __aligned(64);

static int read_mem(void *dst, uint64_t addr, size_t n)
{
	return copy_from_kernel_nofault(dst, (const void *)addr, n) ? -EFAULT : 0;
}

static void record(struct kevent *ev, struct pt_regs *regs, uint64_t ip,
		   uint64_t func, const uint64_t *entry, uint64_t irqflags)
{
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
	struct hist_table *h;
	uint64_t now = uptime_ns(), lock;
	bool nested;

	if (!READ_ONCE(tracing_on))
		return;
	if (fetch_args(&ev->def, &ctx, hit->rec, TRACE_RECORD_MAX))
		return;
	/* Triggers see every hit, before the event's filter, as Linux's do. */
	h = READ_ONCE(ev->hist);
	if (h) {
		lock = spin_lock_irqsave(&hist_lock);
		hist_update(h, &ev->def, hit->rec, now);
		spin_unlock_irqrestore(&hist_lock, lock);
	}
	if (!READ_ONCE(ev->enabled))
		return;		/* armed for its trigger only */
	if (READ_ONCE(paused)) {
		paused_drops++;
		return;
	}
	f = READ_ONCE(ev->filter);
	if (f && !trace_filter_match(f, &ev->def, hit->rec))
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
	lock = ring_enter(&nested);
	trace_ring_write(&ring, hit, sizeof(*hit) + ev->def.rec_size);
	ring_exit(nested, lock);
}

int kevent_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct kevent *ev = container_of(kp, struct kevent, rp.kp);

	record(ev, regs, (uint64_t)kp->addr, 0, NULL, local_save_flags());
	return 0;
}

int kevent_entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);
	struct fetch_ctx ctx = { .regs = regs, .read_mem = read_mem };

	if (rp)
		fetch_entry_args(&container_of(rp, struct kevent, rp)->def, &ctx,
				 (uint64_t *)ri->data);
	return 0;
}

int kevent_ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);
	struct kevent *ev;

	if (!rp)
		return 0;
	ev = container_of(rp, struct kevent, rp);
	if (!READ_ONCE(ev->enabled) && !READ_ONCE(ev->hist))
		return 0;	/* disabled while this call was in flight */
	/* the engine runs return handlers with interrupts off; the flags
	 * column shows the function's own state, saved in regs */
	record(ev, regs, ri->ret_addr, ev->def.addr,
	       ev->def.entry_args ? (const uint64_t *)ri->data : NULL, regs->flags);
	return 0;
}

/* ---- the console's side ---- */

void trace_buffer_info(struct trace_buffer_info *info)
{
	bool nested;
	uint64_t flags = ring_enter(&nested);

	info->size = ring.size;
	info->entries = trace_ring_entries(&ring);
	info->written = ring.next_seq;
	info->overwritten = ring.overwritten;
	info->paused_drops = paused_drops;
	info->refused = ring.refused;
	info->on = tracing_on;
	ring_exit(nested, flags);
}

void trace_buffer_clear(void)
{
	bool nested;
	uint64_t flags = ring_enter(&nested);

	trace_ring_clear(&ring);
	ring_exit(nested, flags);
}

int trace_buffer_resize(size_t bytes)
{
	size_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, old_pages;
	void *mem, *old;
	uint64_t flags;
	bool nested;

	if (bytes < TRACE_RING_MIN || bytes > MAX_SIZE)
		return -EINVAL;
	mem = alloc_pages_virt(pages);
	if (!mem)
		return -ENOMEM;
	flags = ring_enter(&nested);
	old = ring.buf;
	old_pages = ring.size / PAGE_SIZE;
	trace_ring_init(&ring, mem, pages * PAGE_SIZE);
	ring_exit(nested, flags);
	if (old)
		free_pages_virt(old, old_pages);
	return 0;
}

void trace_buffer_set_on(bool on)
{
	WRITE_ONCE(tracing_on, on);
}

void trace_buffer_pause(bool pause)
{
	WRITE_ONCE(paused, pause);
}

void trace_buffer_iter_start(struct trace_ring_iter *it)
{
	bool nested;
	uint64_t flags = ring_enter(&nested);

	trace_ring_iter_start(&ring, it);
	ring_exit(nested, flags);
}

size_t trace_buffer_next(struct trace_ring_iter *it, struct trace_hit *hit,
			 uint64_t *lost)
{
	bool nested;
	uint64_t flags = ring_enter(&nested);
	size_t n = trace_ring_next(&ring, it, hit, TRACE_HIT_MAX, lost);

	ring_exit(nested, flags);
	return n;
}

void trace_buffer_consume(const struct trace_ring_iter *it)
{
	bool nested;
	uint64_t flags = ring_enter(&nested);

	trace_ring_consume(&ring, it);
	ring_exit(nested, flags);
}

static int trace_buffer_init(void)
{
	return trace_buffer_resize(DEFAULT_SIZE);
}
INITCALL(trace_buffer_init, 3);
