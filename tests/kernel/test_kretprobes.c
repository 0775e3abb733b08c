/*
 * Return probes: the return value and the real return address reach the
 * handler, entry_handler data travels with the instance, batches, a stack
 * trace taken in the handler shows the real caller, nesting and recursion
 * pair up, an exhausted pool counts misses, and nothing leaks.
 */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_add_indirect(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile add_indirect)(uint64_t, uint64_t) = kp_target_add_indirect;
static uint64_t (*volatile fib)(uint64_t) = kp_target_fib;

static uint64_t seen_ret, seen_ip;
static int ret_calls, entry_calls;

static int ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	seen_ret = regs_return_value(regs);
	seen_ip = regs->ip;
	KT_EXPECT_EQ(ri->ret_addr, regs->ip);
	ret_calls++;
	return 0;
}

static __noinline uint64_t call_add(uint64_t a, uint64_t b)
{
	return add(a, b) + 0;
}

KTEST(kretprobes, return_value_and_address)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = ret_handler };
	uint64_t off;
	const struct ksym *s;

	ret_calls = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(call_add(40, 2), 42);
	KT_EXPECT_EQ(ret_calls, 1);
	KT_EXPECT_EQ(seen_ret, 42);
	s = kallsyms_lookup(seen_ip, &off);
	KT_EXPECT(s && !strcmp(ksym_name(s), "call_add"));
	unregister_kretprobe(&rp);
	KT_EXPECT_EQ(call_add(1, 2), 3);
	KT_EXPECT_EQ(ret_calls, 1);
}

struct entry_data {
	uint64_t a, b;
};

static int entry_save(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct entry_data *d = (void *)ri->data;

	d->a = regs->di;
	d->b = regs->si;
	entry_calls++;
	return 0;
}

static int ret_check_data(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct entry_data *d = (void *)ri->data;

	KT_EXPECT_EQ(regs->ax, d->a + d->b);
	ret_calls++;
	return 0;
}

static int entry_skip(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	entry_calls++;
	return 1;	/* nonzero: no return probe for this call */
}

KTEST(kretprobes, entry_handler_data)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = ret_check_data,
				.entry_handler = entry_save, .data_size = sizeof(struct entry_data) };

	ret_calls = entry_calls = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(add(3, 4), 7);
	KT_EXPECT_EQ(add(10, 20), 30);
	KT_EXPECT_EQ(entry_calls, 2);
	KT_EXPECT_EQ(ret_calls, 2);
	unregister_kretprobe(&rp);

	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = ret_check_data,
				 .entry_handler = entry_skip };
	ret_calls = entry_calls = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(add(3, 4), 7);
	KT_EXPECT_EQ(entry_calls, 1);
	KT_EXPECT_EQ(ret_calls, 0);
	unregister_kretprobe(&rp);
}

KTEST(kretprobes, batch)
{
	struct kretprobe a = { .kp.symbol_name = "kp_target_add", .handler = ret_handler };
	struct kretprobe b = { .kp.symbol_name = "kp_target_add_indirect", .handler = ret_handler };
	struct kretprobe *rps[] = { &a, &b };

	ret_calls = 0;
	KT_ASSERT(register_kretprobes(rps, 2) == 0);
	KT_EXPECT_EQ(add_indirect(1, 2), 4);
	KT_EXPECT_EQ(ret_calls, 2);
	KT_EXPECT_EQ(seen_ret, 4);	/* the outer one returns last */
	unregister_kretprobes(rps, 2);
}

KTEST(kretprobes, only_at_function_entry)
{
	struct kretprobe rp = { .kp.symbol_name = "pt_call_rel", .kp.offset = 1,
				.handler = ret_handler };

	KT_EXPECT_EQ(register_kretprobe(&rp), -EINVAL);
	rp = (struct kretprobe){ .kp.symbol_name = "nosuch", .handler = ret_handler };
	KT_EXPECT_EQ(register_kretprobe(&rp), -ENOENT);
}

/* A stack trace from the handler: the real caller appears, the trampoline does not. */
static bool saw_caller, saw_trampoline;

static int ret_stacktrace(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	uint64_t rets[16], off;
	int n = stack_trace_save_bp((uint64_t)__builtin_frame_address(0), rets, 16);

	(void)ri;
	(void)regs;
	saw_caller = saw_trampoline = false;
	for (int i = 0; i < n; i++) {
		const struct ksym *s = kallsyms_lookup(rets[i] - 1, &off);

		if (s && !strcmp(ksym_name(s), "call_add"))
			saw_caller = true;
		if (s && !strcmp(ksym_name(s), "kretprobe_trampoline"))
			saw_trampoline = true;
	}
	return 0;
}

KTEST(kretprobes, stacktrace_shows_real_caller)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = ret_stacktrace };

	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(call_add(1, 1), 2);
	unregister_kretprobe(&rp);
	KT_EXPECT(saw_caller);
	KT_EXPECT(!saw_trampoline);
}

/* Nested: an outer and an inner function both return through the trampoline. */
static uint64_t order[4];
static int norder;

static int ret_order(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	if (norder < 4)
		order[norder++] = regs->ax;
	return 0;
}

KTEST(kretprobes, nested)
{
	struct kretprobe inner = { .kp.symbol_name = "kp_target_add", .handler = ret_order };
	struct kretprobe outer = { .kp.symbol_name = "kp_target_add_indirect", .handler = ret_order };

	norder = 0;
	KT_ASSERT(register_kretprobe(&inner) == 0);
	KT_ASSERT(register_kretprobe(&outer) == 0);
	KT_EXPECT_EQ(add_indirect(5, 5), 11);
	KT_EXPECT_EQ(norder, 2);
	KT_EXPECT_EQ(order[0], 10);	/* inner returns first */
	KT_EXPECT_EQ(order[1], 11);
	unregister_kretprobe(&outer);
	unregister_kretprobe(&inner);
}

/* Recursion: every level gets its instance back; a small pool counts misses. */
static int fib_returns;

static int ret_fib(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	fib_returns++;
	return 0;
}

KTEST(kretprobes, recursion_and_maxactive)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_fib", .handler = ret_fib,
				.maxactive = 16 };

	fib_returns = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(fib(10), 55);
	KT_EXPECT_EQ(fib_returns, 177);	/* calls made by fib(10) */
	KT_EXPECT_EQ(kretprobe_nmissed(&rp), 0);
	unregister_kretprobe(&rp);

	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_fib", .handler = ret_fib,
				 .maxactive = 3 };
	fib_returns = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(fib(10), 55);
	KT_EXPECT(kretprobe_nmissed(&rp) > 0);
	KT_EXPECT_EQ(fib_returns + kretprobe_nmissed(&rp), 177);
	unregister_kretprobe(&rp);
	/* Linux's field, which module sources read after unregistering */
	KT_EXPECT_EQ(rp.nmissed, 177 - (int)fib_returns);
}

KTEST(kretprobes, cycles_leak_nothing)
{
	struct heap_stats before, after;
	struct kretprobe rp;

	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = ret_handler };
	KT_ASSERT(register_kretprobe(&rp) == 0);	/* warm the slot cache */
	unregister_kretprobe(&rp);
	heap_stats(&before);
	for (int i = 0; i < 2000; i++) {
		rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = ret_handler,
					 .data_size = 32 };
		KT_ASSERT(register_kretprobe(&rp) == 0);
		add(i, 1);
		unregister_kretprobe(&rp);
	}
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
	KT_EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
}

/* Two return probes on one function: both handlers see the real return address. */
static uint64_t ips[2];
static int nips;

static int ret_record_ip(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	if (nips < 2)
		ips[nips++] = regs->ip;
	return 0;
}

KTEST(kretprobes, two_on_one_function)
{
	struct kretprobe a = { .kp.symbol_name = "kp_target_add", .handler = ret_record_ip };
	struct kretprobe b = { .kp.symbol_name = "kp_target_add", .handler = ret_record_ip };
	uint64_t off;
	const struct ksym *s;

	nips = 0;
	KT_ASSERT(register_kretprobe(&a) == 0);
	KT_ASSERT(register_kretprobe(&b) == 0);
	KT_EXPECT_EQ(call_add(2, 2), 4);
	KT_EXPECT_EQ(nips, 2);
	for (int i = 0; i < nips; i++) {
		s = kallsyms_lookup(ips[i], &off);
		KT_EXPECT(s && !strcmp(ksym_name(s), "call_add"));
	}
	unregister_kretprobe(&b);
	unregister_kretprobe(&a);
}

/* Faults in kretprobe handlers are survived; the function still returns right. */
static int ret_faults(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	volatile int *bad = (volatile int *)24;

	(void)ri;
	(void)regs;
	asm volatile("" : "+r"(bad));
	return *bad;
}

KTEST(kretprobes, faulting_handlers_are_survived)
{
	struct kretprobe rp = { .kp.symbol_name = "kp_target_add", .handler = ret_faults };
	struct heap_stats before, after;

	KT_ASSERT(register_kretprobe(&rp) == 0);	/* warm the slot cache: the */
	unregister_kretprobe(&rp);			/* suite may run first */
	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = ret_faults };
	heap_stats(&before);
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(call_add(20, 22), 42);	/* the return handler faults */
	KT_EXPECT(rp.kp.flags & KPROBE_FLAG_GONE);
	KT_EXPECT_EQ(call_add(1, 2), 3);
	unregister_kretprobe(&rp);

	rp = (struct kretprobe){ .kp.symbol_name = "kp_target_add", .handler = ret_handler,
				 .entry_handler = ret_faults };
	ret_calls = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	KT_EXPECT_EQ(call_add(5, 6), 11);	/* the entry handler faults */
	KT_EXPECT_EQ(ret_calls, 0);
	KT_EXPECT(rp.kp.flags & KPROBE_FLAG_GONE);
	KT_EXPECT_EQ(call_add(5, 6), 11);
	unregister_kretprobe(&rp);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}
