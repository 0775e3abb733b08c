/*
 * `bench [NAME]`: the probe engine's costs, measured with the TSC. Under
 * `make bench` QEMU runs with -icount shift=0,sleep=off, where the TSC counts
 * guest instructions, so every figure repeats exactly. Each per-hit figure
 * is the median over several runs of a loop calling kp_target_add (a
 * two-instruction function) through a pointer, minus the same loop
 * unprobed. Prints a table row and a machine line `bench: NAME=VALUE UNIT`.
 */
#include "kprobes_internal.h"
#include "console.h"
#include "kallsyms.h"
#include "mm.h"
#include "bpf.h"
#include "opt_reloc.h"
#include "bench_internal.h"

#define ITERS	256
#define FARM	2048	/* bench_farm_N functions (tests/kernel/bench_farm.S) */
#define FARM_INSNS 31	/* nops in each */

uint64_t pt_fnop_add(uint64_t a, uint64_t b);

/* The function the loop calls, through a pointer so nothing is folded. */
uint64_t (*volatile bench_target)(uint64_t, uint64_t) = kp_target_add;

static __noinline uint64_t bench_loop(uint64_t n)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum = bench_target(sum, i);
	return sum;
}

void bench_sort(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Median TSC ticks per iteration of the loop, interrupts off. */
static uint64_t loop_cost(void)
{
	uint64_t s[RUNS];

	for (int r = 0; r < RUNS; r++) {
		uint64_t flags = local_irq_save(), t0 = rdtsc();

		bench_loop(ITERS);
		s[r] = rdtsc() - t0;
		local_irq_restore(flags);
	}
	bench_sort(s, RUNS);
	return s[RUNS / 2] / ITERS;
}

const char *bench_row_prefix = "";	/* "smp_" while `bench smp` reruns a bench */

void bench_row(const char *name, uint64_t value, const char *unit, const char *what)
{
	cprintf("%s%-*s %10lu %-10s %s\n", bench_row_prefix, 28 - (int)strlen(bench_row_prefix), name,
		value, unit, what);
	cprintf("bench: %s%s=%lu %s\n", bench_row_prefix, name, value, unit);
}

int bench_nop_pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return 0;
}

void bench_nop_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)regs;
	(void)flags;
}

int bench_nop_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	return 0;
}

const struct hit_case bench_hit_cases[] = {
	{ "kprobe_step", "int3 + #DB, pre (%s: fnop)", pt_fnop_add, 0, false },
	{ "kprobe_step_post", "int3 + #DB, pre+post (%s: lea)", kp_target_add, 0, true },
	{ "kprobe_boost", "int3, copy jumps back (%s: lea)", kp_target_add, 0, false },
	{ "kprobe_emulate", "int3, done in C (%s: ret)", kp_target_add, 4, false },
};
const size_t bench_nr_hit_cases = ARRAY_SIZE(bench_hit_cases);

/* Extra ticks per hit, over the same loop calling fn unprobed. */
static void hit_row(const struct hit_case *hc)
{
	struct kprobe kp = { .addr = (uint8_t *)hc->fn + hc->off, .pre_handler = bench_nop_pre,
			     .post_handler = hc->post ? bench_nop_post : NULL };
	uint64_t base, c;
	char what[64];

	bench_target = hc->fn;
	base = loop_cost();
	if (!register_kprobe(&kp)) {
		c = loop_cost() - base;
		snprintf(what, sizeof(what), hc->what, kprobe_mode_name(kprobe_mode(&kp)));
		unregister_kprobe(&kp);
		bench_row(hc->name, c, "tsc/hit", what);
	}
	bench_target = kp_target_add;
}

static void bench_hits(uint64_t base)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = bench_nop_ret,
				.maxactive = 4 };
	uint64_t c;

	for (size_t i = 0; i < bench_nr_hit_cases; i++)
		hit_row(&bench_hit_cases[i]);
	if (!register_kretprobe(&rp)) {
		c = loop_cost() - base;
		unregister_kretprobe(&rp);
		bench_row("kretprobe", c, "tsc/hit", "entry int3 + trampoline");
	}
}

/* A trace event with two fetch-args, defined as a user would on the console. */
static void bench_event(uint64_t base)
{
	char def[] = "p:bench/two kp_target_add a=%di b=%si:u32";
	char en[] = "enable bench/two", dis[] = "disable bench/two", del[] = "-:bench/two";
	char clr[] = "trace clear";
	uint64_t c;

	if (console_run_line(def)) {
		cprintf("%-28s %10s %-10s %s\n", "kprobe_event_2args", "-", "", "no kprobe_events");
		return;
	}
	console_run_line(en);
	c = loop_cost() - base;
	console_run_line(dis);	/* an enabled event cannot be removed (as in Linux) */
	console_run_line(del);
	console_run_line(clr);
	bench_row("kprobe_event_2args", c, "tsc/hit", "event with two fetch-args into the trace buffer");
}

static uint8_t *farm_insn(unsigned int i)
{
	static uint64_t farm[FARM];
	unsigned int fn = i / FARM_INSNS;
	char name[32];

	if (!farm[fn]) {
		snprintf(name, sizeof(name), "bench_farm_%u", fn);
		farm[fn] = kallsyms_lookup_name(name);
	}
	return (uint8_t *)farm[fn] + i % FARM_INSNS;
}

/* The same hit with 0 ... 50,000 other probes registered. */
static void bench_scaling(uint64_t base)
{
	static const unsigned int steps[] = { 0, 1000, 10000, 50000 };
	unsigned int n = 0;
	struct kprobe *others = kzalloc(sizeof(*others) * 50000);
	struct kprobe kp = { .addr = (uint8_t *)kp_target_add, .pre_handler = bench_nop_pre };
	char name[48], what[64];

	if (!others || register_kprobe(&kp)) {
		kfree(others);
		cprintf("error: scaling benchmark could not start\n");
		return;
	}
	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		for (; n < steps[s]; n++) {
			others[n].addr = farm_insn(n);
			if (register_kprobe(&others[n]))
				break;
		}
		snprintf(name, sizeof(name), "kprobe_boost_with_%u", steps[s]);
		snprintf(what, sizeof(what), "%u other probes, %lu buckets", n, site_buckets());
		bench_row(name, loop_cost() - base, "tsc/hit", what);
	}
	unregister_kprobe(&kp);
	while (n)
		unregister_kprobe(&others[--n]);
	kfree(others);
}

/* Register + arm and disarm + unregister, one at a time and batched. */
void bench_register(void)
{
	enum { N = 1000 };
	struct kprobe *kps = kzalloc(sizeof(*kps) * N);
	struct kprobe **ptrs = kzalloc(sizeof(*ptrs) * N);
	uint64_t t0, t1, t2;

	if (!kps || !ptrs)
		goto out;
	for (int i = 0; i < N; i++) {
		kps[i].addr = farm_insn(i * 3);
		ptrs[i] = &kps[i];
	}
	t0 = rdtsc();
	for (int i = 0; i < N; i++)
		register_kprobe(&kps[i]);
	t1 = rdtsc();
	for (int i = 0; i < N; i++)
		unregister_kprobe(&kps[i]);
	t2 = rdtsc();
	bench_row("register_arm", (t1 - t0) / N, "tsc/probe", "one at a time");
	bench_row("disarm_unregister", (t2 - t1) / N, "tsc/probe", "one at a time");
	for (int i = 0; i < N; i++)
		kps[i] = (struct kprobe){ .addr = farm_insn(i * 3) };
	t0 = rdtsc();
	register_kprobes(ptrs, N);
	t1 = rdtsc();
	unregister_kprobes(ptrs, N);
	t2 = rdtsc();
	bench_row("register_arm_batch", (t1 - t0) / N, "tsc/probe", "register_kprobes of 1000");
	bench_row("disarm_unregister_batch", (t2 - t1) / N, "tsc/probe", "unregister_kprobes of 1000");
out:
	kfree(kps);
	kfree(ptrs);
}

struct attach_all {
	struct kprobe *kps;
	unsigned int n, max, blacklisted, refused;
};

static int attach_one(const struct ksym *s, void *arg)
{
	struct attach_all *a = arg;

	if (s->type != 't' || a->n == a->max || !strncmp(ksym_name(s), "bench_farm_", 11))
		return 0;
	if (kprobe_blacklisted(s->addr)) {
		a->blacklisted++;
		return 0;
	}
	a->kps[a->n] = (struct kprobe){ .addr = (uint8_t *)s->addr };
	if (register_kprobe(&a->kps[a->n]))
		a->refused++;	/* e.g. an assembly label that is not an instruction start */
	else
		a->n++;
	return 0;
}

/* Attach a probe (no handlers) to the entry of every kernel function, then detach. */
void bench_attach_all(void)
{
	struct attach_all a = { .max = kallsyms_count() };
	struct kprobe_stats before, after;
	uint64_t t0, t1, t2, sum = kernel_text_checksum();
	unsigned int attached;
	char what[80];

	a.kps = kzalloc(sizeof(*a.kps) * a.max);
	if (!a.kps)
		return;
	t0 = rdtsc();
	kallsyms_for_each(attach_one, &a);
	t1 = rdtsc();
	attached = a.n;
	kprobe_get_stats(&before);
	loop_cost();	/* the kernel keeps running with every function probed */
	kprobe_get_stats(&after);
	t2 = rdtsc();
	while (a.n)
		unregister_kprobe(&a.kps[--a.n]);
	t2 = rdtsc() - t2;
	kfree(a.kps);
	snprintf(what, sizeof(what), "%u functions (%u blacklisted, %u refused), %lu hits running",
		 attached, a.blacklisted, a.refused, after.hits - before.hits);
	bench_row("attach_all_functions", (t1 - t0) / 1000, "ktsc", what);
	bench_row("detach_all_functions", t2 / 1000, "ktsc", sum == kernel_text_checksum() ?
	    "text bit-identical afterwards" : "TEXT CHANGED");
}

/* How much of the kernel refuses probes (DESIGN: <= 3% of kernel text). */
static void bench_blacklist(void)
{
	uint64_t bytes, text;
	unsigned long funcs, all;
	char what[96];

	kprobe_blacklist_stats(&bytes, &text, &funcs, &all);
	snprintf(what, sizeof(what), "%lu of %lu text bytes; `kprobes blacklist` lists them",
		 bytes, text);
	bench_row("blacklist_text", bytes * 10000 / text, "0.01%", what);
	snprintf(what, sizeof(what), "of %lu functions", all);
	bench_row("blacklist_functions", funcs, "functions", what);
}

/* An unprobed function costs the same before any probe and after one came and went. */
/*
 * A fixed piece of ordinary kernel work that calls no bench_farm function:
 * formatting, symbol lookups, string and memory routines (no heap, whose
 * state the probes' own allocations would change). Median of RUNS.
 */
static uint64_t workload_cost(void)
{
	static const char *const names[] = { "kmain", "printk", "kp_target_add", "memcpy" };
	uint64_t s[RUNS];
	char buf[128], copy[128];

	for (int r = 0; r < RUNS; r++) {
		uint64_t flags = local_irq_save(), t0 = rdtsc(), sum = 0;

		for (int i = 0; i < 64; i++) {
			const char *n = names[i % ARRAY_SIZE(names)];

			sum += kallsyms_lookup_name(n);
			snprintf(buf, sizeof(buf), "%s+%#x %d %s", n, i, -i, "workload");
			memcpy(copy, buf, sizeof(copy));
			sum += strlen(copy);
		}
		s[r] = rdtsc() - t0;
		local_irq_restore(flags);
		if (!sum)	/* keeps the work from being optimised away */
			cprintf("bench: workload: nothing found\n");
	}
	bench_sort(s, RUNS);
	return s[RUNS / 2];
}

/*
 * What probes cost code that never hits them: the same workload with no
 * probe, then with NOHIT_PROBES registered on functions it never runs.
 */
#define NOHIT_PROBES 10000

static void bench_nohit(uint64_t base)
{
	struct kprobe *kps = kzalloc(sizeof(*kps) * NOHIT_PROBES);
	uint64_t without, with;
	unsigned int n = 0;
	char what[80];

	(void)base;
	if (!kps) {
		cprintf("error: nohit benchmark: no memory\n");
		return;
	}
	without = workload_cost();
	for (; n < NOHIT_PROBES; n++) {
		kps[n].addr = farm_insn(n);
		if (register_kprobe(&kps[n]))
			break;
	}
	with = workload_cost();
	while (n)
		unregister_kprobe(&kps[--n]);
	kfree(kps);
	bench_row("nohit_workload_0", without, "tsc/run", "symbol lookups, snprintf, memcpy, strlen; no probes");
	snprintf(what, sizeof(what), "the same with %u probes on functions it never calls",
		 NOHIT_PROBES);
	bench_row("nohit_workload_10000", with, "tsc/run", what);
}

/*
 * The interpreter per instruction, in the guest: a three-instruction ALU
 * and branch loop (add, sub, jne) run LOOP times, plus three to set up and
 * exit, through bpf_prog_run() (a hand-built program: nothing to verify).
 */
#define INTERP_LOOP	1000

static void bench_interp(void)
{
	static struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = INTERP_LOOP },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 0, .src_reg = 1 },
		{ .code = BPF_ALU64 | BPF_SUB | BPF_K, .dst_reg = 1, .imm = 1 },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 1, .off = -3, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog prog = { .type = BPF_PROG_TYPE_KPROBE, .insnsi = insns,
				 .len = ARRAY_SIZE(insns) };
	uint64_t s[RUNS], n = 3 + 3 * INTERP_LOOP;

	for (int r = 0; r < RUNS; r++) {
		uint64_t flags = local_irq_save(), t0 = rdtsc();

		bpf_prog_run(&prog, NULL);
		s[r] = rdtsc() - t0;
		local_irq_restore(flags);
	}
	bench_sort(s, RUNS);
	/* hundredths, so the row keeps a fraction: 1234 means 12.34 ticks */
	bench_row("bpf_interp_insn_x100", s[RUNS / 2] * 100 / n, "tsc/100insn",
	    "interpreter, per 100 eBPF insns (add, sub, jne loop)");
}

/*
 * A kprobe whose handler is an eBPF program updating a hash map: the
 * kprobe_hist sample (bpf load boot:kprobe_hist.o first), attached the way
 * `bpf attach` does. Its log2 loop runs once per bit of the loop's running
 * sum, which is the same every run, so the figure still repeats exactly.
 */
static void bench_bpf(uint64_t base)
{
	const struct bpf_attach_ops *ops = bpf_attach_ops(BPF_PROG_TYPE_KPROBE);
	struct bpf_prog *prog = bpf_prog_find("kprobe_hist");
	char err[160];
	uint64_t c;

	bench_interp();
	if (!prog || !ops) {
		cprintf("error: bench bpf: no program kprobe_hist (bpf load boot:kprobe_hist.o)\n");
		return;
	}
	if (ops->attach(prog, "kp_target_add", err, sizeof(err))) {
		cprintf("error: bench bpf: %s\n", err);
		return;
	}
	c = loop_cost() - base;
	ops->detach(prog, err, sizeof(err));
	bench_row("kprobe_bpf_hash", c, "tsc/hit", "kprobe running kprobe_hist.o: log2 bucket, hash map update");
}

/*
 * Jump-optimized probes: the hit of an optimized kprobe and kretprobe on the
 * loop's function, and the share of probe-able boundaries a jmp can replace,
 * in hundredths of a percent, with a row per reason for the rest.
 */
static void bench_optimized(uint64_t base)
{
	static const char *const keys[OPT_REASONS] = {
		[OPT_NO_ROOM] = "no_room", [OPT_BRANCH_TARGET] = "branch_target",
		[OPT_CALL_INSIDE] = "call_inside", [OPT_INSN] = "insn",
		[OPT_OUT_OF_REACH] = "out_of_reach", [OPT_OTHER_PROBE] = "other_probe",
		[OPT_MODULE] = "module", [OPT_UNDECODABLE] = "undecodable",
	};
	struct kprobe kp = { .addr = (uint8_t *)kp_target_add, .pre_handler = bench_nop_pre };
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = bench_nop_ret,
				.maxactive = 4 };
	struct opt_coverage cov;
	char name[48];
	uint64_t c;

	if (!register_kprobe(&kp)) {
		kprobes_optimize();
		c = loop_cost() - base;
		bench_row("kprobe_optimized", c, "tsc/hit", kprobe_mode(&kp) == KPROBE_MODE_OPTIMIZED ?
		    "jmp to a detour, pre (lea; ret replaced)" : "NOT optimized");
		unregister_kprobe(&kp);
	}
	if (!register_kretprobe(&rp)) {
		kprobes_optimize();
		c = loop_cost() - base;
		bench_row("kretprobe_optimized", c, "tsc/hit",
		    kprobe_mode(&rp.kp) == KPROBE_MODE_OPTIMIZED ?
		    "entry by detour, return by the trampoline" : "NOT optimized");
		unregister_kretprobe(&rp);
	}
	opt_coverage(NULL, &cov);
	bench_row("opt_coverage", cov.boundaries ? cov.count[OPT_OK] * 10000 / cov.boundaries : 0,
	    "bp", "probe-able boundaries a jmp can replace (1/100 %)");
	bench_row("opt_boundaries", cov.boundaries, "count", "probe-able instruction boundaries");
	for (int r = 1; r < OPT_REASONS; r++) {
		snprintf(name, sizeof(name), "opt_refused_%s", keys[r]);
		bench_row(name, cov.count[r], "count", opt_reason_name(r));
	}
}

static const struct {
	const char *name;
	void (*fn)(uint64_t base);
} benches[] = {
	{ "hits", bench_hits },
	{ "event", bench_event },
	{ "scaling", bench_scaling },
	{ "register", (void (*)(uint64_t))bench_register },
	{ "attach", (void (*)(uint64_t))bench_attach_all },
	{ "blacklist", (void (*)(uint64_t))bench_blacklist },
	{ "nohit", bench_nohit },
	{ "bpf", bench_bpf },
	{ "optimized", bench_optimized },
	{ "smp", bench_smp },	/* not part of a plain `bench`: make bench runs it on 4 CPUs */
};

static int cmd_bench(int argc, char **argv)
{
	bool any = false;
	uint64_t base;

	if (argc > 2)
		return cmd_error("usage: bench [hits|event|scaling|register|attach|blacklist|nohit|"
				 "bpf|optimized|smp]");
	for (size_t i = 0; argc == 2 && i < ARRAY_SIZE(benches); i++)
		any |= !strcmp(argv[1], benches[i].name);
	if (argc == 2 && !any)
		return cmd_error("no benchmark '%s' (hits, event, scaling, register, attach, "
				 "blacklist, nohit, bpf, optimized, smp)", argv[1]);
	base = loop_cost();
	cprintf("%-28s %10s %-10s %s\n", "metric", "value", "unit", "what");
	bench_row("baseline_call", base, "tsc/call", "kp_target_add through a pointer, unprobed");
	for (size_t i = 0; i < ARRAY_SIZE(benches); i++)
		if (argc < 2 ? benches[i].fn != bench_smp : !strcmp(argv[1], benches[i].name))
			benches[i].fn(base);
	return 0;
}
CONSOLE_CMD(bench, cmd_bench, "bench [NAME]",
	    "measure probe costs (deterministic under make bench's -icount)");
