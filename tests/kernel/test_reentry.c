/*
 * Reentry: a probe hit from inside the probe path (a pre-, post-, return,
 * entry or fault handler, or the instruction being stepped for a reentry)
 * runs the instruction without handlers and counts a miss; the outer hit
 * carries on. Also: a fault in a kretprobe entry handler is unwound without
 * turning interrupts on in the int3 handler around it.
 */
#include "ktest.h"
#include "arch.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
int64_t pt_fault_load(const uint64_t *p);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static int64_t (*volatile fault_load)(const uint64_t *p) = pt_fault_load;
static size_t (*volatile len_of)(const char *s) = strlen;

/* an unmapped address, out of the compiler's sight */
static volatile int *volatile bad_ptr = (volatile int *)0x18;

static int pre_calls, ret_calls;
static uint64_t seen_flags;
static size_t seen_len;
static int64_t seen_load;

static int entry_faults(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	return *bad_ptr;
}

static int note_flags(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	seen_flags = local_save_flags();
	pre_calls++;
	return 0;
}

/* Bug 2: the rest of the int3 handler ran with IF set after the unwind. */
KTEST(reentry, entry_handler_fault_keeps_interrupts_off)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .entry_handler = entry_faults };
	struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = note_flags };

	pre_calls = 0;
	seen_flags = X86_EFLAGS_IF;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_ASSERT(register_kprobe(&kp) == 0);
	KT_EXPECT_EQ(add(2, 3), 5);	/* the kretprobe's entry handler faults */
	KT_EXPECT_EQ(pre_calls, 1);
	KT_EXPECT_EQ(seen_flags & X86_EFLAGS_IF, 0);
	unregister_kprobe(&kp);
	unregister_kretprobe(&rp);
}

static int call_strlen(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	seen_len = len_of("reentry");
	pre_calls++;
	return 0;
}

/* Everything a handler calls may carry probes of its own: those hits are misses. */
KTEST(reentry, handler_calls_probed_function)
{
	struct kprobe inner = { .symbol_name = "strlen" };
	struct kprobe outer = { .symbol_name = "kp_target_add", .pre_handler = call_strlen };

	pre_calls = 0;
	KT_ASSERT(register_kprobe(&inner) == 0);
	KT_ASSERT(register_kprobe(&outer) == 0);
	KT_EXPECT_EQ(add(1, 2), 3);
	KT_EXPECT_EQ(pre_calls, 1);
	KT_EXPECT_EQ(seen_len, 7);
	KT_EXPECT_EQ(kprobe_nhit(&inner), 0);
	KT_EXPECT_EQ(kprobe_nmissed(&inner), 1);
	KT_EXPECT_EQ(len_of("abc"), 3);	/* outside a handler: a normal hit */
	KT_EXPECT_EQ(kprobe_nhit(&inner), 1);
	KT_EXPECT(kprobe_running() == NULL);
	unregister_kprobe(&outer);
	unregister_kprobe(&inner);
}

static int load_bad(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	seen_load = fault_load((const uint64_t *)0x20);
	pre_calls++;
	return 0;
}

/* The instruction stepped for a reentry faults into its fixup: both levels unwind right. */
KTEST(reentry, fault_in_reentered_step)
{
	struct kprobe inner = { .symbol_name = "pt_fault_load" };
	struct kprobe outer = { .symbol_name = "kp_target_add", .pre_handler = load_bad };

	pre_calls = 0;
	KT_ASSERT(register_kprobe(&inner) == 0);
	KT_ASSERT(register_kprobe(&outer) == 0);
	KT_EXPECT_EQ(add(4, 5), 9);
	KT_EXPECT_EQ(seen_load, -14);
	KT_EXPECT_EQ(kprobe_nmissed(&inner), 1);
	KT_EXPECT(kprobe_running() == NULL);
	KT_EXPECT_EQ(add(4, 5), 9);	/* the engine is idle again: a normal hit */
	KT_EXPECT_EQ(pre_calls, 2);
	KT_EXPECT_EQ(kprobe_nhit(&outer), 2);
	unregister_kprobe(&outer);
	unregister_kprobe(&inner);
}

static int count_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	ret_calls++;
	return 0;
}

/* A return probe entered from a handler takes no instance: no return handler, a miss. */
KTEST(reentry, return_probe_entered_from_handler)
{
	struct kretprobe rp = { .kp.symbol_name = "strlen", .handler = count_ret };
	struct kprobe outer = { .symbol_name = "kp_target_add", .pre_handler = call_strlen };

	ret_calls = pre_calls = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_ASSERT(register_kprobe(&outer) == 0);
	KT_EXPECT_EQ(add(1, 1), 2);
	KT_EXPECT_EQ(pre_calls, 1);
	KT_EXPECT_EQ(ret_calls, 0);
	KT_EXPECT_EQ(kprobe_nmissed(&rp.kp), 1);
	KT_EXPECT_EQ(len_of("xy"), 2);
	KT_EXPECT_EQ(ret_calls, 1);
	unregister_kprobe(&outer);
	unregister_kretprobe(&rp);
}

static int ret_calls_strlen(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	seen_len = len_of("return");
	ret_calls++;
	return 0;
}

/* A return handler (run from the trampoline) calling a probed function. */
KTEST(reentry, return_handler_calls_probed_function)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = ret_calls_strlen };
	struct kprobe inner = { .symbol_name = "strlen" };

	ret_calls = 0;
	KT_ASSERT(register_kprobe(&inner) == 0);
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(add(3, 3), 6);
	KT_EXPECT_EQ(ret_calls, 1);
	KT_EXPECT_EQ(seen_len, 6);
	KT_EXPECT_EQ(kprobe_nmissed(&inner), 1);
	KT_EXPECT_EQ(kprobe_nhit(&inner), 0);
	unregister_kretprobe(&rp);
	unregister_kprobe(&inner);
}

static int pre_faults(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return *bad_ptr;
}

static int fault_calls_strlen(struct kprobe *p, struct pt_regs *regs, int trapnr)
{
	(void)p;
	(void)regs;
	(void)trapnr;
	seen_len = len_of("fault");
	return 0;	/* not fixed: the engine recovers the handler */
}

/* A fault handler calling a probed function, then the engine's own recovery. */
KTEST(reentry, fault_handler_calls_probed_function)
{
	struct kprobe inner = { .symbol_name = "strlen" };
	struct kprobe outer = { .symbol_name = "kp_target_add", .pre_handler = pre_faults,
				.fault_handler = fault_calls_strlen };

	seen_len = 0;
	KT_ASSERT(register_kprobe(&inner) == 0);
	KT_ASSERT(register_kprobe(&outer) == 0);
	KT_EXPECT_EQ(add(7, 8), 15);
	KT_EXPECT_EQ(seen_len, 5);
	KT_EXPECT(kprobe_nmissed(&inner) >= 1);
	KT_EXPECT(outer.flags & KPROBE_FLAG_GONE);
	KT_EXPECT(kprobe_running() == NULL);
	KT_EXPECT_EQ(len_of("abcd"), 4);
	KT_EXPECT(kprobe_nhit(&inner) >= 1);
	unregister_kprobe(&outer);
	unregister_kprobe(&inner);
}
