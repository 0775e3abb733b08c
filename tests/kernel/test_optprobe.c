/*
 * Jump-optimized probes (probes/opt.c): every instruction boundary of a set
 * of functions with loops, calls, a jump table and rip-relative data,
 * probed and optimized, with the functions' results checked and the text
 * bit-identical after each unregister; handlers that change registers and
 * ip; a kretprobe whose entry is optimized; a fault in a relocated copy
 * reaching its exception-table fixup; the short form (jmp rel8 to an
 * island) where a branch target follows the probed instruction; optimizing
 * and unoptimizing while the other CPUs run the code.
 */
#include "ktest.h"
#include "opt_switch.h"
#include "arch.h"
#include "insn.h"
#include "kallsyms.h"
#include "probes.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_sub(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);
uint64_t kp_target_strlen(const char *s);
uint64_t kp_target_loop(uint64_t n);
uint64_t kp_target_switch(uint64_t op, uint64_t a);
uint64_t kp_target_mix(uint64_t n);
uint64_t pt_opt_mix(uint64_t n);
int64_t pt_opt_fault_load(const uint64_t *p);
uint64_t pt_opt_short(uint64_t n);
uint64_t pt_opt_inner(uint64_t n);

/* Called through pointers, so nothing is folded or inlined into the test. */
static uint64_t (*volatile add_fn)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile mix_fn)(uint64_t) = kp_target_mix;
static int64_t (*volatile fault_fn)(const uint64_t *) = pt_opt_fault_load;
static uint64_t (*volatile short_fn)(uint64_t) = pt_opt_short;
static uint64_t (*volatile inner_fn)(uint64_t) = pt_opt_inner;

/* One call of each swept function, summed into a number the tests compare. */
static uint64_t workload(void)
{
	static uint64_t (*volatile fib)(uint64_t) = kp_target_fib;
	static uint64_t (*volatile len)(const char *) = kp_target_strlen;
	static uint64_t (*volatile loop)(uint64_t) = kp_target_loop;
	static uint64_t (*volatile sw)(uint64_t, uint64_t) = kp_target_switch;
	static uint64_t (*volatile asm_mix)(uint64_t) = pt_opt_mix;
	uint64_t r = fib(9) + len("optimized") * 7 + loop(17) * 11 + mix_fn(23) * 13;

	for (uint64_t op = 0; op < 10; op++)
		r = r * 31 + sw(op, op * 5 + 1);
	return r + asm_mix(0) * 17 + asm_mix(9) * 19 + short_fn(12) * 23;
}

static const char *const swept[] = {
	"kp_target_switch", "pt_opt_mix", "kp_target_add",
	"kp_target_fib", "kp_target_strlen", "kp_target_loop", "kp_target_mix", "pt_opt_one",
	"pt_opt_short",
};

/*
 * Every patch costs a few rounds of IPIs with more CPUs: there the sweeps
 * take the first three (a jump table, the relocated rel8 forms and call,
 * the smallest function), the 1-CPU run takes them all.
 */
static unsigned int nswept(void)
{
	return num_cpus() > 1 ? 3 : sizeof(swept) / sizeof(swept[0]);
}

static unsigned long hits;

static int count_pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	hits++;
	return 0;
}

static int decode_orig(struct insn *insn, uint64_t pc)
{
	uint8_t buf[INSN_MAX_LEN];
	size_t n = kprobe_read_orig(pc, buf, sizeof(buf));

	return insn_decode(insn, buf, n, pc);
}

/*
 * Every case runs with optimization on, whatever the console's switch says
 * (`kprobes optimization off` before `test`), and the switch is given back
 * after each case.
 */
KTEST_EXIT(optprobe)
{
	kt_optimization_restore();
}

KTEST(optprobe, every_boundary_optimized_keeps_results)
{
	kt_optimization(true);
	uint64_t want = workload(), sum = kernel_text_checksum(), got;
	unsigned long boundaries = 0, optimized = 0;

	for (unsigned int f = 0; f < nswept(); f++) {
		uint64_t off, start = kallsyms_lookup_name(swept[f]);
		const struct ksym *sym = kallsyms_lookup(start, &off);
		struct insn insn;

		KT_ASSERT(sym && start);
		for (uint64_t pc = start; pc < start + sym->size; pc += insn.len) {
			struct kprobe kp = { .addr = (uint8_t *)pc, .pre_handler = count_pre };

			KT_ASSERT(!decode_orig(&insn, pc));
			if (register_kprobe(&kp))
				continue;	/* refused (a ud2, say): nothing to check */
			boundaries++;
			kprobes_optimize();
			optimized += kprobe_mode(&kp) == KPROBE_MODE_OPTIMIZED;
			hits = 0;
			got = workload();
			unregister_kprobe(&kp);
			KT_EXPECT_OR_BREAK(got == want);
			KT_EXPECT_OR_BREAK(pc != start || hits > 0);
			KT_EXPECT_OR_BREAK(kprobe_nhit(&kp) == hits);
			KT_EXPECT_OR_BREAK(kernel_text_checksum() == sum);
		}
	}
	printk("optprobe: %lu of %lu boundaries optimized\n", optimized, boundaries);
	KT_EXPECT(boundaries > (num_cpus() > 1 ? 30 : 100));
	KT_EXPECT(optimized * 10 > boundaries * 6);
}

KTEST(optprobe, all_boundaries_at_once)
{
	kt_optimization(true);
	static struct kprobe kps[512];
	uint64_t want = workload(), sum = kernel_text_checksum();
	unsigned int n = 0, optimized = 0;

	for (unsigned int f = 0; f < nswept(); f++) {
		uint64_t off, start = kallsyms_lookup_name(swept[f]);
		const struct ksym *sym = kallsyms_lookup(start, &off);
		struct insn insn;

		for (uint64_t pc = start; pc < start + sym->size && n < 512; pc += insn.len) {
			KT_ASSERT(!decode_orig(&insn, pc));
			kps[n] = (struct kprobe){ .addr = (uint8_t *)pc, .pre_handler = count_pre };
			if (!register_kprobe(&kps[n]))
				n++;
		}
	}
	kprobes_optimize();
	for (unsigned int i = 0; i < n; i++)
		optimized += kprobe_mode(&kps[i]) == KPROBE_MODE_OPTIMIZED;
	hits = 0;
	KT_EXPECT_EQ(workload(), want);
	KT_EXPECT(hits > 0);
	for (unsigned int i = 0; i < n; i++)
		unregister_kprobe(&kps[i]);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
	/* neighbours refuse each other; single long instructions still go */
	KT_EXPECT(optimized > 0);
}

static int set_si(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	regs->si = 1000;
	return 0;
}

static int to_sub(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	regs->ip = (uint64_t)kp_target_sub;
	return 1;	/* ip moved: the replaced instructions do not run */
}

KTEST(optprobe, handler_changes_registers_and_ip)
{
	kt_optimization(true);
	struct kprobe kp = { .addr = (uint8_t *)kp_target_add, .pre_handler = set_si };
	uint64_t sum = kernel_text_checksum();

	KT_ASSERT(!register_kprobe(&kp));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&kp), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(add_fn(1, 2), 1001);
	unregister_kprobe(&kp);

	kp = (struct kprobe){ .addr = (uint8_t *)kp_target_add, .pre_handler = to_sub };
	KT_ASSERT(!register_kprobe(&kp));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&kp), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(add_fn(10, 3), 7);
	KT_EXPECT_EQ(kprobe_nhit(&kp), 1);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(add_fn(10, 3), 13);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

static void nop_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	(void)p;
	(void)regs;
	(void)flags;
}

KTEST(optprobe, post_handler_disable_and_switch_unoptimize)
{
	kt_optimization(true);
	struct kprobe a = { .addr = (uint8_t *)kp_target_add, .pre_handler = count_pre };
	struct kprobe b = { .addr = (uint8_t *)kp_target_add, .pre_handler = count_pre };
	struct kprobe post = { .addr = (uint8_t *)kp_target_add, .post_handler = nop_post };
	uint64_t sum = kernel_text_checksum();

	KT_ASSERT(!register_kprobe(&a));
	KT_ASSERT(!register_kprobe(&b));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&a), KPROBE_MODE_OPTIMIZED);	/* one detour for both */
	hits = 0;
	KT_EXPECT_EQ(add_fn(2, 3), 5);
	KT_EXPECT_EQ(hits, 2);
	KT_ASSERT(!register_kprobe(&post));
	KT_EXPECT(kprobe_mode(&a) != KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(add_fn(2, 3), 5);
	KT_EXPECT_EQ(kprobe_nhit(&post), 1);
	unregister_kprobe(&post);
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&a), KPROBE_MODE_OPTIMIZED);
	disable_kprobe(&a);
	disable_kprobe(&b);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
	enable_kprobe(&a);
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&a), KPROBE_MODE_OPTIMIZED);
	kprobes_set_optimization(false);
	KT_EXPECT(kprobe_mode(&a) != KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(kprobes_optimize(), 0);
	kprobes_set_optimization(true);
	KT_EXPECT_EQ(kprobe_mode(&a), KPROBE_MODE_OPTIMIZED);
	hits = 0;
	KT_EXPECT_EQ(add_fn(2, 3), 5);
	KT_EXPECT_EQ(hits, 1);
	unregister_kprobe(&a);
	unregister_kprobe(&b);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

static unsigned long rets;

static int ret_plus_one(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	rets++;
	regs->ax++;
	return 0;
}

KTEST(optprobe, kretprobe_entry_is_optimized)
{
	kt_optimization(true);
	struct kretprobe rp = { .kp.addr = (uint8_t *)kp_target_add, .handler = ret_plus_one };
	uint64_t sum = kernel_text_checksum();

	KT_ASSERT(!register_kretprobe(&rp));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&rp.kp), KPROBE_MODE_OPTIMIZED);
	rets = 0;
	KT_EXPECT_EQ(add_fn(4, 5), 10);
	KT_EXPECT_EQ(rets, 1);
	unregister_kretprobe(&rp);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
}

KTEST(optprobe, fault_in_copy_reaches_the_fixup)
{
	kt_optimization(true);
	struct kprobe kp = { .addr = (uint8_t *)pt_opt_fault_load, .pre_handler = count_pre };
	static const uint64_t v = 0x1122334455667788;

	KT_ASSERT(!register_kprobe(&kp));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&kp), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(fault_fn(&v), (int64_t)v);
	KT_EXPECT_EQ(fault_fn((const uint64_t *)16), -14);
	KT_EXPECT_EQ(kprobe_nhit(&kp), 2);
	unregister_kprobe(&kp);
}

/*
 * pt_opt_short's xor and jmp rel8 are each followed by a loop target: 5
 * bytes from either cover a target, so each is the short form, a jmp rel8
 * to an island in the padding after the function. One at a time, then
 * both (an island each); the loop runs through the targets with them live.
 */
KTEST(optprobe, short_form_where_a_target_follows)
{
	kt_optimization(true);
	uint64_t start = (uint64_t)pt_opt_short, sum = kernel_text_checksum(), off, pc;
	const struct ksym *sym = kallsyms_lookup(start, &off);
	static const unsigned long want_hits[2] = { 2, 11 };	/* calls, loop rounds + 1 */
	struct kprobe kps[2];
	uint64_t at[2];
	struct insn insn;

	KT_ASSERT(sym && !off);
	for (pc = start; pc < start + sym->size; pc += insn.len) {
		KT_ASSERT(!decode_orig(&insn, pc));
		if (insn.branch == INSN_BR_JMP_REL8)
			break;
	}
	KT_ASSERT(pc < start + sym->size);
	at[0] = start;
	at[1] = pc;
	for (unsigned int round = 0; round < 3; round++) {
		unsigned int lo = round == 2 ? 0 : round, hi = round == 2 ? 2 : round + 1;

		for (unsigned int k = lo; k < hi; k++) {
			kps[k] = (struct kprobe){ .addr = (uint8_t *)at[k], .pre_handler = count_pre };
			KT_ASSERT(!register_kprobe(&kps[k]));
		}
		kprobes_optimize();
		for (unsigned int k = lo; k < hi; k++) {
			KT_EXPECT_EQ(kprobe_mode(&kps[k]), KPROBE_MODE_OPTIMIZED);
			KT_EXPECT_EQ(*(const uint8_t *)at[k], 0xeb);
		}
		hits = 0;
		KT_EXPECT_EQ(short_fn(10), 110);
		KT_EXPECT_EQ(short_fn(1), 2);
		for (unsigned int k = lo; k < hi; k++) {
			KT_EXPECT_EQ(kprobe_nhit(&kps[k]), want_hits[k]);
			unregister_kprobe(&kps[k]);
		}
		KT_EXPECT_EQ(hits, round == 2 ? 13 : want_hits[round]);
		KT_EXPECT_EQ(kernel_text_checksum(), sum);
		KT_EXPECT_EQ(short_fn(10), 110);
	}
}

/* The same where the only dead bytes in reach are alignment nops after a jmp, mid-function. */
KTEST(optprobe, short_form_island_inside_the_function)
{
	kt_optimization(true);
	uint64_t start = (uint64_t)pt_opt_inner, sum = kernel_text_checksum(), off, pc, island;
	const struct ksym *sym = kallsyms_lookup(start, &off);
	unsigned int jumps = 0;
	struct kprobe kp;
	struct insn insn;

	KT_ASSERT(sym && !off);
	for (pc = start; pc < start + sym->size; pc += insn.len) {
		KT_ASSERT(!decode_orig(&insn, pc));
		if (insn.branch == INSN_BR_JMP_REL8 && ++jumps == 2)
			break;
	}
	KT_ASSERT(pc < start + sym->size);
	kp = (struct kprobe){ .addr = (uint8_t *)pc, .pre_handler = count_pre };
	KT_ASSERT(!register_kprobe(&kp));
	kprobes_optimize();
	KT_EXPECT_EQ(kprobe_mode(&kp), KPROBE_MODE_OPTIMIZED);
	KT_EXPECT_EQ(*(const uint8_t *)pc, 0xeb);
	island = pc + 2 + (uint64_t)(int64_t)((const int8_t *)pc)[1];
	KT_EXPECT(island > start && island + 5 <= pc);
	KT_EXPECT_EQ(*(const uint8_t *)island, 0xe9);
	KT_EXPECT_EQ(inner_fn(10), 110);
	KT_EXPECT_EQ(kprobe_nhit(&kp), 10);
	unregister_kprobe(&kp);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
	KT_EXPECT_EQ(inner_fn(10), 110);
}

/* ---- while the other CPUs run the code ---- */

static volatile bool stop;
static volatile unsigned long runs[MAX_CPUS], wrong[MAX_CPUS];

static void run_mix(void *arg)
{
	uint64_t want = (uint64_t)arg;
	unsigned int c = this_cpu()->cpu;

	while (!READ_ONCE(stop)) {
		if (workload() != want)
			wrong[c]++;
		runs[c]++;
	}
}

KTEST(optprobe, optimize_while_other_cpus_run)
{
	kt_optimization(true);
	uint64_t want = workload(), sum = kernel_text_checksum();
	unsigned int n = num_cpus();
	unsigned long rounds = 0;

	stop = false;
	for (unsigned int c = 1; c < n; c++) {
		runs[c] = wrong[c] = 0;
		KT_ASSERT(!smp_run_on(c, run_mix, (void *)want));
	}
	/* a loop with calls, jrcxz/loop and a final call relocated (each patch is a few IPI rounds) */
	static const char *const hot[] = {
		"kp_target_mix", "pt_opt_mix", "kp_target_add", "pt_opt_short",
	};

	for (unsigned int f = 0; f < sizeof(hot) / sizeof(hot[0]); f++) {
		uint64_t off, start = kallsyms_lookup_name(hot[f]);
		const struct ksym *sym = kallsyms_lookup(start, &off);
		struct insn insn;

		for (uint64_t pc = start; pc < start + sym->size; pc += insn.len) {
			struct kprobe kp = { .addr = (uint8_t *)pc, .pre_handler = count_pre };

			if (decode_orig(&insn, pc))
				break;
			if (register_kprobe(&kp))
				continue;
			kprobes_optimize();
			/* let every other CPU run the workload once more over it */
			for (unsigned int c = 1; c < n; c++) {
				unsigned long r = READ_ONCE(runs[c]);

				while (READ_ONCE(runs[c]) < r + 1)
					cpu_relax();
			}
			unregister_kprobe(&kp);
			rounds++;
		}
	}
	stop = true;
	for (unsigned int c = 1; c < n; c++) {
		smp_run_wait(c);
		KT_EXPECT_EQ(wrong[c], 0);
	}
	KT_EXPECT(rounds > 30);
	KT_EXPECT_EQ(kernel_text_checksum(), sum);
	KT_EXPECT_EQ(workload(), want);
}
