/*
 * The detour's two ways through a hit (probes/opt_detour.asm): the one
 * written out in the template, for a site whose one probe is enabled and
 * has a pre-handler, and kprobe_optimized_hit() for everything else
 * (several probes, a disabled one, one with no pre-handler, a hit while
 * this CPU is already in a handler). Both must behave as the int3 path
 * does: what the handler sees in regs and kprobe_running(), the counts, a
 * reentry counted as a miss, a fault in the handler survived with the
 * probed instructions still run, and the text bit-identical afterwards.
 */
#include "ktest.h"
#include "opt_switch.h"
#include "arch.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_sub(uint64_t a, uint64_t b);

static uint64_t (*volatile add_fn)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile sub_fn)(uint64_t, uint64_t) = kp_target_sub;

KTEST_EXIT(optprobe_paths)
{
	kt_optimization_restore();
}

/* What one handler run saw. */
struct seen {
	struct pt_regs regs;
	struct kprobe *running;
	uint64_t flags;		/* its own, inside the handler */
};

static struct seen seen;

static int record(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	seen.regs = *regs;
	seen.running = kprobe_running();
	asm volatile("pushfq; pop %0" : "=r"(seen.flags));
	return 0;
}

#define STATE_FLAGS	(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | 2)

/* One probe with optimization off, then on: the handler sees the same. */
KTEST(optprobe_paths, one_probe_sees_what_the_int3_path_shows)
{
	struct kprobe kp = { .addr = (uint8_t *)kp_target_add, .pre_handler = record };
	uint64_t sum = kernel_text_checksum();
	struct seen int3;

	kt_optimization(false);
	KT_ASSERT(!register_kprobe(&kp));
	KT_ASSERT(kprobe_mode(&kp) != KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(add_fn(7, 9), 16);
	int3 = seen;
	kt_optimization(true);
	kprobes_optimize();
	KT_ASSERT(kprobe_mode(&kp) == KPROBE_MODE_OPTIMIZED);
	memset(&seen, 0, sizeof(seen));
	KT_EXPECT_EQ(add_fn(7, 9), 16);

	KT_EXPECT_EQ(seen.running, &kp);
	KT_EXPECT_EQ(int3.running, &kp);
	KT_EXPECT_EQ(seen.regs.ip, (uint64_t)kp_target_add);
	KT_EXPECT_EQ(seen.regs.ip, int3.regs.ip);
	KT_EXPECT_EQ(seen.regs.di, 7);
	KT_EXPECT_EQ(seen.regs.si, 9);
	KT_EXPECT_EQ(seen.regs.sp, int3.regs.sp);	/* the same call site, the same depth */
	KT_EXPECT_EQ(seen.regs.cs, int3.regs.cs);
	KT_EXPECT_EQ(seen.regs.ss, int3.regs.ss);
	KT_EXPECT_EQ(seen.regs.orig_ax, int3.regs.orig_ax);
	/* the arithmetic flags are the caller's last compare's, which differ */
	KT_EXPECT_EQ(seen.regs.flags & STATE_FLAGS, int3.regs.flags & STATE_FLAGS);
	KT_EXPECT_EQ(seen.regs.flags & STATE_FLAGS, X86_EFLAGS_IF | 2);
	KT_EXPECT_EQ(seen.regs.bx, int3.regs.bx);
	KT_EXPECT_EQ(seen.regs.bp, int3.regs.bp);
	KT_EXPECT_EQ(seen.flags & X86_EFLAGS_IF, 0);	/* handlers run with interrupts off */
	KT_EXPECT_EQ(int3.flags & X86_EFLAGS_IF, 0);
	KT_EXPECT_EQ(kprobe_running(), NULL);
	KT_EXPECT_EQ(kprobe_nhit(&kp), 2);
	KT_EXPECT_EQ(kprobe_nmissed(&kp), 0);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

static char order[8];
static unsigned int norder;

static int mark_a(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	if (norder < sizeof(order))
		order[norder++] = 'a';
	return 0;
}

static int mark_b(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	if (norder < sizeof(order))
		order[norder++] = 'b';
	return 0;
}

static const char *call_add(void)
{
	norder = 0;
	memset(order, 0, sizeof(order));
	if (add_fn(20, 22) != 42)
		return "wrong result";
	return order;
}

/* The site's probe set changes under one detour: each shape takes its path. */
KTEST(optprobe_paths, aggregated_disabled_and_bare_probes)
{
	struct kprobe a = { .addr = (uint8_t *)kp_target_add, .pre_handler = mark_a };
	struct kprobe b = { .addr = (uint8_t *)kp_target_add, .pre_handler = mark_b };
	struct kprobe bare = { .addr = (uint8_t *)kp_target_add };
	uint64_t sum = kernel_text_checksum();

	kt_optimization(true);
	KT_ASSERT(!register_kprobe(&a));
	kprobes_optimize();
	KT_ASSERT(kprobe_mode(&a) == KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_STREQ(call_add(), "a");		/* the one probe */
	KT_ASSERT(!register_kprobe(&b));
	kprobes_optimize();
	KT_ASSERT(kprobe_mode(&a) == KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_STREQ(call_add(), "ab");		/* two: in registration order */
	disable_kprobe(&a);
	KT_EXPECT_STREQ(call_add(), "b");
	enable_kprobe(&a);
	kprobes_optimize();
	unregister_kprobe(&a);
	KT_EXPECT_EQ(kprobe_mode(&b), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_STREQ(call_add(), "b");		/* one again, the other one */
	disable_kprobe(&b);
	KT_EXPECT_STREQ(call_add(), "");		/* one, disabled */
	enable_kprobe(&b);
	kprobes_optimize();
	KT_EXPECT_STREQ(call_add(), "b");
	unregister_kprobe(&b);
	KT_ASSERT(!register_kprobe(&bare));		/* no handler at all: counted */
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&bare), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_STREQ(call_add(), "");
	KT_EXPECT_EQ(kprobe_nhit(&bare), 1);
	unregister_kprobe(&bare);

	KT_EXPECT_EQ(kprobe_nhit(&a), 2);
	KT_EXPECT_EQ(kprobe_nhit(&b), 4);
	KT_EXPECT_EQ(kprobe_nmissed(&a) + kprobe_nmissed(&b), 0);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

static struct kprobe inner = { .addr = (uint8_t *)kp_target_sub, .pre_handler = mark_b };
static uint64_t inner_result;

static int call_inner(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	inner_result = sub_fn(50, 8);
	return 0;
}

/* An optimized probe hit from inside another's handler is a miss, as on the int3 path. */
KTEST(optprobe_paths, hit_inside_a_handler_is_missed)
{
	struct kprobe outer = { .addr = (uint8_t *)kp_target_add, .pre_handler = call_inner };
	uint64_t sum = kernel_text_checksum();

	kt_optimization(true);
	KT_ASSERT(!register_kprobe(&inner));
	KT_ASSERT(!register_kprobe(&outer));
	kprobes_optimize();
	KT_ASSERT(kprobe_mode(&outer) == KPROBE_MODE_OPTIMIZED);
	KT_ASSERT(kprobe_mode(&inner) == KPROBE_MODE_OPTIMIZED);
	inner_result = 0;
	KT_EXPECT_STREQ(call_add(), "");		/* the inner handler did not run */
	KT_EXPECT_EQ(inner_result, 42);			/* but its function did */
	KT_EXPECT_EQ(kprobe_nhit(&outer), 1);
	KT_EXPECT_EQ(kprobe_nhit(&inner), 0);
	KT_EXPECT_EQ(kprobe_nmissed(&inner), 1);
	KT_EXPECT_EQ(sub_fn(50, 8), 42);		/* called on its own: it runs */
	KT_EXPECT_EQ(kprobe_nhit(&inner), 1);
	KT_EXPECT_EQ(kprobe_running(), NULL);
	unregister_kprobe(&outer);
	unregister_kprobe(&inner);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

static int faults(struct kprobe *p, struct pt_regs *regs)
{
	volatile uint64_t *bad = (volatile uint64_t *)8;

	(void)p;
	(void)regs;
	asm volatile("" : "+r"(bad));
	return (int)*bad;	/* page 0 is not mapped */
}

/* A fault in the written-out path's handler: reported, probe off, the function still right. */
KTEST(optprobe_paths, fault_in_an_optimized_handler_is_survived)
{
	struct kprobe kp = { .addr = (uint8_t *)kp_target_add, .pre_handler = faults };
	uint64_t sum = kernel_text_checksum();

	kt_optimization(true);
	KT_ASSERT(!register_kprobe(&kp));
	kprobes_optimize();
	KT_ASSERT(kprobe_mode(&kp) == KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(add_fn(5, 6), 11);
	KT_EXPECT(kp.flags & KPROBE_FLAG_GONE);
	KT_EXPECT_EQ(kprobe_running(), NULL);
	KT_EXPECT_EQ(add_fn(5, 6), 11);			/* disabled: no second fault */
	KT_EXPECT_EQ(kprobe_nhit(&kp), 1);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}
