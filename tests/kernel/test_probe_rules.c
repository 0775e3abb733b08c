/*
 * What the probe engine refuses, and how it says so: a handler may not
 * register or unregister probes (-EBUSY, or nothing happens for the void
 * unregisters), a kretprobe's pool has limits (-E2BIG) and a refused
 * registration leaves nothing behind, and an int3 that is not a probe's
 * any more is resumed at the byte that is there now, also when other CPUs
 * race the removal.
 */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile fib)(uint64_t) = kp_target_fib;

/* ---- registering from inside a handler ---- */

static struct kprobe self = { .symbol_name = "kp_target_add" };
static struct kprobe other = { .symbol_name = "kp_target_fib" };
static struct kretprobe other_rp = { .kp.symbol_name = "kp_target_fib" };
static int reg_err, reg_rp_err, hits;
static bool try_unregister;

static int nop_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	return 0;
}

static int registering_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_fib", .handler = nop_ret };

	(void)p;
	(void)regs;
	hits++;
	reg_err = register_kprobe(&other);
	reg_rp_err = register_kretprobe(&rp);
	if (try_unregister) {
		unregister_kprobe(&self);
		unregister_kretprobe(&other_rp);
	}
	return 0;
}

KTEST(probe_rules, handler_cannot_register_or_unregister)
{
	struct heap_stats before, after;

	heap_stats(&before);
	self = (struct kprobe){ .symbol_name = "kp_target_add", .pre_handler = registering_pre };
	other = (struct kprobe){ .symbol_name = "kp_target_fib" };
	other_rp = (struct kretprobe){ .kp.symbol_name = "kp_target_fib", .handler = nop_ret };
	hits = 0;
	try_unregister = false;
	KT_ASSERT(register_kprobe(&self) == 0);
	KT_EXPECT_EQ(add(1, 2), 3);
	KT_EXPECT_EQ(hits, 1);
	KT_EXPECT_EQ(reg_err, -EBUSY);
	KT_EXPECT_EQ(reg_rp_err, -EBUSY);
	KT_EXPECT(other.addr == NULL);		/* nothing was resolved or placed */

	/* the unregisters return nothing: they must leave both probes working */
	KT_ASSERT(register_kretprobe(&other_rp) == 0);
	try_unregister = true;
	KT_EXPECT_EQ(add(2, 3), 5);
	KT_EXPECT_EQ(hits, 2);
	KT_EXPECT_EQ(add(3, 4), 7);
	KT_EXPECT_EQ(hits, 3);			/* self is still registered */
	KT_EXPECT_EQ(fib(5), 5);		/* other_rp still has its pool */
	KT_EXPECT_EQ(kretprobe_nmissed(&other_rp), 0);
	try_unregister = false;
	unregister_kretprobe(&other_rp);
	unregister_kprobe(&self);
	KT_EXPECT_EQ(add(1, 1), 2);
	KT_EXPECT_EQ(hits, 3);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

/* ---- kretprobe limits ---- */

KTEST(probe_rules, kretprobe_limits_are_e2big)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = nop_ret,
				.maxactive = 4097 };
	struct heap_stats before, after;
	struct kprobe_stats st0, st;

	KT_ASSERT(register_kprobe(&rp.kp) == 0);	/* warm the slot cache */
	unregister_kprobe(&rp.kp);
	rp.kp = (struct kprobe){ .symbol_name = "kp_target_add" };
	heap_stats(&before);
	kprobe_get_stats(&st0);
	KT_EXPECT_EQ(register_kretprobe(&rp), -E2BIG);
	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = nop_ret,
				 .data_size = PAGE_SIZE + 1 };
	KT_EXPECT_EQ(register_kretprobe(&rp), -E2BIG);
	kprobe_get_stats(&st);
	KT_EXPECT_EQ(st.probes, st0.probes);	/* refused: nothing registered */
	KT_EXPECT(rp.pool == NULL);
	unregister_kretprobe(&rp);		/* a refused one is not registered */
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);

	/* the limits themselves are accepted */
	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = nop_ret,
				 .maxactive = 4096, .data_size = PAGE_SIZE };
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(add(20, 22), 42);
	unregister_kretprobe(&rp);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

static int rp_returns;

static int count_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	rp_returns++;
	return 0;
}

KTEST(probe_rules, kretprobe_registered_twice_is_eexist)
{
	struct heap_stats before, after;

	other_rp = (struct kretprobe){ .kp.symbol_name = "kp_target_fib", .handler = count_ret };
	KT_ASSERT(register_kretprobe(&other_rp) == 0);	/* warm the slot cache */
	unregister_kretprobe(&other_rp);
	other_rp = (struct kretprobe){ .kp.symbol_name = "kp_target_fib", .handler = count_ret };
	heap_stats(&before);
	rp_returns = 0;
	KT_ASSERT(register_kretprobe(&other_rp) == 0);
	KT_EXPECT_EQ(register_kretprobe(&other_rp), -EEXIST);
	KT_EXPECT(other_rp.pool != NULL);		/* the first registration stands */
	KT_EXPECT_EQ(fib(3), 2);
	KT_EXPECT_EQ(rp_returns, 5);
	KT_EXPECT(!(other_rp.kp.flags & KPROBE_FLAG_GONE));
	unregister_kretprobe(&other_rp);
	KT_EXPECT_EQ(fib(3), 2);
	KT_EXPECT_EQ(rp_returns, 5);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

/* ---- an int3 that is no probe's ---- */

/*
 * `int $3` is two bytes (cd 03): it traps with ip past both, so the byte
 * before ip is 03, not int3's cc, and no probe is there. That is what the
 * engine sees when another CPU removed a probe between this CPU's trap and
 * its lookup: it resumes at that byte. Here the byte begins `add %eax,%eax`
 * (03 c0), so coming back as promised returns 21 + 21.
 */
uint64_t kt_stray_int3(void);
asm(".pushsection .text\n"
    ".type kt_stray_int3, @function\n"
    "kt_stray_int3:\n"
    "	mov $21, %eax\n"
    "	.byte 0xcd, 0x03, 0xc0\n"
    "	ret\n"
    ".size kt_stray_int3, . - kt_stray_int3\n"
    ".popsection");

static uint64_t (*volatile stray)(void) = kt_stray_int3;

KTEST(probe_rules, removed_int3_resumes_at_the_restored_byte)
{
	struct kprobe_stats st0, st;

	kprobe_get_stats(&st0);
	KT_EXPECT_EQ(stray(), 42);
	kprobe_get_stats(&st);
	KT_EXPECT_EQ(st.strays_recovered, st0.strays_recovered + 1);
	KT_EXPECT_EQ(st.faults, st0.faults);
}

/*
 * The same with a real race: other CPUs call the probed function without
 * pause while this one puts the probe in and takes it out. A CPU that
 * trapped on the int3 just before it was removed finds no probe and the
 * original byte back, and must go on as if it had not trapped. (On one CPU
 * nothing races and the case shows only that the cycles work.)
 */
#define RACE_ROUNDS 300

static volatile bool race_stop;
static unsigned long race_calls[MAX_CPUS], race_wrong[MAX_CPUS];

static void call_add_until_stopped(void *arg)
{
	unsigned int cpu = this_cpu()->cpu;

	(void)arg;
	while (!READ_ONCE(race_stop)) {
		uint64_t i = race_calls[cpu]++;

		if (add(i, 1) != i + 1)
			race_wrong[cpu]++;
	}
}

static int count_hit(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return 0;
}

KTEST(probe_rules, probe_removed_while_other_cpus_hit_it)
{
	struct kprobe_stats st0, st;
	unsigned int n = num_cpus();
	unsigned long calls = 0;

	kprobe_get_stats(&st0);
	race_stop = false;
	memset(race_calls, 0, sizeof(race_calls));
	memset(race_wrong, 0, sizeof(race_wrong));
	for (unsigned int c = 1; c < n; c++)
		KT_ASSERT(!smp_run_on(c, call_add_until_stopped, NULL));
	for (int r = 0; r < RACE_ROUNDS; r++) {
		self = (struct kprobe){ .symbol_name = "kp_target_add", .pre_handler = count_hit };
		KT_EXPECT_OR_BREAK(register_kprobe(&self) == 0);
		unregister_kprobe(&self);
	}
	race_stop = true;
	for (unsigned int c = 1; c < n; c++) {
		smp_run_wait(c);
		KT_EXPECT_EQ(race_wrong[c], 0);
		calls += race_calls[c];
	}
	kprobe_get_stats(&st);
	KT_EXPECT_EQ(st.faults, st0.faults);
	KT_EXPECT(n == 1 || calls > 0);
}

KTEST_EXIT(probe_rules)
{
	unregister_kretprobe(&other_rp);
	unregister_kprobe(&self);
	unregister_kprobe(&other);
}
