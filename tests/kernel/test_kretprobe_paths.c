/*
 * The kretprobe's two fast paths written in asm: the optimized detour's
 * entry for a kretprobe without an entry handler (probes/opt_kret_entry.asm)
 * and the trampoline's common return (probes/trampoline.asm). Each must do
 * what the C paths do: the return handler sees the return value in ax and
 * the real return address in ip and may change ax, runs with interrupts
 * off and the CPU busy (a probe hit from it is a miss), an exhausted pool
 * is counted, a fault in the handler is survived, nothing leaks, and the
 * counts add up with 4 CPUs hitting at once.
 */
#include "ktest.h"
#include "opt_switch.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile fib)(uint64_t) = kp_target_fib;

KTEST_EXIT(kretprobe_paths)
{
	kt_optimization_restore();
}

/* Registered and optimized: the detour's entry, not the int3, takes the hits. */
static bool register_optimized(struct kretprobe *rp)
{
	if (register_kretprobe(rp))
		return false;
	kprobes_optimize();
	return kprobe_mode(&rp->kp) == KPROBE_MODE_OPTIMIZED;
}

static struct {
	uint64_t ax, ip, sp, fp, flags;
	struct kprobe *running;
	int calls;
} seen;

static int record(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	seen.ax = regs->ax;
	seen.ip = regs->ip;
	seen.sp = regs->sp;
	seen.fp = ri->fp;
	seen.running = kprobe_running();
	asm volatile("pushfq; pop %0" : "=r"(seen.flags));
	seen.calls++;
	regs->ax += 1000;	/* the caller gets this instead */
	return 0;
}

static __noinline uint64_t call_add(uint64_t a, uint64_t b)
{
	return add(a, b) + 0;
}

static bool ip_in(uint64_t ip, const void *fn)
{
	uint64_t off;
	const struct ksym *sym = kallsyms_lookup(ip, &off);

	return sym && sym->addr == (uint64_t)fn && off > 0;
}

/* With and without an entry handler (the asm entry, then the C one): the same seen. */
static int no_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	return 0;
}

KTEST(kretprobe_paths, handler_sees_return_value_and_address)
{
	for (int with_entry = 0; with_entry < 2; with_entry++) {
		struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = record,
					.entry_handler = with_entry ? no_entry : NULL };
		uint64_t sum = kernel_text_checksum();

		kt_optimization(true);
		seen.calls = 0;
		KT_ASSERT(register_optimized(&rp));
		KT_EXPECT_EQ(call_add(20, 22), 1042);
		KT_EXPECT_EQ(seen.calls, 1);
		KT_EXPECT_EQ(seen.ax, 42);
		KT_EXPECT(ip_in(seen.ip, call_add));
		KT_EXPECT_EQ(seen.sp, seen.fp + 8);	/* where the caller's stack goes on */
		KT_EXPECT_EQ(seen.running, &rp.kp);
		KT_EXPECT_EQ(seen.flags & X86_EFLAGS_IF, 0);
		KT_EXPECT_EQ(kprobe_nhit(&rp.kp), 1);
		KT_EXPECT_EQ(kretprobe_nhit(&rp), 1);
		KT_EXPECT_EQ(kretprobe_nmissed(&rp), 0);
		KT_EXPECT_EQ(kprobe_running(), NULL);
		unregister_kretprobe(&rp);
		KT_EXPECT_EQ(kernel_text_checksum(), sum);
		KT_EXPECT_EQ(call_add(20, 22), 42);
	}
}

/* The return handler calls the probed function: the CPU is busy, so its entry is a miss. */
static int calls_again(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	if (!seen.calls++)
		seen.ax = add(1, 2);
	return 0;
}

KTEST(kretprobe_paths, hit_from_the_return_handler_is_missed)
{
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = calls_again };

	kt_optimization(true);
	seen.calls = 0;
	KT_ASSERT(register_optimized(&rp));
	KT_EXPECT_EQ(call_add(5, 6), 11);
	KT_EXPECT_EQ(seen.calls, 1);
	KT_EXPECT_EQ(seen.ax, 3);		/* the function ran */
	KT_EXPECT_EQ(kprobe_nhit(&rp.kp), 1);
	KT_EXPECT_EQ(kprobe_nmissed(&rp.kp), 1);	/* its entry, from the handler */
	KT_EXPECT_EQ(kretprobe_nhit(&rp), 1);
	KT_EXPECT_EQ(call_add(5, 6), 11);	/* and afterwards all is idle again */
	KT_EXPECT_EQ(seen.calls, 2);
	KT_EXPECT_EQ(kprobe_nmissed(&rp.kp), 1);
	unregister_kretprobe(&rp);
}

static unsigned long fib_returns;

static int count_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	fib_returns++;
	return 0;
}

/* Recursion deeper than maxactive: every call either returns through a handler or is a miss. */
KTEST(kretprobe_paths, exhausted_pool_is_counted)
{
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_fib, .handler = count_return,
				.maxactive = 3 };
	struct heap_stats before, after;
	unsigned long missed;

	kt_optimization(true);
	heap_stats(&before);
	fib_returns = 0;
	KT_ASSERT(register_optimized(&rp));
	KT_EXPECT_EQ(fib(10), 55);
	KT_EXPECT(kretprobe_nmissed(&rp) > 0);
	KT_EXPECT_EQ(fib_returns + kretprobe_nmissed(&rp), 177);	/* calls fib(10) makes */
	KT_EXPECT_EQ(kprobe_nhit(&rp.kp), 177);
	missed = kretprobe_nmissed(&rp);
	KT_EXPECT_EQ(fib(1), 1);	/* the pool came back whole: this one is not missed */
	KT_EXPECT_EQ(kretprobe_nmissed(&rp), missed);
	KT_EXPECT_EQ(fib_returns + missed, 178);
	unregister_kretprobe(&rp);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

static int faults(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	volatile int *bad = (volatile int *)8;

	(void)ri;
	(void)regs;
	asm volatile("" : "+r"(bad));
	return *bad;	/* page 0 is not mapped */
}

KTEST(kretprobe_paths, fault_in_the_return_handler_is_survived)
{
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = faults };
	uint64_t sum = kernel_text_checksum();

	kt_optimization(true);
	KT_ASSERT(register_optimized(&rp));
	KT_EXPECT_EQ(call_add(20, 22), 42);	/* the handler faulted; the caller got the value */
	KT_EXPECT(rp.kp.flags & KPROBE_FLAG_GONE);
	KT_EXPECT_EQ(kprobe_running(), NULL);
	KT_EXPECT_EQ(call_add(1, 2), 3);
	unregister_kretprobe(&rp);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

/* ---- every CPU at once (1 CPU: the boot CPU alone) ---- */

#define ROUNDS 2000

static volatile bool go;
static unsigned int started;
static unsigned long returns_on[MAX_CPUS], wrong_on[MAX_CPUS];

static int count_on_cpu(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned int cpu = this_cpu()->cpu;

	if (ri->ret_addr != regs->ip || !ip_in(regs->ip, call_add) || regs->sp != ri->fp + 8)
		wrong_on[cpu]++;
	returns_on[cpu]++;	/* interrupts off: this CPU's cell is its own */
	return 0;
}

static void hit_add(void *arg)
{
	unsigned int cpu = this_cpu()->cpu;

	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	while (!READ_ONCE(go))
		cpu_relax();
	for (uint64_t i = 0; i < ROUNDS; i++)
		if (call_add(i, cpu) != i + cpu)
			wrong_on[cpu]++;
}

KTEST(kretprobe_paths, every_cpu_at_once)
{
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = count_on_cpu };
	unsigned int n = num_cpus();
	unsigned long total = 0;

	kt_optimization(true);
	for (unsigned int c = 0; c < n; c++)
		returns_on[c] = wrong_on[c] = 0;
	KT_ASSERT(register_optimized(&rp));
	go = false;
	started = 0;
	for (unsigned int c = 1; c < n; c++)
		KT_ASSERT(!smp_run_on(c, hit_add, NULL));
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) != n - 1)
		cpu_relax();
	WRITE_ONCE(go, true);
	hit_add(NULL);
	for (unsigned int c = 1; c < n; c++)
		smp_run_wait(c);
	for (unsigned int c = 0; c < n; c++) {
		KT_EXPECT_EQ(wrong_on[c], 0);
		KT_EXPECT_EQ(returns_on[c], ROUNDS);
		total += returns_on[c];
	}
	KT_EXPECT_EQ(kretprobe_nhit(&rp), total);
	KT_EXPECT_EQ(kprobe_nhit(&rp.kp), total);
	KT_EXPECT_EQ(kretprobe_nmissed(&rp), 0);
	unregister_kretprobe(&rp);
}
