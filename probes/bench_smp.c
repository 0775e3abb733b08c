/*
 * `bench smp`: the probe engine's per-hit costs with every online CPU
 * hitting at once, then registration and attach-all on that many CPUs (make
 * bench runs it on a 4-CPU guest for the smp_* rows).
 */
#include "bench_internal.h"

/*
 * Every online CPU hitting the probe at once. Under -icount the TSC counts
 * the instructions of all CPUs together (round-robin TCG), so the window's
 * ticks over the iterations all CPUs made is the cost of one iteration, as
 * if on one CPU: a lock or a shared counter on the hit path would show as
 * spinning or slower hits. Every CPU is busy for the whole window (the
 * others loop until told to stop, CPU 0 makes SMP_ITERS), so no idle time
 * is counted.
 */
#define SMP_ITERS	4096

static struct {
	uint64_t n;
} __aligned(64) smp_iters[MAX_CPUS];
static bool smp_stop;

static void smp_spin(void *arg)
{
	unsigned int cpu = this_cpu()->cpu;
	uint64_t sum = 0;

	(void)arg;
	while (!READ_ONCE(smp_stop)) {
		sum = bench_target(sum, smp_iters[cpu].n);
		WRITE_ONCE(smp_iters[cpu].n, smp_iters[cpu].n + 1);
	}
}

/* Ticks per iteration with all CPUs calling bench_target (the median of RUNS windows). */
static uint64_t smp_loop_cost(void)
{
	unsigned int n = num_cpus();
	uint64_t s[RUNS];

	for (int r = 0; r < RUNS; r++) {
		uint64_t flags, t0, before = 0, after = 0;

		memset(smp_iters, 0, sizeof(smp_iters));
		WRITE_ONCE(smp_stop, false);
		for (unsigned int c = 1; c < n; c++)
			smp_run_on(c, smp_spin, NULL);
		for (unsigned int c = 1; c < n; c++)	/* all of them running */
			while (!READ_ONCE(smp_iters[c].n))
				cpu_relax();
		flags = local_irq_save();
		for (unsigned int c = 1; c < n; c++)
			before += READ_ONCE(smp_iters[c].n);
		t0 = rdtsc();
		for (uint64_t i = 0, sum = 0; i < SMP_ITERS; i++) {
			sum = bench_target(sum, i);
			WRITE_ONCE(smp_iters[0].n, i + 1);
		}
		WRITE_ONCE(smp_stop, true);
		s[r] = rdtsc() - t0;
		local_irq_restore(flags);
		for (unsigned int c = 1; c < n; c++) {
			smp_run_wait(c);
			after += smp_iters[c].n;
		}
		s[r] /= SMP_ITERS + after - before;
	}
	bench_sort(s, RUNS);
	return s[RUNS / 2];
}

static void smp_hit_row(const char *name, struct kprobe *kp, struct kretprobe *rp,
			uint64_t (*fn)(uint64_t, uint64_t))
{
	uint64_t base;
	char what[80];
	int err;

	bench_target = fn;
	base = smp_loop_cost();
	err = rp ? register_kretprobe(rp) : register_kprobe(kp);
	if (!err) {
		uint64_t c = smp_loop_cost() - base;

		snprintf(what, sizeof(what), "%u cpus hitting at once (%s)", num_cpus(),
			 rp ? "kretprobe" : kprobe_mode_name(kprobe_mode(kp)));
		if (rp)
			unregister_kretprobe(rp);
		else
			unregister_kprobe(kp);
		bench_row(name, c, "tsc/hit", what);
	}
	bench_target = kp_target_add;
}

/* The per-hit figures with every CPU hitting, then registration and attach-all again. */
void bench_smp(uint64_t base)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = bench_nop_ret };

	(void)base;
	bench_row_prefix = "smp_";
	for (size_t i = 0; i < bench_nr_hit_cases; i++) {
		const struct hit_case *hc = &bench_hit_cases[i];
		struct kprobe kp = { .addr = (uint8_t *)hc->fn + hc->off, .pre_handler = bench_nop_pre,
				     .post_handler = hc->post ? bench_nop_post : NULL };

		smp_hit_row(hc->name, &kp, NULL, hc->fn);
	}
	smp_hit_row("kretprobe", NULL, &rp, kp_target_add);
	bench_register();
	bench_attach_all();
	bench_row_prefix = "";
}
