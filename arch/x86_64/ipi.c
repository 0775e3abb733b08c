/*
 * Cross-CPU calls and grace periods.
 *
 * Each CPU has a mailbox: the caller writes fn and arg, bumps req (release),
 * and sends CALL_VECTOR; the target runs fn in its interrupt handler and
 * copies req to done (release); the caller waits for done == req. One call
 * is in flight at a time (call_lock), so a mailbox never holds two. A CPU
 * spinning with interrupts off (spin_lock_irqsave) polls its own mailbox, so
 * a call never waits on a CPU that cannot take the IPI.
 *
 * A grace period: every CPU has been seen outside every reader. Readers of
 * probe-engine state run with interrupts off (the int3/#DB path, return
 * handlers), or execute in an out-of-line slot (a boosted copy runs with the
 * probed code's IF). So a CPU that takes the call IPI at an address outside
 * the slot area holds nothing it found before the call was sent. One that
 * answers by polling is in lock code, which a handler may have called: the
 * engine says whether this CPU is in its hit path (smp_reader_check_set),
 * and such an answer counts only outside it. An idle CPU wakes from hlt on
 * the IPI and answers at once.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

struct call_box {
	smp_call_fn fn;
	void *arg;
	const struct pt_regs *regs;	/* what the IPI interrupted; NULL when polled */
	unsigned long req, done;
	bool quiet;			/* grace period: seen outside the readers */
} __attribute__((aligned(64)));

static struct call_box boxes[MAX_CPUS];
static struct spinlock call_lock = SPINLOCK_INIT("smp_call");

static __noprobe("poke") void run_box(struct call_box *b, const struct pt_regs *regs)
{
	unsigned long req = smp_load_acquire(&b->req);

	if (req == b->done)
		return;
	b->regs = regs;
	b->fn(b->arg);
	smp_store_release(&b->done, req);
}

/* Interrupts off: the IPI for the same request must not run it again inside. */
__noprobe("poke") void smp_call_poll(void)
{
	uint64_t flags = local_irq_save();

	run_box(&boxes[this_cpu()->cpu], NULL);
	local_irq_restore(flags);
}

__noprobe("poke") void smp_call_interrupt(struct pt_regs *regs)
{
	run_box(&boxes[this_cpu()->cpu], regs);
}

static __noprobe("poke") void post(unsigned int cpu, smp_call_fn fn, void *arg)
{
	struct call_box *b = &boxes[cpu];

	b->fn = fn;
	b->arg = arg;
	smp_store_release(&b->req, b->req + 1);
	lapic_send_ipi(cpu_percpu(cpu)->apic_id, CALL_VECTOR);
}

static __noprobe("poke") void wait_done(unsigned int cpu)
{
	struct call_box *b = &boxes[cpu];

	while (smp_load_acquire(&b->done) != b->req)
		cpu_relax();
}

int smp_call_on(unsigned int cpu, smp_call_fn fn, void *arg)
{
	uint64_t flags;

	if (cpu >= num_cpus())
		return -EINVAL;
	flags = raw_spin_lock_irqsave(&call_lock);
	if (cpu == this_cpu()->cpu) {
		boxes[cpu].regs = NULL;
		fn(arg);
	} else {
		post(cpu, fn, arg);
		wait_done(cpu);
	}
	raw_spin_unlock_irqrestore(&call_lock, flags);
	return 0;
}

__noprobe("poke") void smp_call_all(smp_call_fn fn, void *arg)
{
	unsigned int n = num_cpus(), self = this_cpu()->cpu;
	uint64_t flags = raw_spin_lock_irqsave(&call_lock);

	for (unsigned int c = 0; c < n; c++)
		if (c != self)
			post(c, fn, arg);
	boxes[self].regs = NULL;
	fn(arg);
	for (unsigned int c = 0; c < n; c++)
		if (c != self)
			wait_done(c);
	raw_spin_unlock_irqrestore(&call_lock, flags);
}

struct quiet_range {
	uint64_t lo, hi;
};

static bool (*in_reader)(void);

void smp_reader_check_set(bool (*fn)(void))
{
	in_reader = fn;
}

static void note_quiet(void *arg)
{
	const struct quiet_range *r = arg;
	struct call_box *b = &boxes[this_cpu()->cpu];
	/* once: run locally, with interrupts on, an IPI may set and clear it meanwhile */
	const struct pt_regs *regs = READ_ONCE(b->regs);

	b->quiet = !(in_reader && in_reader()) &&
		   (!regs || (!in_exec_area(regs->ip) && regs->ip - r->lo >= r->hi - r->lo));
}

void synchronize_cpus(void)
{
	synchronize_cpus_outside(0, 0);
}

/*
 * A CPU interrupted at ip in [lo, hi) will resume there: the caller waits
 * until every CPU was seen elsewhere (interrupt handlers run with
 * interrupts off, so the frame the call interrupted is the only one). Once
 * seen outside, a CPU stays done: whatever it finds from then on is what
 * the caller left, so the CPUs need not be quiet in the same round (a CPU
 * that keeps hitting a probe is caught in its slot most of the time).
 */
void synchronize_cpus_outside(uint64_t lo, uint64_t hi)
{
	struct quiet_range r = { lo, hi };
	unsigned int n = num_cpus();
	bool seen[MAX_CPUS] = { false }, all;

	if (n == 1)
		return;		/* the caller is outside every reader */
	do {
		smp_call_all(note_quiet, &r);
		all = true;
		for (unsigned int c = 0; c < n; c++) {
			seen[c] |= READ_ONCE(boxes[c].quiet);
			all &= seen[c];
		}
	} while (!all);
}

NOKPROBE_SYMBOL(smp_call_poll);
NOKPROBE_SYMBOL(smp_call_interrupt);
NOKPROBE_SYMBOL(run_box);

void smp_wake(unsigned int cpu)
{
	if (cpu < num_cpus() && cpu != this_cpu()->cpu)
		lapic_send_ipi(cpu_percpu(cpu)->apic_id, WAKE_VECTOR);
}
