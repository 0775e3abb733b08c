/*
 * The probe engine, case by case: Linux's lib/test_kprobes.c cases written
 * here, refusals with their error codes, and handler semantics.
 * Instruction classes: test_kprobe_classes.c. Return probes: test_kretprobes.c.
 */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_add_indirect(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);

/* through a pointer, so nothing is inlined or folded */
static uint64_t (*volatile target)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile target2)(uint64_t, uint64_t) = kp_target_add_indirect;

static int pre_calls, post_calls;
static uint64_t pre_seen_di;

static int pre_count(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	pre_calls++;
	pre_seen_di = regs->di;
	return 0;
}

static void post_count(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)regs;
	(void)flags;
	post_calls++;
}

KTEST(kprobes, pre_and_post_handlers)
{
	struct kprobe kp = { .symbol_name = "kp_target_add",
			     .pre_handler = pre_count, .post_handler = post_count };

	pre_calls = post_calls = 0;
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(target(20, 22), 42);
	KT_EXPECT_EQ(pre_calls, 1);
	KT_EXPECT_EQ(post_calls, 1);
	KT_EXPECT_EQ(pre_seen_di, 20);
	KT_EXPECT_EQ(kprobe_nhit(&kp), 1);
	/* the resolver against the linker, not against itself */
	KT_EXPECT_EQ((uint64_t)kp.addr, (uint64_t)kp_target_add);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(target(1, 1), 2);
	KT_EXPECT_EQ(pre_calls, 1);
}

KTEST(kprobes, batch_register)
{
	struct kprobe a = { .symbol_name = "kp_target_add", .pre_handler = pre_count };
	struct kprobe b = { .symbol_name = "kp_target_add_indirect", .pre_handler = pre_count };
	struct kprobe *kps[] = { &a, &b };

	pre_calls = 0;
	KT_ASSERT(register_kprobes(kps, 2) == 0);
	KT_EXPECT_EQ(target2(1, 2), 4);	/* hits both */
	KT_EXPECT_EQ(pre_calls, 2);
	unregister_kprobes(kps, 2);
	KT_EXPECT_EQ(target2(1, 2), 4);
	KT_EXPECT_EQ(pre_calls, 2);
}

KTEST(kprobes, batch_is_all_or_nothing)
{
	struct kprobe a = { .symbol_name = "kp_target_add", .pre_handler = pre_count };
	struct kprobe b = { .symbol_name = "no_such_function", .pre_handler = pre_count };
	struct kprobe *kps[] = { &a, &b };
	struct kprobe_stats before, after;
	uint8_t *text = (uint8_t *)kallsyms_lookup_name("kp_target_add"), orig = *text;

	/* other probes may exist (a user's): count only the change */
	kprobe_get_stats(&before);
	KT_EXPECT_EQ(register_kprobes(kps, 2), -ENOENT);
	kprobe_get_stats(&after);
	KT_EXPECT_EQ(after.probes, before.probes);
	KT_EXPECT_EQ(*text, orig);
	KT_EXPECT(a.site == NULL && b.site == NULL);
}

/* A handler that calls the probed function: the inner hit is missed, the call still works. */
static struct kprobe recursed;
static uint64_t inner_result;

static int pre_recurse(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	inner_result = target(100, 23);
	return 0;
}

KTEST(kprobes, nmissed_on_recursion)
{
	recursed = (struct kprobe){ .symbol_name = "kp_target_add", .pre_handler = pre_recurse };
	inner_result = 0;
	KT_ASSERT(register_kprobe(&recursed) == 0);
	KT_EXPECT_EQ(target(2, 3), 5);
	KT_EXPECT_EQ(inner_result, 123);
	KT_EXPECT_EQ(kprobe_nhit(&recursed), 1);
	KT_EXPECT_EQ(kprobe_nmissed(&recursed), 1);
	unregister_kprobe(&recursed);
	KT_EXPECT_EQ(recursed.nmissed, 1);	/* Linux's field, set at unregister */
}

/* A pre_handler may change registers; returning 1 skips the instruction (it set ip). */
static int pre_change_arg(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	regs->di = 1000;
	return 0;
}

static uint64_t skip_to;

static int pre_skip_function(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	/* emulate "return 77" from the function's first instruction */
	regs->ax = 77;
	regs->ip = *(uint64_t *)regs->sp;
	regs->sp += 8;
	skip_to = regs->ip;
	return 1;
}

KTEST(kprobes, handler_changes_registers)
{
	struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre_change_arg };

	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(target(1, 2), 1002);
	unregister_kprobe(&kp);
	kp = (struct kprobe){ .symbol_name = "kp_target_add", .pre_handler = pre_skip_function };
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(target(1, 2), 77);
	KT_EXPECT(skip_to != 0);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(target(1, 2), 3);
}

/* Several probes at one address: all run, in order; removing one keeps the rest. */
static int order[8], norder;

static int pre_a(struct kprobe *p, struct pt_regs *r) { (void)p; (void)r; order[norder++] = 1; return 0; }
static int pre_b(struct kprobe *p, struct pt_regs *r) { (void)p; (void)r; order[norder++] = 2; return 0; }
static int pre_c(struct kprobe *p, struct pt_regs *r) { (void)p; (void)r; order[norder++] = 3; return 0; }

KTEST(kprobes, aggregate_at_one_address)
{
	struct kprobe a = { .symbol_name = "kp_target_add", .pre_handler = pre_a };
	struct kprobe b = { .symbol_name = "kp_target_add", .pre_handler = pre_b };
	struct kprobe c = { .symbol_name = "kp_target_add", .pre_handler = pre_c };
	struct kprobe_stats before, st;

	/* a user's probe may already be there: then ours join its site */
	kprobe_get_stats(&before);
	KT_ASSERT(!register_kprobe(&a) && !register_kprobe(&b) && !register_kprobe(&c));
	kprobe_get_stats(&st);
	KT_EXPECT(st.sites - before.sites <= 1);	/* 0: joined a user's site */
	KT_EXPECT(a.site && a.site == b.site && b.site == c.site);
	norder = 0;
	target(1, 1);
	KT_EXPECT(norder == 3 && order[0] == 1 && order[1] == 2 && order[2] == 3);
	unregister_kprobe(&b);
	norder = 0;
	target(1, 1);
	KT_EXPECT(norder == 2 && order[0] == 1 && order[1] == 3);
	unregister_kprobe(&a);
	unregister_kprobe(&c);
	kprobe_get_stats(&st);
	KT_EXPECT_EQ(st.sites, before.sites);
}

/*
 * A site's mode follows its probes both ways: a post_handler joining a
 * boosted or emulated-ret site turns it into a step (the post_handler
 * runs), and it goes back when that probe leaves (the hit's fast byte
 * agrees with the mode each time).
 */
KTEST(kprobes, mode_follows_a_post_handler_joining)
{
	static const unsigned int offs[] = { 0, 4 };	/* lea (boost), ret (emulate) */
	static const enum kprobe_mode alone[] = { KPROBE_MODE_BOOST, KPROBE_MODE_EMULATE };

	for (int i = 0; i < 2; i++) {
		struct kprobe a = { .addr = (uint8_t *)kp_target_add + offs[i], .pre_handler = pre_count };
		struct kprobe b = { .addr = a.addr, .pre_handler = pre_count,
				    .post_handler = post_count };

		KT_ASSERT(!register_kprobe(&a));
		if (kprobe_mode(&a) == KPROBE_MODE_OPTIMIZED) {	/* optimized meanwhile */
			unregister_kprobe(&a);
			continue;
		}
		KT_EXPECT_EQ(kprobe_mode(&a), alone[i]);
		pre_calls = post_calls = 0;
		KT_EXPECT_EQ(target(2, 3), 5);
		KT_EXPECT(pre_calls == 1 && post_calls == 0);
		KT_ASSERT(!register_kprobe(&b));
		KT_EXPECT(kprobe_mode(&a) != KPROBE_MODE_BOOST);
		KT_EXPECT_EQ(target(2, 3), 5);
		KT_EXPECT(pre_calls == 3 && post_calls == 1);
		unregister_kprobe(&b);
		KT_EXPECT_EQ(kprobe_mode(&a), alone[i]);
		KT_EXPECT_EQ(target(2, 3), 5);
		KT_EXPECT(pre_calls == 4 && post_calls == 1);
		unregister_kprobe(&a);
	}
}

KTEST(kprobes, enable_disable)
{
	struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre_count };
	uint8_t *text = (uint8_t *)kallsyms_lookup_name("kp_target_add"), orig = *text;

	pre_calls = 0;
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(*text, 0xcc);
	KT_EXPECT_EQ(disable_kprobe(&kp), 0);
	KT_EXPECT_EQ(*text, orig);
	target(1, 1);
	KT_EXPECT_EQ(pre_calls, 0);
	KT_EXPECT_EQ(enable_kprobe(&kp), 0);
	target(1, 1);
	KT_EXPECT_EQ(pre_calls, 1);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(*text, orig);
	KT_EXPECT_EQ(enable_kprobe(&kp), -EINVAL);
	KT_EXPECT_EQ(disable_kprobe(&kp), -EINVAL);
}

/* ---- refusals, with Linux's error codes ---- */

KTEST(kprobes, refusals)
{
	struct kprobe kp = { .symbol_name = "no_such_symbol" };
	uint64_t add = kallsyms_lookup_name("kp_target_add");
	static int data_object;

	KT_EXPECT_EQ(register_kprobe(&kp), -ENOENT);
	kp = (struct kprobe){ .addr = (uint8_t *)&data_object };
	KT_EXPECT_EQ(register_kprobe(&kp), -EINVAL);		/* not text */
	kp = (struct kprobe){ .symbol_name = "do_trap" };
	KT_EXPECT_EQ(register_kprobe(&kp), -EINVAL);		/* blacklisted */
	kp = (struct kprobe){ .symbol_name = "kretprobe_trampoline_handler" };
	KT_EXPECT_EQ(register_kprobe(&kp), -EINVAL);		/* the engine itself */
	kp = (struct kprobe){ .symbol_name = "text_poke" };
	KT_EXPECT_EQ(register_kprobe(&kp), -EINVAL);		/* what writes the int3 */
	kp = (struct kprobe){ .symbol_name = "pt_riprel_load", .offset = 1 };
	KT_EXPECT_EQ(register_kprobe(&kp), -EILSEQ);		/* mid-instruction */
	kp = (struct kprobe){ .symbol_name = "pt_jmp_reg", .offset = 9 };	/* ud2 */
	KT_EXPECT_EQ(register_kprobe(&kp), -EOPNOTSUPP);
	kp = (struct kprobe){ .symbol_name = "kp_target_add", .addr = (uint8_t *)add };
	KT_EXPECT_EQ(register_kprobe(&kp), -EINVAL);		/* both symbol and addr */
	kp = (struct kprobe){ .symbol_name = "kp_target_add" };
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(register_kprobe(&kp), -EEXIST);		/* the same struct twice */
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(register_kprobe(NULL), -EINVAL);
}

/* ---- faults ---- */

static int fault_handler_calls;

static int pre_faults(struct kprobe *p, struct pt_regs *regs)
{
	volatile int *bad = (volatile int *)16;

	(void)p;
	(void)regs;
	asm volatile("" : "+r"(bad));
	return *bad;	/* page fault inside the handler */
}

static int count_fault(struct kprobe *p, struct pt_regs *regs, int trapnr)
{
	(void)p;
	(void)regs;
	if (trapnr == X86_TRAP_PF)
		fault_handler_calls++;
	return 0;	/* not fixed: the engine recovers and disables the probe */
}

KTEST(kprobes, fault_in_handler_is_survived)
{
	struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre_faults,
			     .fault_handler = count_fault };
	uint8_t *text = (uint8_t *)kallsyms_lookup_name("kp_target_add"), orig = *text;

	fault_handler_calls = 0;
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(target(5, 6), 11);		/* the function still runs right */
	KT_EXPECT_EQ(fault_handler_calls, 1);
	KT_EXPECT(kp.flags & KPROBE_FLAG_GONE);
	KT_EXPECT_EQ(*text, orig);		/* disarmed */
	KT_EXPECT_EQ(target(5, 6), 11);
	KT_EXPECT_EQ(fault_handler_calls, 1);
	unregister_kprobe(&kp);
}

/* ---- lifetimes ---- */

KTEST(kprobes, register_unregister_cycles_leak_nothing)
{
	struct heap_stats before, after;
	struct kprobe kp;

	/* warm up: the first probe allocates a slot page the engine keeps */
	kp = (struct kprobe){ .symbol_name = "pt_riprel_load" };
	KT_ASSERT(register_kprobe(&kp) == 0);
	unregister_kprobe(&kp);
	heap_stats(&before);
	for (int i = 0; i < 10000; i++) {
		kp = (struct kprobe){ .symbol_name = i & 1 ? "kp_target_add" : "pt_riprel_load",
				      .pre_handler = pre_count };
		if (register_kprobe(&kp)) {
			KT_EXPECT(0);
			break;
		}
		unregister_kprobe(&kp);
	}
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
	KT_EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
}
