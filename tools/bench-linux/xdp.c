// SPDX-License-Identifier: GPL-2.0
/*
 * kpxdp: the receive-side clock of `make bench-linux`'s XDP case
 * (scripts/bench_linux.py, tools/bench-linux/init.sh).
 *
 * kprobe64's `xdp bench start flood` counts the TSC ticks its e1000 receive
 * interrupt handler is busy and divides by the frames it took off the ring.
 * Linux splits the same work into the hard interrupt (e1000_intr: mask,
 * schedule NAPI) and the NET_RX softirq (e1000_clean: ring walk, skb, generic
 * XDP, refill), so this module adds up the ticks spent inside either, from
 * the irq_handler_entry/exit tracepoints of the interface's interrupt and
 * the softirq_entry/exit tracepoints of NET_RX, and counts the frames NAPI
 * reports (napi_poll's work). Nested entries (the hard interrupt arriving
 * during the softirq) are counted once. Under QEMU's -icount shift=0 the
 * TSC counts guest instructions.
 *
 * Loading starts the clock; unloading stops it and prints one line:
 * "kpbench: case=NAME busy_tsc=... irq_tsc=... softirq_tsc=... irqs=...
 * softirqs=... polls=... frames=...".
 */
#include <linux/module.h>
#include <linux/tracepoint.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/string.h>

static char *ifname = "eth0";
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "the interface whose interrupt is timed");
static char *kcase = "xdp";
module_param(kcase, charp, 0444);
MODULE_PARM_DESC(kcase, "the name the result line carries");

/* One CPU (QEMU without -smp): plain counters, updated with interrupts off
 * or from the contexts that cannot nest into themselves. */
static unsigned int depth;
static u64 t_outer, t_irq, t_softirq;
static u64 busy, irq_ticks, softirq_ticks, irqs, softirqs, polls, frames;

static inline u64 tsc(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static void enter(u64 now)
{
	if (!depth++)
		t_outer = now;
}

static void leave(u64 now)
{
	if (depth && !--depth)
		busy += now - t_outer;
}

static bool ours(struct irqaction *action)
{
	return action && action->name && !strcmp(action->name, ifname);
}

static void on_irq_entry(void *data, int irq, struct irqaction *action)
{
	if (ours(action)) {
		t_irq = tsc();
		enter(t_irq);
	}
}

static void on_irq_exit(void *data, int irq, struct irqaction *action, int ret)
{
	u64 now;

	if (ours(action)) {
		now = tsc();
		irq_ticks += now - t_irq;
		irqs++;
		leave(now);
	}
}

static void on_softirq_entry(void *data, unsigned int vec)
{
	if (vec == NET_RX_SOFTIRQ) {
		t_softirq = tsc();
		enter(t_softirq);
	}
}

static void on_softirq_exit(void *data, unsigned int vec)
{
	u64 now;

	if (vec == NET_RX_SOFTIRQ) {
		now = tsc();
		softirq_ticks += now - t_softirq;
		softirqs++;
		leave(now);
	}
}

static void on_napi_poll(void *data, struct napi_struct *napi, int work, int budget)
{
	if (napi->dev && !strcmp(napi->dev->name, ifname)) {
		polls++;
		frames += work;
	}
}

static struct {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} hooks[] = {
	{ "irq_handler_entry", on_irq_entry },
	{ "irq_handler_exit", on_irq_exit },
	{ "softirq_entry", on_softirq_entry },
	{ "softirq_exit", on_softirq_exit },
	{ "napi_poll", on_napi_poll },
};

/* The tracepoints are not exported one by one: find them by name. */
static void find_tp(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		if (!strcmp(tp->name, hooks[i].name))
			hooks[i].tp = tp;
}

static void unhook(size_t n)
{
	while (n--)
		tracepoint_probe_unregister(hooks[n].tp, hooks[n].probe, NULL);
	tracepoint_synchronize_unregister();
}

static int __init kpxdp_init(void)
{
	size_t i;
	int err;

	for_each_kernel_tracepoint(find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		if (!hooks[i].tp) {
			pr_err("kpbench: case=%s error=no_tracepoint_%s\n", kcase, hooks[i].name);
			unhook(i);
			return -ENOENT;
		}
		err = tracepoint_probe_register(hooks[i].tp, hooks[i].probe, NULL);
		if (err) {
			pr_err("kpbench: case=%s error=%d hooking=%s\n", kcase, err, hooks[i].name);
			unhook(i);
			return err;
		}
	}
	return 0;
}

static void __exit kpxdp_exit(void)
{
	unhook(ARRAY_SIZE(hooks));
	pr_info("kpbench: case=%s busy_tsc=%llu irq_tsc=%llu softirq_tsc=%llu irqs=%llu softirqs=%llu polls=%llu frames=%llu\n",
		kcase, busy, irq_ticks, softirq_ticks, irqs, softirqs, polls, frames);
}

module_init(kpxdp_init);
module_exit(kpxdp_exit);
MODULE_DESCRIPTION("busy receive time per frame, measured like kprobe64's xdp bench flood");
MODULE_LICENSE("GPL");
