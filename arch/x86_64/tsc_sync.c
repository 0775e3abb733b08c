/*
 * How far each AP's TSC is from the boot CPU's, measured once at bring-up,
 * so that time stamps taken on different CPUs compare (the trace merges its
 * per-CPU rings by them).
 *
 * The two CPUs take turns through one shared line: each waits for its turn,
 * reads its TSC and hands the turn over with the value it read. A read
 * made after the other CPU's read it follows in real time bounds the
 * offset o = AP - BSP: when the AP read a after the boot CPU read b,
 * o <= a - b; when the boot CPU read b after the AP read a, o >= a - b.
 * Delays (an interrupt, a host that deschedules a vCPU) only loosen the
 * bounds, never make them wrong. If 0 lies between them the clocks agree
 * as far as any exchange between the CPUs can tell, and nothing is
 * corrected (correcting by a guess could only add skew); otherwise the
 * middle of the interval is the offset. QEMU keeps its vCPUs' TSCs in step,
 * so there it measures 0; real machines with TSCs written late differ.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define ROUNDS	64	/* turns each side takes */

struct tsc_sync {
	unsigned long turn;	/* even: the boot CPU's, odd: the AP's */
	uint64_t last;		/* the TSC read by the one who moved last */
	int64_t hi;		/* the AP's bound: min(a - b) */
} __attribute__((aligned(64)));

static struct tsc_sync sync_line;

static inline uint64_t rdtsc_ordered(void)
{
	asm volatile("lfence" : : : "memory");	/* not before the turn was seen */
	return rdtsc();
}

static void ap_side(void *arg)
{
	struct tsc_sync *s = arg;
	int64_t hi = INT64_MAX, d;
	uint64_t a;

	for (unsigned long t = 1; t < 2 * ROUNDS; t += 2) {
		while (smp_load_acquire(&s->turn) != t)
			cpu_relax();
		a = rdtsc_ordered();
		d = (int64_t)(a - s->last);
		if (d < hi)
			hi = d;
		s->last = a;
		smp_store_release(&s->turn, t + 1);
	}
	s->hi = hi;
}

void tsc_sync_cpu(unsigned int cpu)
{
	struct tsc_sync *s = &sync_line;
	int64_t lo = INT64_MIN, off = 0, d;
	uint64_t b;

	s->turn = 0;
	s->hi = INT64_MAX;
	if (smp_run_on(cpu, ap_side, s)) {
		pr_err("smp: cpu %u: tsc offset not measured\n", cpu);
		return;
	}
	for (unsigned long t = 0; t < 2 * ROUNDS; t += 2) {
		while (smp_load_acquire(&s->turn) != t)
			cpu_relax();
		b = rdtsc_ordered();
		if (t) {
			d = (int64_t)(s->last - b);
			if (d > lo)
				lo = d;
		}
		s->last = b;
		smp_store_release(&s->turn, t + 1);
	}
	smp_run_wait(cpu);
	if (lo > 0 || s->hi < 0)
		off = lo / 2 + s->hi / 2;
	tsc_set_offset(cpu, off);
	pr_info("smp: cpu %u tsc offset %ld cycles (bounds %ld..%ld)\n", cpu, off, lo, s->hi);
}
