/*
 * Probes under real concurrency: one probe single-stepped on every CPU at
 * once; a probe inside the lock code itself, between the interrupt save and
 * the acquire, hit by CPUs contending for the lock and unregistered while
 * they do; and the grace period not ending while a CPU is still inside a
 * handler that waits for a lock (it answers cross-CPU calls from the lock's
 * spin loop, which must not count as being outside the probe path); and a
 * site's mode changing under a handler the int3 asm path called. Cases
 * needing more CPUs than there are pass trivially.
 */
#include "ktest.h"
#include "arch.h"
#include "insn.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static volatile bool go, stop;
static unsigned int started;

/* Start fn on every AP and wait until each has begun. */
static bool start_aps(smp_call_fn fn)
{
	started = 0;
	for (unsigned int c = 1; c < num_cpus(); c++)
		if (smp_run_on(c, fn, NULL))
			return false;
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) != num_cpus() - 1)
		cpu_relax();
	return true;
}

static void wait_aps(void)
{
	for (unsigned int c = 1; c < num_cpus(); c++)
		smp_run_wait(c);
}

/* ---- one probe, single-stepped on every CPU at the same time ---- */

#define STEP_ROUNDS 3000

static unsigned long pre_on[MAX_CPUS], post_on[MAX_CPUS], wrong_on[MAX_CPUS];

static int count_pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	pre_on[this_cpu()->cpu]++;	/* interrupts off: this CPU's cell is its own */
	return 0;
}

static void count_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)flags;
	post_on[this_cpu()->cpu]++;
	if (regs->ax != regs->di + regs->si)	/* the stepped insn computed the sum */
		wrong_on[this_cpu()->cpu]++;
}

static void call_add(void *arg)
{
	unsigned int cpu = this_cpu()->cpu;

	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	while (!READ_ONCE(go))
		cpu_relax();
	for (uint64_t i = 0; i < STEP_ROUNDS; i++)
		if (add(i, cpu) != i + cpu)
			wrong_on[cpu]++;
}

KTEST(smp_probes, step_hit_on_every_cpu_at_once)
{
	struct kprobe p = { .symbol_name = "kp_target_add",
			    .pre_handler = count_pre, .post_handler = count_post };
	unsigned int n = num_cpus();

	memset(pre_on, 0, sizeof(pre_on));
	memset(post_on, 0, sizeof(post_on));
	memset(wrong_on, 0, sizeof(wrong_on));
	go = false;
	KT_ASSERT(register_kprobe(&p) == 0);
	/* a post-handler keeps it on the int3 + #DB path */
	KT_EXPECT(kprobe_mode(&p) != KPROBE_MODE_OPTIMIZED && kprobe_mode(&p) != KPROBE_MODE_BOOST);
	KT_EXPECT(start_aps(call_add));
	go = true;
	call_add(NULL);
	wait_aps();
	for (unsigned int c = 0; c < n; c++) {
		KT_EXPECT_EQ(pre_on[c], STEP_ROUNDS);
		KT_EXPECT_EQ(post_on[c], STEP_ROUNDS);
		KT_EXPECT_EQ(wrong_on[c], 0);
	}
	/* another CPU stepping the same site is no reentry */
	KT_EXPECT_EQ(kprobe_nhit(&p), (unsigned long)n * STEP_ROUNDS);
	KT_EXPECT_EQ(kprobe_nmissed(&p), 0);
	unregister_kprobe(&p);
}

/* ---- a probe in spin_lock_irqsave, between the interrupt save and the acquire ---- */

#define LOCK_ROUNDS 1500

static struct spinlock window_lock = SPINLOCK_INIT("ktest_window");
static unsigned long window_count, window_hits[MAX_CPUS], window_taken[MAX_CPUS];

static int count_window(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	if (regs->di == (uint64_t)&window_lock) {
		window_hits[this_cpu()->cpu]++;
		if (local_save_flags() & X86_EFLAGS_IF)
			wrong_on[this_cpu()->cpu]++;
	}
	return 0;
}

/* The first one-byte instruction op in fn's first 64 bytes, or 0. */
static uint64_t find_insn(uint64_t fn, uint8_t op)
{
	struct insn insn;

	for (uint64_t a = fn; a < fn + 64; a += insn.len) {
		if (insn_decode(&insn, (const uint8_t *)a, 15, a))
			return 0;
		if (insn.len == 1 && *(const uint8_t *)a == op)
			return a;
	}
	return 0;
}

/* The first instruction after the cli: the lock is not taken yet, interrupts are off. */
static uint64_t after_cli(uint64_t fn)
{
	uint64_t cli = find_insn(fn, 0xfa);

	return cli ? cli + 1 : 0;
}

/* LOCK_ROUNDS acquires, and more until stop if until_stop. */
static void take_window_lock(bool until_stop)
{
	unsigned int cpu = this_cpu()->cpu;

	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	while (!READ_ONCE(go))
		cpu_relax();
	for (int i = 0; i < LOCK_ROUNDS || (until_stop && !READ_ONCE(stop)); i++) {
		uint64_t f = spin_lock_irqsave(&window_lock);

		window_count++;		/* only the lock keeps this whole */
		spin_unlock_irqrestore(&window_lock, f);
		window_taken[cpu]++;
	}
}

static void contend(void *arg)
{
	(void)arg;
	take_window_lock(false);
}

static void contend_until_stop(void *arg)
{
	(void)arg;
	take_window_lock(true);
}

static unsigned long sum(const unsigned long *v)
{
	unsigned long s = 0;

	for (unsigned int c = 0; c < num_cpus(); c++)
		s += v[c];
	return s;
}

KTEST(smp_probes, hit_in_lock_acquire_window)
{
	uint64_t at = after_cli((uint64_t)spin_lock_irqsave);
	struct kprobe p = { .addr = (void *)at, .pre_handler = count_window };
	unsigned int n = num_cpus();
	uint8_t orig[16];

	KT_ASSERT(at);
	memcpy(orig, (void *)at, sizeof(orig));
	window_count = 0;
	memset(window_hits, 0, sizeof(window_hits));
	memset(window_taken, 0, sizeof(window_taken));
	memset(wrong_on, 0, sizeof(wrong_on));
	go = false;
	KT_ASSERT(register_kprobe(&p) == 0);
	KT_EXPECT(start_aps(contend));
	go = true;
	contend(NULL);
	wait_aps();
	/* every acquire of this lock on every CPU was a hit, none a miss */
	KT_EXPECT_EQ(window_count, (unsigned long)n * LOCK_ROUNDS);
	KT_EXPECT_EQ(sum(window_hits), (unsigned long)n * LOCK_ROUNDS);
	KT_EXPECT_EQ(sum(wrong_on), 0);

	/* unregistered while the other CPUs keep contending */
	go = false;
	stop = false;
	for (unsigned int c = 1; c < n; c++)
		KT_EXPECT(!smp_run_on(c, contend_until_stop, NULL));
	go = true;
	unregister_kprobe(&p);
	stop = true;
	wait_aps();
	KT_EXPECT_EQ(window_count, sum(window_taken));
	KT_EXPECT_EQ(window_lock.locked, 0);
	KT_EXPECT(!memcmp(orig, (void *)at, sizeof(orig)));	/* restored, bit for bit */
}

/* ---- the grace period waits for a handler that spins on a lock ---- */

static struct spinlock held_lock = SPINLOCK_INIT("ktest_held");
static volatile bool holding, in_handler, handler_done, unregistering, released;

static int take_held_lock(struct kprobe *p, struct pt_regs *regs)
{
	uint64_t f;

	(void)p;
	(void)regs;
	in_handler = true;
	f = spin_lock_irqsave(&held_lock);	/* answers calls while it waits */
	spin_unlock_irqrestore(&held_lock, f);
	handler_done = true;
	return 0;
}

static void hit_probe(void *arg)
{
	(void)arg;
	add(1, 2);
}

/*
 * Hold the lock until the unregister has had ample time to end a grace
 * period early (answering calls meanwhile, as a holder spinning elsewhere
 * would), then let the handler have it.
 */
static void hold_lock(void *arg)
{
	uint64_t f = spin_lock_irqsave(&held_lock), until;

	(void)arg;
	holding = true;
	while (!unregistering)
		smp_call_poll();
	for (until = uptime_ns() + 200 * 1000000ull; uptime_ns() < until;)
		smp_call_poll();
	released = true;
	spin_unlock_irqrestore(&held_lock, f);
}

KTEST(smp_probes, grace_period_waits_for_handler_on_a_lock)
{
	struct kprobe p = { .symbol_name = "kp_target_add", .pre_handler = take_held_lock };

	if (num_cpus() < 3)
		return;		/* the hitter and the holder are two other CPUs */
	holding = in_handler = handler_done = unregistering = released = false;
	KT_ASSERT(register_kprobe(&p) == 0);
	KT_ASSERT(!smp_run_on(2, hold_lock, NULL));
	while (!holding)
		cpu_relax();
	KT_ASSERT(!smp_run_on(1, hit_probe, NULL));
	while (!in_handler)
		cpu_relax();
	unregistering = true;
	unregister_kprobe(&p);
	/* CPU 1 was a reader until its handler returned: that ended the wait */
	KT_EXPECT(released);
	KT_EXPECT(handler_done);
	smp_run_wait(1);
	smp_run_wait(2);
	KT_EXPECT(handler_done);
}

/*
 * ---- the site's mode changing while an asm-path handler runs ----
 *
 * probes/int3_fast.asm reads the site's fast byte again once the handler
 * returns, as run_insn() does: a probe with a post-handler registered at
 * the site meanwhile (another CPU) turns an emulated ret into a mode only
 * C handles, and kprobe_int3_rest() must finish the hit: the ret done, the
 * new probe's post-handler run, the CPU idle again. The asm path alone
 * never runs a post-handler, so post_seen tells the two apart.
 */
#define WAIT_NS (5 * 1000000000ull)	/* a bound for failure, not a timing */

static volatile bool rest_in_pre, rest_go, rest_timed_out;
static volatile uint64_t rest_result, rest_post_ax;
static struct kprobe *volatile rest_running;
static unsigned int rest_post_seen;

static bool wait_flag(volatile bool *flag)
{
	for (uint64_t until = uptime_ns() + WAIT_NS; !*flag;) {
		if (uptime_ns() > until)
			return false;
		cpu_relax();
	}
	return true;
}

static int rest_pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	rest_in_pre = true;
	if (!wait_flag(&rest_go))
		rest_timed_out = true;
	return 0;
}

static void rest_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)flags;
	rest_post_seen++;
	rest_post_ax = regs->ax;
}

static void rest_hit(void *arg)
{
	(void)arg;
	rest_result = add(20, 22);
	rest_running = kprobe_running();
}

KTEST(smp_probes, mode_changes_while_a_fast_path_handler_runs)
{
	uint64_t at = find_insn((uint64_t)kp_target_add, 0xc3), sum = kernel_text_checksum();
	struct kprobe a = { .addr = (uint8_t *)at, .pre_handler = rest_pre };
	struct kprobe b = { .addr = (uint8_t *)at, .post_handler = rest_post };

	if (num_cpus() < 2)
		return;
	KT_ASSERT(at);
	rest_in_pre = rest_go = rest_timed_out = false;
	rest_result = rest_post_ax = 0;
	rest_post_seen = 0;
	rest_running = &a;
	KT_ASSERT(register_kprobe(&a) == 0);	/* int3 until the next prompt: no optimizer */
	KT_ASSERT(kprobe_mode(&a) == KPROBE_MODE_EMULATE);
	KT_ASSERT(!smp_run_on(1, rest_hit, NULL));
	KT_EXPECT(wait_flag(&rest_in_pre));
	KT_EXPECT(register_kprobe(&b) == 0);	/* CPU 1 is inside rest_pre */
	rest_go = true;
	smp_run_wait(1);
	KT_EXPECT(!rest_timed_out);
	KT_EXPECT_EQ(rest_result, 42);		/* the ret was done, from the right stack */
	KT_EXPECT_EQ(rest_post_seen, 1);	/* by C: the asm path runs no post-handler */
	KT_EXPECT_EQ(rest_post_ax, 42);
	KT_EXPECT_EQ(rest_running, NULL);
	KT_EXPECT_EQ(kprobe_nhit(&a), 1);
	KT_EXPECT_EQ(kprobe_nmissed(&a), 0);
	unregister_kprobe(&b);
	unregister_kprobe(&a);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}
