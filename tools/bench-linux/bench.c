// SPDX-License-Identifier: GPL-2.0
/*
 * kpbench: the Linux side of `make bench-linux` (scripts/bench_linux.py).
 *
 * It measures a probe hit the way kprobe64's `bench hits` does
 * (probes/bench.c): a loop of ITERS calls to a small noinline target through
 * a volatile function pointer, interrupts off, timed with lfence-fenced
 * rdtsc; the median over RUNS loops, minus the same loop unprobed. Under
 * QEMU's -icount shift=0 the TSC counts guest instructions.
 *
 * One case per load: `insmod kpbench.ko kcase=NAME` registers the probe,
 * measures and prints, and leaves the probe registered so the init script
 * can read /sys/kernel/debug/kprobes/list; rmmod unregisters it and checks
 * that the probed bytes came back. `kcase=attach list=FILE` registers a
 * kprobe on every address in FILE (one hex address a line), runs the loop
 * with all of them armed, and unregisters them, timing both per probe.
 *
 * Every line it prints starts "kpbench: " followed by key=value pairs, which
 * is all the driver parses.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/delay.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/kernel_read_file.h>
#include <linux/atomic.h>

#define RUNS	9
#define ITERS	256
#define SAVED	8	/* bytes compared before and after */
#define CURVE	8	/* attach_curve points */

u64 kpb_target_mov(u64 a, u64 b);
u64 kpb_target_fnop(u64 a, u64 b);
u64 kpb_target_c(u64 a, u64 b);

/* A C function: kbuild's -mfentry gives it an ftrace site at its entry. */
noinline u64 kpb_target_c(u64 a, u64 b)
{
	return a + b;
}

static u64 (*volatile target)(u64, u64) = kpb_target_mov;

static noinline u64 bench_loop(u64 n)
{
	u64 sum = 0, i;

	for (i = 0; i < n; i++)
		sum = target(sum, i);
	return sum;
}

static inline u64 tsc(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median TSC ticks per call of the loop, interrupts off. */
static u64 loop_cost(void)
{
	u64 s[RUNS], t0;
	unsigned long flags;
	int r;

	for (r = 0; r < RUNS; r++) {
		local_irq_save(flags);
		t0 = tsc();
		bench_loop(ITERS);
		s[r] = tsc() - t0;
		local_irq_restore(flags);
	}
	sort(s, RUNS, sizeof(s[0]), cmp_u64, NULL);
	return s[RUNS / 2] / ITERS;
}

static atomic_long_t hits;

static int empty_pre(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static void empty_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static int empty_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int count_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_long_inc(&hits);
	return 0;
}

static void count_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	atomic_long_inc(&hits);
}

static int count_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_long_inc(&hits);
	return 0;
}

struct hit_case {
	const char *name;
	u64 (*fn)(u64, u64);
	bool post, ret;
};

/* Names as kprobe64's rows; the driver prefixes them with linux_. The
 * optimization sysctl is the init script's business. */
static const struct hit_case cases[] = {
	{ "kprobe_step", kpb_target_fnop },
	{ "kprobe_boost", kpb_target_mov },
	{ "kprobe_step_post", kpb_target_mov, .post = true },
	{ "kprobe_opt", kpb_target_mov },
	{ "kretprobe", kpb_target_mov, .ret = true },
	{ "kretprobe_opt", kpb_target_mov, .ret = true },
	{ "ftrace", kpb_target_c },
};

static char *kcase = "kprobe_boost";
module_param(kcase, charp, 0444);
MODULE_PARM_DESC(kcase, "what to measure: a hit case or attach");
static char *list = "/tmp/funcs";
module_param(list, charp, 0444);
MODULE_PARM_DESC(list, "kcase=attach: file of hex addresses, one a line");

static const struct hit_case *hc;
static struct kprobe kp;
static struct kretprobe rp;
static u8 saved[SAVED];

static struct kprobe *probe(void)
{
	return hc->ret ? &rp.kp : &kp;
}

/* The optimizer works from a delayed work item: wait (bounded) for the jump. */
static bool wait_optimized(u8 *addr)
{
	int i;

	for (i = 0; i < 200 && *addr != 0xe9; i++)
		msleep(10);
	return *addr == 0xe9;
}

static int run_hit_case(void)
{
	struct kprobe *p;
	u64 base, cost, n;
	unsigned long flags;
	bool opt;
	int err;

	target = hc->fn;
	base = loop_cost();
	memcpy(saved, hc->fn, SAVED);
	if (hc->ret) {
		rp.kp.addr = (kprobe_opcode_t *)hc->fn;
		rp.handler = empty_ret;
		err = register_kretprobe(&rp);
	} else {
		kp.addr = (kprobe_opcode_t *)hc->fn;
		kp.pre_handler = empty_pre;
		kp.post_handler = hc->post ? empty_post : NULL;
		err = register_kprobe(&kp);
	}
	if (err) {
		pr_err("kpbench: case=%s error=%d\n", hc->name, err);
		return err;
	}
	p = probe();
	opt = wait_optimized((u8 *)p->addr);
	cost = loop_cost() - base;

	/* The same loop once more with handlers that count, to show every call hit. */
	if (hc->ret)
		rp.handler = count_ret;
	else if (hc->post)
		kp.post_handler = count_post;
	else
		kp.pre_handler = count_pre;
	local_irq_save(flags);
	bench_loop(ITERS);
	local_irq_restore(flags);
	n = atomic_long_read(&hits);
	if (hc->ret)
		rp.handler = empty_ret;
	else if (hc->post)
		kp.post_handler = empty_post;
	else
		kp.pre_handler = empty_pre;

	pr_info("kpbench: case=%s cost=%llu base=%llu hits=%llu calls=%d first_byte=0x%02x optimized=%d boostable=%d ftrace=%d aggregated=%d nmissed=%lu\n",
		hc->name, cost, base, n, ITERS, *(u8 *)p->addr, opt, p->ainsn.boostable,
		!!(p->flags & KPROBE_FLAG_FTRACE), !list_empty(&p->list),
		hc->ret ? (unsigned long)rp.nmissed : p->nmissed);
	return 0;
}

static void end_hit_case(void)
{
	int i;

	if (hc->ret)
		unregister_kretprobe(&rp);
	else
		unregister_kprobe(&kp);
	/* An optimized probe is unoptimized from the same delayed work. */
	for (i = 0; i < 200 && memcmp(saved, hc->fn, SAVED); i++)
		msleep(10);
	pr_info("kpbench: case=%s restored=%d waited_ms=%d\n", hc->name,
		!memcmp(saved, hc->fn, SAVED), i * 10);
}

/* ---- kcase=attach ---- */

static int attach_all(void)
{
	struct kprobe *kps;
	u8 (*orig)[SAVED];
	void *buf = NULL;
	char *s, *line;
	ssize_t len;
	unsigned int n = 0, max = 0, refused = 0, changed = 0, i;
	u64 t0, t1, t2, t3, addr, running, during;
	int err;

	len = kernel_read_file_from_path(list, 0, &buf, INT_MAX, NULL, READING_UNKNOWN);
	if (len < 0) {
		pr_err("kpbench: case=attach error=%zd reading=%s\n", len, list);
		return len;
	}
	for (i = 0; i < len; i++)
		max += ((char *)buf)[i] == '\n';
	kps = vzalloc(array_size(max, sizeof(*kps)));
	orig = vzalloc(array_size(max, SAVED));
	if (!kps || !orig) {
		err = -ENOMEM;
		goto out;
	}
	s = buf;
	s[len - 1] = '\0';
	while ((line = strsep(&s, "\n")) && n < max) {
		if (kstrtou64(line, 16, &addr))
			continue;
		kps[n].addr = (kprobe_opcode_t *)addr;
		kps[n].pre_handler = count_pre;
		memcpy(orig[n], (void *)addr, SAVED);
		n++;
	}

	atomic_long_set(&hits, 0);
	t0 = tsc();
	for (i = 0; i < n; i++) {
		if (register_kprobe(&kps[i])) {
			kps[i].addr = NULL;	/* refused: e.g. a jump-label site */
			refused++;
		}
		/* how the cost of one more grows with those already armed */
		if ((i + 1) % (n / CURVE ? n / CURVE : 1) == 0)
			pr_info("kpbench: case=attach_curve registered=%u attach_tsc=%llu hits=%ld\n",
				i + 1, tsc() - t0, atomic_long_read(&hits));
	}
	t1 = tsc();
	during = atomic_long_read(&hits);
	target = kpb_target_mov;
	loop_cost();		/* the kernel keeps running with all of them armed */
	running = atomic_long_read(&hits) - during;
	t2 = tsc();
	for (i = 0; i < n; i++)
		if (kps[i].addr)
			unregister_kprobe(&kps[i]);
	t3 = tsc();
	for (i = 0; i < n; i++)
		changed += kps[i].addr && memcmp(orig[i], kps[i].addr, SAVED);
	pr_info("kpbench: case=attach candidates=%u attached=%u refused=%u attach_tsc=%llu detach_tsc=%llu hits_attaching=%llu hits_running=%llu changed=%u\n",
		n, n - refused, refused, t1 - t0, t3 - t2, during, running, changed);
	err = 0;
out:
	vfree(kps);
	vfree(orig);
	vfree(buf);
	return err;
}

static int __init kpbench_init(void)
{
	size_t i;

	if (!strcmp(kcase, "attach"))
		return attach_all();
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(kcase, cases[i].name))
			hc = &cases[i];
	if (!hc) {
		pr_err("kpbench: case=%s error=unknown\n", kcase);
		return -EINVAL;
	}
	return run_hit_case();
}

static void __exit kpbench_exit(void)
{
	if (hc)
		end_hit_case();
}

module_init(kpbench_init);
module_exit(kpbench_exit);
MODULE_DESCRIPTION("kprobe hit costs measured like kprobe64's bench hits");
MODULE_LICENSE("GPL");
