/*
 * `stress probes SECONDS [CPUS]`: the probe engine under real concurrency.
 * CPUs 1 .. CPUS-1 call the stress functions (probes/stress_targets.S) in a
 * loop; CPU 0 calls them too, between registering, unregistering, enabling
 * and disabling kprobes on any of their instruction boundaries, kretprobes
 * (maxactive 1 or the default) and trace events with fetch-args on them,
 * thousands of times. Anchors registered for the whole run count every call.
 *
 * Checked at the end, one `error:` line per failure: each function's own
 * call counter equals the calls the CPUs made; every anchor's hits + misses
 * equal its function's calls (entry, return with either maxactive, event);
 * every churned probe's hits equal its handler's runs; every call returned
 * the right value and every handler saw its own address; the heap holds
 * what it held before; the kernel text is bit-identical.
 */
#include "kprobes_internal.h"
#include "console.h"
#include "kallsyms.h"
#include "kprobe_events.h"
#include "mm.h"

#define NFN		6	/* stress_fn0 .. stress_fn5 */
#define MAX_INSNS	16	/* boundaries per function */
#define NCHURN		24	/* churned kprobes alive at once, at most */
#define NCHURN_RET	4
#define NCHURN_EV	3

uint64_t stress_fn0(uint64_t), stress_fn1(uint64_t), stress_fn2(uint64_t),
	stress_fn3(uint64_t), stress_fn4(uint64_t), stress_fn5(uint64_t);
extern uint64_t stress_fn_calls[NFN];

static uint64_t (*const fns[NFN])(uint64_t) = {
	stress_fn0, stress_fn1, stress_fn2, stress_fn3, stress_fn4, stress_fn5,
};

struct churn {
	struct kprobe kp;
	unsigned long pre_runs;
	bool live;
};

struct churn_ret {
	struct kretprobe rp;
	unsigned long ret_runs;
	bool live;
};

/* Everything a run shares; each worker writes only its own calls[] row. */
static struct stress {
	unsigned int ncpus;
	bool stop;
	unsigned int noffs[NFN];
	unsigned int offs[NFN][MAX_INSNS];	/* instruction boundaries */
	uint64_t calls[MAX_CPUS][8] __aligned(64);	/* a cache line per CPU */
	unsigned long bad_returns, bad_ip;	/* any CPU: locked adds */
	struct churn churn[NCHURN];
	struct churn_ret churn_ret[NCHURN_RET];
	bool ev_live[NCHURN_EV];
	unsigned long regs, unregs, enables, disables, ret_regs, events, failures;
	uint64_t rng;
} st;

static uint64_t rnd(void)
{
	st.rng ^= st.rng << 13;
	st.rng ^= st.rng >> 7;
	st.rng ^= st.rng << 17;
	return st.rng;
}

static void call_all_once(unsigned int cpu)
{
	for (unsigned int f = 0; f < NFN; f++) {
		uint64_t x = st.calls[cpu][f];

		if (fns[f](x) != x + 1)
			__atomic_add_fetch(&st.bad_returns, 1, __ATOMIC_RELAXED);
		WRITE_ONCE(st.calls[cpu][f], x + 1);
	}
}

static void worker(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	while (!READ_ONCE(st.stop))
		call_all_once(cpu);
}

/* ---- handlers ---- */

static int churn_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct churn *c = container_of(p, struct churn, kp);

	if (regs->ip != (uint64_t)p->addr)
		__atomic_add_fetch(&st.bad_ip, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->pre_runs, 1, __ATOMIC_RELAXED);
	return 0;
}

static void churn_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)regs;
	(void)flags;
}

/*
 * The entry handler keeps the churned kretprobe in the instance: the return
 * handler may run while it is being unregistered, when get_kretprobe()
 * already says NULL, and its run must still be counted.
 */
static int churn_entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = get_kretprobe(ri);

	(void)regs;
	if (!rp)
		return 1;	/* going away: no return probe for this call */
	*(struct churn_ret **)ri->data = container_of(rp, struct churn_ret, rp);
	return 0;
}

static int churn_ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct churn_ret *c = *(struct churn_ret **)ri->data;

	(void)regs;
	__atomic_add_fetch(&c->ret_runs, 1, __ATOMIC_RELAXED);
	return 0;
}

static int anchor_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (regs->ip != (uint64_t)p->addr)
		__atomic_add_fetch(&st.bad_ip, 1, __ATOMIC_RELAXED);
	return 0;
}

static int anchor_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	return 0;
}

/* ---- CPU 0's churn ---- */

static int fail(const char *what, int err)
{
	st.failures++;
	cprintf("error: stress: %s failed: %d\n", what, err);
	return err;
}

static void churn_unregister(struct churn *c)
{
	unregister_kprobe(&c->kp);
	c->live = false;
	st.unregs++;
	if (kprobe_nhit(&c->kp) != c->pre_runs) {
		st.failures++;
		cprintf("error: stress: probe at %p: %lu hits but its handler ran %lu times\n",
			c->kp.addr, kprobe_nhit(&c->kp), c->pre_runs);
	}
}

static void churn_kprobe(struct churn *c)
{
	unsigned int f = rnd() % NFN, i = rnd() % st.noffs[f];
	int err;

	if (c->live) {
		if (rnd() % 2) {
			churn_unregister(c);
			return;
		}
		if (c->kp.flags & KPROBE_FLAG_DISABLED) {
			err = enable_kprobe(&c->kp);
			st.enables++;
		} else {
			err = disable_kprobe(&c->kp);
			st.disables++;
		}
		if (err)
			fail("enable/disable", err);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->kp.addr = (uint8_t *)fns[f] + st.offs[f][i];
	c->kp.pre_handler = churn_pre;
	c->kp.post_handler = rnd() % 2 ? churn_post : NULL;	/* boost/emulate or step */
	c->kp.flags = rnd() % 4 ? 0 : KPROBE_FLAG_DISABLED;
	err = register_kprobe(&c->kp);
	if (err) {
		fail("register_kprobe", err);
		return;
	}
	c->live = true;
	st.regs++;
}

static void churn_ret_unregister(struct churn_ret *c)
{
	unregister_kretprobe(&c->rp);
	c->live = false;
	if (kretprobe_nhit(&c->rp) != c->ret_runs) {
		st.failures++;
		cprintf("error: stress: kretprobe on %p: %lu returns but its handler ran %lu times\n",
			c->rp.kp.addr, kretprobe_nhit(&c->rp), c->ret_runs);
	}
}

static void churn_kretprobe(struct churn_ret *c)
{
	int err;

	if (c->live) {
		churn_ret_unregister(c);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->rp.kp.addr = (uint8_t *)fns[rnd() % NFN];
	c->rp.handler = churn_ret_handler;
	c->rp.entry_handler = churn_entry_handler;
	c->rp.data_size = sizeof(struct churn_ret *);
	c->rp.maxactive = rnd() % 2;	/* 1, or the default */
	err = register_kretprobe(&c->rp);
	if (err) {
		fail("register_kretprobe", err);
		return;
	}
	c->live = true;
	st.ret_regs++;
}

static int event_line(const char *line)
{
	char msg[KEVENT_MSG_MAX];
	int err = kprobe_events_write(line, msg, sizeof(msg));

	if (err < 0) {
		st.failures++;
		cprintf("error: stress: '%s': %s\n", line, msg);
	}
	return err;
}

static int event_enable(const char *name, bool on)
{
	char msg[KEVENT_MSG_MAX];
	int err = kevent_enable(name, on, msg, sizeof(msg));

	if (err < 0) {
		st.failures++;
		cprintf("error: stress: %s %s: %s\n", on ? "enable" : "disable", name, msg);
	}
	return err;
}

/* Define and enable an event with fetch-args at a random boundary, or disable and remove it. */
static void churn_event(unsigned int k)
{
	char line[128], name[32];
	unsigned int f = rnd() % NFN, i = rnd() % st.noffs[f];

	snprintf(name, sizeof(name), "stress/c%u", k);
	if (st.ev_live[k]) {
		event_enable(name, false);
		snprintf(line, sizeof(line), "-:%s", name);
		event_line(line);
		st.ev_live[k] = false;
		return;
	}
	if (rnd() % 2)
		snprintf(line, sizeof(line), "p:%s stress_fn%u+%u a=%%di sp=+0(%%sp):x64", name, f,
			 st.offs[f][i]);
	else
		snprintf(line, sizeof(line), "r:%s stress_fn%u rv=$retval a=$arg1", name, f);
	if (event_line(line) < 0)
		return;
	st.ev_live[k] = true;
	st.events++;
	event_enable(name, true);
}

/* ---- the run ---- */

static void find_boundaries(void)
{
	for (unsigned int f = 0; f < NFN; f++) {
		uint64_t off, start = (uint64_t)fns[f];
		const struct ksym *sym = kallsyms_lookup(start, &off);
		uint64_t end = sym ? sym->addr + sym->size : start;

		st.noffs[f] = 0;
		for (uint64_t pc = start; pc < end && st.noffs[f] < MAX_INSNS;) {
			uint8_t buf[INSN_MAX_LEN];
			size_t n = kprobe_read_orig(pc, buf, sizeof(buf));
			struct insn insn;

			if (insn_decode(&insn, buf, n, pc))
				break;
			st.offs[f][st.noffs[f]++] = pc - start;
			pc += insn.len;
		}
	}
}

static struct kprobe anchors[NFN];
static struct kretprobe anchor_rp, anchor_rp1;

static struct kevent *anchor_event;

static int find_event(struct kevent *ev, void *arg)
{
	*(struct kevent **)arg = ev;
	return 1;
}

static int anchors_register(void)
{
	unsigned int f;
	int err = 0;

	for (f = 0; f < NFN && !err; f++) {
		memset(&anchors[f], 0, sizeof(anchors[f]));
		anchors[f].addr = (uint8_t *)fns[f];
		anchors[f].pre_handler = anchor_pre;
		err = register_kprobe(&anchors[f]);
	}
	if (err) {
		fail("an anchor kprobe", err);
		f--;	/* the one that failed */
		goto kprobes;
	}
	memset(&anchor_rp, 0, sizeof(anchor_rp));
	anchor_rp.kp.addr = (uint8_t *)stress_fn1;
	anchor_rp.handler = anchor_ret;
	memset(&anchor_rp1, 0, sizeof(anchor_rp1));
	anchor_rp1.kp.addr = (uint8_t *)stress_fn3;
	anchor_rp1.handler = anchor_ret;
	anchor_rp1.maxactive = 1;	/* one in flight on all CPUs together */
	err = register_kretprobe(&anchor_rp);
	if (!err && (err = register_kretprobe(&anchor_rp1)))
		unregister_kretprobe(&anchor_rp);
	if (err) {
		fail("an anchor kretprobe", err);
		goto kprobes;
	}
	err = event_line("p:stress/anchor stress_fn2 a=%di b=+0(%sp):x64");
	if (err < 0) {
		unregister_kretprobe(&anchor_rp1);
		unregister_kretprobe(&anchor_rp);
		goto kprobes;
	}
	anchor_event = NULL;
	kevent_for_each("stress/anchor", find_event, &anchor_event);
	event_enable("stress/anchor", true);
	return 0;
kprobes:
	while (f--)
		unregister_kprobe(&anchors[f]);
	return err;
}

static void expect_eq(const char *what, unsigned long got, unsigned long want)
{
	if (got != want) {
		st.failures++;
		cprintf("error: stress: %s: %lu, expected %lu\n", what, got, want);
	}
}

static void anchors_check_and_remove(const uint64_t *calls)
{
	char what[64];

	for (unsigned int f = 0; f < NFN; f++) {
		snprintf(what, sizeof(what), "stress_fn%u entry probe hits + misses", f);
		expect_eq(what, kprobe_nhit(&anchors[f]) + kprobe_nmissed(&anchors[f]), calls[f]);
	}
	expect_eq("stress_fn1 return probe returns + misses",
		  kretprobe_nhit(&anchor_rp) + kretprobe_nmissed(&anchor_rp), calls[1]);
	expect_eq("stress_fn3 return probe (maxactive 1) returns + misses",
		  kretprobe_nhit(&anchor_rp1) + kretprobe_nmissed(&anchor_rp1), calls[3]);
	expect_eq("stress_fn1 entry of its return probe",
		  kprobe_nhit(&anchor_rp.kp) + kprobe_nmissed(&anchor_rp.kp), calls[1]);
	if (anchor_event)
		expect_eq("stress/anchor event hits + misses",
			  kevent_hits(anchor_event) + kevent_misses(anchor_event), calls[2]);
	event_enable("stress/anchor", false);
	event_line("-:stress/anchor");
	unregister_kretprobe(&anchor_rp1);
	unregister_kretprobe(&anchor_rp);
	for (unsigned int f = 0; f < NFN; f++)
		unregister_kprobe(&anchors[f]);
}

static void run(uint64_t seconds)
{
	uint64_t end = uptime_ns() + seconds * 1000000000ULL, calls[NFN] = { 0 };
	unsigned long ops = 0;

	for (unsigned int c = 1; c < st.ncpus; c++)
		if (smp_run_on(c, worker, (void *)(uintptr_t)c)) {
			fail("starting a worker on a cpu", -EBUSY);
			WRITE_ONCE(st.stop, true);
			st.ncpus = c;
			break;
		}
	while (!READ_ONCE(st.stop) && uptime_ns() < end) {
		unsigned int r = rnd() % 16;

		if (r < 10)
			churn_kprobe(&st.churn[rnd() % NCHURN]);
		else if (r < 12)
			churn_kretprobe(&st.churn_ret[rnd() % NCHURN_RET]);
		else if (r < 13)
			churn_event(rnd() % NCHURN_EV);
		else
			call_all_once(0);
		ops++;
	}
	WRITE_ONCE(st.stop, true);
	for (unsigned int c = 1; c < st.ncpus; c++)
		smp_run_wait(c);
	for (unsigned int i = 0; i < NCHURN; i++)
		if (st.churn[i].live)
			churn_unregister(&st.churn[i]);
	for (unsigned int i = 0; i < NCHURN_RET; i++)
		if (st.churn_ret[i].live)
			churn_ret_unregister(&st.churn_ret[i]);
	for (unsigned int k = 0; k < NCHURN_EV; k++)
		if (st.ev_live[k])
			churn_event(k);
	for (unsigned int c = 0; c < st.ncpus; c++)
		for (unsigned int f = 0; f < NFN; f++)
			calls[f] += st.calls[c][f];
	anchors_check_and_remove(calls);
	for (unsigned int f = 0; f < NFN; f++) {
		char what[48];

		snprintf(what, sizeof(what), "stress_fn%u's own call counter", f);
		expect_eq(what, READ_ONCE(stress_fn_calls[f]), calls[f]);
	}
	expect_eq("calls that returned a wrong value", st.bad_returns, 0);
	expect_eq("handlers that saw a wrong ip", st.bad_ip, 0);
	cprintf("stress probes: %lu s on %u cpus: %lu calls per function (", seconds, st.ncpus,
		calls[0]);
	for (unsigned int c = 0; c < st.ncpus; c++)
		cprintf("%scpu%u %lu", c ? ", " : "", c, st.calls[c][0]);
	cprintf("), %lu operations: %lu kprobe registrations, %lu unregistrations, "
		"%lu enables, %lu disables, %lu kretprobe registrations, %lu events\n",
		ops, st.regs, st.unregs, st.enables, st.disables, st.ret_regs, st.events);
}

/*
 * The engine's lasting structures (a slot page, the counter arrays, the
 * event registry's) are made by the first probes ever: a probe of each kind
 * comes and goes before the heap is measured, so what the run leaves is
 * compared with what it found.
 */
static void warm_up(void)
{
	if (anchors_register())
		return;
	for (unsigned int i = 0; i < NCHURN; i++)
		churn_kprobe(&st.churn[i]);
	for (unsigned int i = 0; i < NCHURN; i++)
		if (st.churn[i].live)
			churn_unregister(&st.churn[i]);
	anchors_check_and_remove((uint64_t[NFN]){ 0 });
}

/* `stress probes SECONDS [CPUS]` (kernel/stress.c dispatches: argv[0] is "probes") */
static int stress_probes(int argc, char **argv)
{
	uint64_t seconds, cpus = num_cpus(), sum;
	struct heap_stats before, after;

	if (argc < 2 || argc > 3)
		return cmd_error("usage: stress probes SECONDS [CPUS]");
	if (kstrtou64(argv[1], &seconds) || !seconds || seconds > 3600)
		return cmd_error("bad duration '%s' (1 to 3600 seconds)", argv[1]);
	if (argc == 3 && (kstrtou64(argv[2], &cpus) || !cpus || cpus > num_cpus()))
		return cmd_error("bad cpu count '%s' (1 to %u online)", argv[2], num_cpus());
	if (kprobe_running())
		return cmd_error("stress: called from a probe handler");
	memset(&st, 0, sizeof(st));
	st.ncpus = cpus;
	st.rng = rdtsc() | 1;
	find_boundaries();
	warm_up();
	if (st.failures)
		return -1;
	memset(stress_fn_calls, 0, sizeof(stress_fn_calls));
	sum = kernel_text_checksum();
	heap_stats(&before);
	if (anchors_register())
		return -1;
	run(seconds);
	heap_stats(&after);
	if (after.objects_in_use != before.objects_in_use ||
	    after.bytes_in_use != before.bytes_in_use) {
		st.failures++;
		cprintf("error: stress: heap holds %lu objects, %lu bytes; %lu, %lu before\n",
			after.objects_in_use, after.bytes_in_use, before.objects_in_use,
			before.bytes_in_use);
	}
	expect_eq("heap corruptions caught", after.corruptions, before.corruptions);
	if (kernel_text_checksum() != sum) {
		st.failures++;
		cprintf("error: stress: kernel text changed\n");
	}
	cprintf("stress probes: %s\n", st.failures ? "FAILED" : "all checks passed");
	return st.failures ? -1 : 0;
}
static struct stress_test probes_stress = {
	.name = "probes",
	.usage = "probes SECONDS [CPUS]",
	.run = stress_probes,
};

static int probes_stress_init(void)
{
	stress_register(&probes_stress);
	return 0;
}
INITCALL(probes_stress_init, 3);
