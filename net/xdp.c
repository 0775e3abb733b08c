/*
 * The XDP hook: run a device's program on a frame still in the driver's
 * receive buffer and count what it decided. Attach and detach swap one
 * pointer; the old program is freed only once no CPU can still be running
 * it. Values outside the enum are handled as Linux drivers do: warned
 * once, then counted as an exception and dropped, like XDP_ABORTED.
 * XDP_REDIRECT is carried out by the driver through xdp_do_redirect()
 * (net/xdp_redirect.c).
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "net.h"

#define ETH_HLEN_MIN	ETH_HLEN
#define META_MAX	32	/* Linux caps metadata at 32 bytes */

/* Linux's default printk ratelimit: 10 messages per 5 seconds */
#define TRACE_BURST	10
#define TRACE_INTERVAL	(5 * HZ)

static const char *const action_names[] = {
	[XDP_ABORTED] = "ABORTED", [XDP_DROP] = "DROP", [XDP_PASS] = "PASS",
	[XDP_TX] = "TX", [XDP_REDIRECT] = "REDIRECT",
};

static bool warned_invalid;
static uint64_t trace_window, trace_suppressed;
static unsigned int trace_printed;

const char *xdp_action_name(unsigned int act)
{
	return act < ARRAY_SIZE(action_names) ? action_names[act] : NULL;
}

/*
 * Linux reports these through the xdp:xdp_exception tracepoint; here the
 * event is a kernel log line, rate limited so a program that aborts every
 * frame of a flood cannot stall the receive path on the serial console.
 */
void xdp_trace_exception(struct netif *dev, const struct xdp_prog *prog, unsigned int act)
{
	uint64_t now = jiffies();
	const char *name = xdp_action_name(act);
	char num[16];

	dev->xdp_stats.exceptions++;
	if (!trace_window || now - trace_window >= TRACE_INTERVAL) {
		if (trace_suppressed)
			pr_warn("xdp_exception: %lu callbacks suppressed\n", trace_suppressed);
		trace_window = now;
		trace_printed = 0;
		trace_suppressed = 0;
	}
	if (trace_printed >= TRACE_BURST) {
		trace_suppressed++;
		return;
	}
	trace_printed++;
	if (!name) {
		snprintf(num, sizeof(num), "%u", act);
		name = num;
	}
	pr_warn("xdp_exception: prog=%s id=%u action=%s ifindex=%d\n",
		prog ? prog->tag : "(detached)", prog ? prog->id : 0, name, dev->ifindex);
}

/* A verdict that is no XDP action, said once (as Linux does). */
static void warn_action(struct netif *dev, const struct xdp_prog *prog, unsigned int act)
{
	if (warned_invalid)
		return;
	warned_invalid = true;
	pr_warn("xdp: %s: prog %s (id %u) returned %u, which is no XDP action; "
		"its frames are dropped\n", dev->name, prog->tag, prog->id, act);
}

/* Roll the one-second rate window forward if it is over. */
static void rate_tick(struct xdp_dev_stats *st, uint64_t now)
{
	uint64_t span = now - st->win_start;

	if (span < HZ)
		return;
	for (int i = 0; i < XDP_STAT_NUM; i++) {
		/* a window much older than a second says nothing about the last one */
		st->rate[i] = span < 2 * HZ ? st->win_pkts[i] * HZ / span : 0;
		st->win_pkts[i] = 0;
	}
	st->win_start = now;
}

uint64_t xdp_rate(const struct xdp_dev_stats *st, unsigned int slot, uint64_t now)
{
	uint64_t span = now - st->win_start;

	if (slot >= XDP_STAT_NUM)
		return 0;
	if (span < HZ)
		return st->rate[slot];
	if (span < 2 * HZ)	/* the open window is a full second by now */
		return st->win_pkts[slot] * HZ / span;
	return 0;
}

static void count(struct netif *dev, unsigned int slot, uint64_t len)
{
	struct xdp_dev_stats *st = &dev->xdp_stats;

	rate_tick(st, jiffies());
	st->packets[slot]++;
	st->bytes[slot] += len;
	st->win_pkts[slot]++;
}

unsigned int __noinline xdp_run(struct netif *dev, struct xdp_buff *xdp)
{
	struct xdp_prog *prog = __atomic_load_n(&dev->xdp_prog, __ATOMIC_ACQUIRE);
	uint64_t len = (uint8_t *)xdp->data_end - (uint8_t *)xdp->data;
	unsigned int act;

	if (!prog) {
		count(dev, XDP_STAT_NO_PROG, len);
		return XDP_PASS;
	}
	act = bpf_prog_run_xdp(prog, xdp);
	switch (act) {
	case XDP_PASS:
	case XDP_TX:
	case XDP_DROP:
	case XDP_REDIRECT:	/* a failed redirect is traced where it fails */
		count(dev, act, len);
		break;
	case XDP_ABORTED:
		count(dev, act, len);
		xdp_trace_exception(dev, prog, act);
		break;
	default:
		count(dev, XDP_STAT_INVALID, len);
		warn_action(dev, prog, act);
		xdp_trace_exception(dev, prog, act);
		break;
	}
	return act;
}

enum net_rx_result xdp_verdict_result(struct netif *dev, struct xdp_buff *xdp, unsigned int act)
{
	switch (act) {
	case XDP_DROP: return NET_RX_DROP_XDP_DROP;
	case XDP_ABORTED: return NET_RX_DROP_XDP_ABORTED;
	case XDP_REDIRECT: return xdp_do_redirect(dev, xdp);
	default: return NET_RX_DROP_XDP_INVALID;
	}
}

/*
 * One atomic exchange publishes the new program: a frame runs either the
 * old one or the new one, never a mix. Then a grace period: the receive
 * path runs in the NIC's interrupt handler, interrupts off, so once every
 * CPU has been seen with interrupts on none still runs the old program;
 * in_rx covers a receive path entered from this CPU's own caller.
 */
int xdp_attach(struct netif *dev, struct xdp_prog *prog)
{
	struct xdp_prog *old;
	uint64_t spins = 0;

	if (prog)
		prog->loaded_ns = uptime_ns();
	old = __atomic_exchange_n(&dev->xdp_prog, prog, __ATOMIC_ACQ_REL);
	if (prog)
		dev->xdp_stats.attaches++;
	else if (old)
		dev->xdp_stats.detaches++;
	synchronize_cpus();
	while (__atomic_load_n(&dev->in_rx, __ATOMIC_ACQUIRE) && ++spins < 100000000)
		cpu_relax();
	if (old)
		xdp_prog_free(old);
	return 0;
}

/* ---- helpers, with Linux's bounds ---- */

int bpf_xdp_adjust_head(struct xdp_buff *xdp, int offset)
{
	uint8_t *meta = xdp->data_meta, *data = (uint8_t *)xdp->data + offset;
	bool has_meta = meta <= (uint8_t *)xdp->data;
	size_t metalen = has_meta ? (uint8_t *)xdp->data - meta : 0;

	if (data < (uint8_t *)xdp->data_hard_start + metalen ||
	    data > (uint8_t *)xdp->data_end - ETH_HLEN_MIN)
		return -EINVAL;
	if (metalen)
		memmove(meta + offset, meta, metalen);
	xdp->data_meta = meta + offset;
	xdp->data = data;
	return 0;
}

int bpf_xdp_adjust_tail(struct xdp_buff *xdp, int offset)
{
	uint8_t *end = (uint8_t *)xdp->data_end + offset;
	uint8_t *hard_end = (uint8_t *)xdp->data_hard_start + xdp->frame_sz;

	if (end > hard_end || end < (uint8_t *)xdp->data + ETH_HLEN_MIN)
		return -EINVAL;
	if (offset > 0)		/* never expose stale buffer contents */
		memset(xdp->data_end, 0, offset);
	xdp->data_end = end;
	return 0;
}

int bpf_xdp_adjust_meta(struct xdp_buff *xdp, int offset)
{
	uint8_t *meta = (uint8_t *)xdp->data_meta + offset;

	if ((uint8_t *)xdp->data_meta > (uint8_t *)xdp->data)
		return -EOPNOTSUPP;	/* the driver said no metadata */
	if (meta < (uint8_t *)xdp->data_hard_start || meta > (uint8_t *)xdp->data ||
	    (uint8_t *)xdp->data - meta > META_MAX || ((uint8_t *)xdp->data - meta) % 4)
		return -EINVAL;
	xdp->data_meta = meta;
	return 0;
}
