/*
 * `stress net SECONDS`: swap XDP programs on the first interface as fast as
 * attach allows (each swap waits a grace period), while frames arrive on
 * whatever CPU the NIC's interrupt is routed to, then check that every
 * frame taken off the ring was accounted for exactly once: the driver's
 * count equals the sum of the results, and the hook's count equals the
 * sum of its verdicts. The frames come from outside (a test floods the
 * wire); the accounting holds at any instant because the receive path
 * counts a frame and its result under the netif's rx_lock, which
 * netif_snapshot takes.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "net.h"

/* Programs that pass ICMP, so a flood can pace itself on echo replies. */
static const struct {
	const char *name;
	const char *arg;
} rotation[] = {
	{ "pass", NULL }, { "drop-udp", "9" }, { "count", NULL },
	{ "drop-proto", "udp" }, { "ret", "2" }, { NULL, NULL },	/* NULL: detach */
};

struct totals {
	uint64_t rx, results, delivered, dropped;
	uint64_t before_hook;		/* dropped by the driver: never reached the hook */
	uint64_t hook, verdicts[XDP_STAT_NUM];
	uint64_t res_drop, res_tx;	/* results of XDP_DROP and XDP_TX verdicts */
};

static void totals_of(struct netif *dev, struct totals *t)
{
	struct netif_stats st;
	struct xdp_dev_stats xs;

	netif_snapshot(dev, &st, &xs);	/* one copy of both, under rx_lock */
	memset(t, 0, sizeof(*t));
	t->rx = st.rx_packets;
	for (int i = 0; i < NET_RX_NUM; i++) {
		t->results += st.rx_result[i];
		*(i < NET_RX_FIRST_DROP ? &t->delivered : &t->dropped) += st.rx_result[i];
	}
	t->before_hook = st.rx_result[NET_RX_DROP_DESC_ERR] + st.rx_result[NET_RX_DROP_MULTI_DESC];
	t->res_drop = st.rx_result[NET_RX_DROP_XDP_DROP];
	t->res_tx = st.rx_result[NET_RX_OK_XDP_TX] + st.rx_result[NET_RX_DROP_XDP_TX_ERR];
	for (int i = 0; i < XDP_STAT_NUM; i++) {
		t->verdicts[i] = xs.packets[i];
		t->hook += xs.packets[i];
	}
}

/*
 * Since a: every frame off the ring has one result; every frame past the
 * driver's checks met the hook once; each verdict led to its result.
 */
static const char *unaccounted(const struct totals *a, const struct totals *b)
{
	if (b->rx - a->rx != b->results - a->results)
		return "frames off the ring and results differ";
	if (b->rx - a->rx != (b->hook - a->hook) + (b->before_hook - a->before_hook))
		return "frames off the ring and frames at the hook differ";
	if (b->verdicts[XDP_DROP] - a->verdicts[XDP_DROP] != b->res_drop - a->res_drop)
		return "XDP_DROP verdicts and xdp_drop results differ";
	if (b->verdicts[XDP_TX] - a->verdicts[XDP_TX] != b->res_tx - a->res_tx)
		return "XDP_TX verdicts and their results differ";
	return NULL;
}

static int swap_once(struct netif *dev, unsigned int step, char *err, size_t errlen)
{
	unsigned int i = step % ARRAY_SIZE(rotation);
	const struct xdp_native *n;
	struct xdp_prog *prog;
	char arg[16];
	char *argv[1] = { arg };

	if (!rotation[i].name)
		return xdp_attach(dev, NULL);
	n = xdp_native_find(rotation[i].name);
	if (!n) {
		snprintf(err, errlen, "no built-in program '%s'", rotation[i].name);
		return -ENOENT;
	}
	if (rotation[i].arg)
		snprintf(arg, sizeof(arg), "%s", rotation[i].arg);
	prog = xdp_native_load(n, rotation[i].arg ? 1 : 0, argv, err, errlen);
	return prog ? xdp_attach(dev, prog) : -ENOMEM;
}

static int stress_net(int argc, char **argv)
{
	static const char *const vname[XDP_STAT_NUM] = {
		"aborted", "drop", "pass", "tx", "redirect", "invalid", "no_prog",
	};
	struct netif *dev = netif_default();
	struct totals a, b;
	uint64_t secs, end, swaps = 0, checks = 0, irqs0;
	struct irq_info in = { .cpu = 0 }, gi;
	const char *why;
	char err[128];
	int ret = 0;

	if (argc != 2 || kstrtou64(argv[1], &secs) || !secs || secs > 3600)
		return cmd_error("usage: stress net SECONDS (1..3600)");
	if (!dev)
		return cmd_error("stress net: no network interface");
	if (READ_ONCE(dev->xdp_prog))
		return cmd_error("stress net: %s has a program attached; detach it first", dev->name);
	for (unsigned int g = 0; g < IRQ_MAX_GSI; g++)
		for (unsigned int i = 0; i < IRQ_MAX_SHARED; i++)
			if (!irq_get_info(g, i, &gi) && gi.name && !strcmp(gi.name, dev->name))
				in = gi;
	irqs0 = irq_count_cpu(in.cpu, in.vector);
	cprintf("stress net: %lu s of XDP swaps on cpu %u; %s interrupts go to cpu %u\n", secs,
		this_cpu()->cpu, dev->name, in.cpu);
	totals_of(dev, &a);
	end = uptime_ns() + secs * 1000000000ULL;
	while (uptime_ns() < end && !console_interrupted()) {
		struct totals mid;

		ret = swap_once(dev, swaps, err, sizeof(err));
		if (ret)
			break;
		swaps++;
		totals_of(dev, &mid);	/* the identities hold at every instant, not only at the end */
		checks++;
		why = unaccounted(&a, &mid);
		if (why) {
			snprintf(err, sizeof(err), "mid-run: %s", why);
			ret = -EIO;
			break;
		}
	}
	xdp_attach(dev, NULL);
	if (ret)
		return cmd_error("stress net: after %lu swaps: %s (%d)", swaps, err, ret);
	totals_of(dev, &b);
	cprintf("stress net: %lu swaps, %lu checks; %lu interrupts on cpu %u\n", swaps, checks,
		irq_count_cpu(in.cpu, in.vector) - irqs0, in.cpu);
	cprintf("stress net: rx %lu = delivered %lu + dropped %lu\n", b.rx - a.rx,
		b.delivered - a.delivered, b.dropped - a.dropped);
	cprintf("stress net: xdp");
	for (int i = 0; i < XDP_STAT_NUM; i++)
		cprintf(" %s=%lu", vname[i], b.verdicts[i] - a.verdicts[i]);
	cprintf(" total=%lu\n", b.hook - a.hook);
	why = unaccounted(&a, &b);
	if (why)
		return cmd_error("stress net: %s", why);
	cprintf("stress net: every frame accounted\n");
	return 0;
}

static struct stress_test net_stress = {
	.name = "net",
	.usage = "net SECONDS",
	.run = stress_net,
};

static int net_stress_init(void)
{
	stress_register(&net_stress);
	return 0;
}
INITCALL(net_stress_init, 3);
