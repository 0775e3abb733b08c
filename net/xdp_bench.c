/*
 * `xdp bench`: what received frames cost, for `make bench`, in guest TSC
 * ticks (under QEMU -icount shift=0 a tick is one guest instruction, so
 * the figures repeat exactly).
 *
 * `xdp bench start` (or `start frame`) times each frame from the driver
 * reading its descriptor to the frame's result, by result. make bench
 * compares a native `drop` program (result xdp_drop) with the same frame
 * dropped inside the stack (UDP to a port nobody listens on, udp_no_port).
 * A udp_no_port frame normally answers with an ICMP port unreachable, but
 * those are rate limited (1000/s, bursts of 50): under a flood almost every
 * such frame is dropped without one, doing much less work, so those frames
 * are a class of their own, "udp_no_port/ratelimited".
 *
 * `xdp bench start flood` times whole receive interrupts instead (and not
 * each frame, so the per-frame timing's own cost stays out): frames taken
 * off the ring per tick of interrupt handler is the packet rate one CPU
 * sustains while doing nothing else. Under -icount sleep=off the guest's
 * idle time is warped (the clock jumps to the next timer), so packets per
 * second of plain uptime would say more about the host's sender than about
 * the guest; busy time is what counts. The first-to-last frame window is
 * shown too, for what it is.
 *
 * The driver's hooks (include/xdp_bench.h) cost one flag test per frame
 * and per interrupt while nothing is measured. Everything here runs in the
 * receive interrupt with interrupts off, on one CPU.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "console.h"
#include "net.h"
#include "xdp_bench.h"

#define SAMPLES		16384	/* per-frame costs kept for medians: the first ones */
#define NUM_CLASSES	(NET_RX_NUM * 2)	/* result x "ICMP error rate limited" */

struct xb_class {
	uint64_t frames, ticks, min, max;
};

struct xb_sample {
	uint32_t ticks;
	uint16_t cls;
};

uint8_t xdp_bench_mode;

static struct xb_class classes[NUM_CLASSES];
static struct xb_sample samples[SAMPLES];
static unsigned int nsamples;
static uint64_t frames, first_tsc, last_tsc, started_ns;
static uint64_t limited_before;	/* tx_icmp_ratelimited when the frame began */
static uint64_t irqs, irq_frames, irq_ticks;
static struct netif_stats stats_at_start;	/* results counted meanwhile, by difference */

uint64_t xdp_bench_begin_slow(struct netif *dev)
{
	limited_before = READ_ONCE(dev->stats.tx_drop[NET_TX_RATELIMIT]);
	return rdtsc();
}

void xdp_bench_end_slow(struct netif *dev, uint64_t t0, enum net_rx_result res)
{
	uint64_t t1 = rdtsc(), d = t1 - t0;
	bool limited = READ_ONCE(dev->stats.tx_drop[NET_TX_RATELIMIT]) != limited_before;
	unsigned int cls = res * 2 + limited;
	struct xb_class *c;

	if (!(xdp_bench_mode & XDP_BENCH_FRAME) || res >= NET_RX_NUM)
		return;		/* stopped while this frame ran */
	c = &classes[cls];
	if (!c->frames || d < c->min)
		c->min = d;
	if (d > c->max)
		c->max = d;
	c->frames++;
	c->ticks += d;
	if (!frames)
		first_tsc = t0;
	last_tsc = t1;
	frames++;
	if (nsamples < SAMPLES)
		samples[nsamples++] = (struct xb_sample){ d > UINT32_MAX ? UINT32_MAX : d, cls };
}

void xdp_bench_irq_end_slow(uint64_t t0, int n)
{
	uint64_t t1 = rdtsc();

	if (!(xdp_bench_mode & XDP_BENCH_IRQ) || n <= 0)
		return;		/* stopped meanwhile, or nothing received (TX done, link) */
	irqs++;
	irq_frames += n;
	irq_ticks += t1 - t0;
	if (!frames)
		first_tsc = t0;
	last_tsc = t1;
	frames += n;
}

static void xb_reset(struct netif *dev)
{
	memset(classes, 0, sizeof(classes));
	nsamples = 0;
	frames = first_tsc = last_tsc = 0;
	irqs = irq_frames = irq_ticks = 0;
	stats_at_start = dev->stats;
	started_ns = uptime_ns();
}

static void sift(uint32_t *v, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		uint32_t t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[i] >= v[c])
			return;
		t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

static void heapsort_u32(uint32_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift(v, 0, end);
	}
}

static uint64_t tsc_to_ns(uint64_t t)
{
	uint64_t khz = tsc_khz() ? tsc_khz() : 1;

	return t / khz * 1000000 + t % khz * 1000000 / khz;
}

static int xb_show(struct netif *dev)
{
	static struct xb_class cs[NUM_CLASSES];
	static struct netif_stats now, then;
	struct xb_sample *ss = kmalloc(sizeof(samples));
	uint32_t *v = kmalloc(sizeof(uint32_t) * SAMPLES);
	uint64_t n, ns, t0, t1, window_ns, flags, ni, nf, nt, mode;

	if (!ss || !v) {
		kfree(ss);
		kfree(v);
		return cmd_error("out of memory");
	}
	flags = local_irq_save();	/* a consistent copy: frames arrive in interrupts */
	mode = xdp_bench_mode;
	memcpy(cs, classes, sizeof(cs));
	memcpy(ss, samples, sizeof(samples));
	ns = nsamples;
	n = frames;
	t0 = first_tsc;
	t1 = last_tsc;
	ni = irqs;
	nf = irq_frames;
	nt = irq_ticks;
	now = dev->stats;
	then = stats_at_start;
	local_irq_restore(flags);

	window_ns = n ? tsc_to_ns(t1 - t0) : 0;
	cprintf("xdp bench: %s, frames=%lu window_ns=%lu window_pps=%lu tsc_khz=%lu\n",
		mode & XDP_BENCH_IRQ ? "running (flood)" : mode ? "running (frame)" : "stopped",
		n, window_ns, window_ns ? n * (uint64_t)1000000000 / window_ns : 0, tsc_khz());
	cprintf("  results:");
	for (int r = 0; r < NET_RX_NUM; r++)
		if (now.rx_result[r] != then.rx_result[r])
			cprintf(" %s=%lu", net_rx_result_name[r], now.rx_result[r] - then.rx_result[r]);
	cprintf(" tx_icmp_ratelimited=%lu\n",
		now.tx_drop[NET_TX_RATELIMIT] - then.tx_drop[NET_TX_RATELIMIT]);
	if (ni)		/* busy time: the handler's ticks, so the rate per busy second */
		cprintf("  irq: interrupts=%lu frames=%lu ticks=%lu ticks_per_frame=%lu "
			"busy_pps=%lu\n", ni, nf, nt, nt / nf,
			nt ? nf * tsc_khz() * 1000 / nt : 0);
	for (unsigned int c = 0; c < NUM_CLASSES; c++) {
		size_t k = 0;

		if (!cs[c].frames)
			continue;
		for (size_t i = 0; i < ns; i++)
			if (ss[i].cls == c)
				v[k++] = ss[i].ticks;
		heapsort_u32(v, k);
		cprintf("  %s%s: frames=%lu median=%lu min=%lu max=%lu mean=%lu ticks=%lu\n",
			net_rx_result_name[c / 2], c % 2 ? "/ratelimited" : "", cs[c].frames,
			k ? (uint64_t)v[k / 2] : 0, cs[c].min, cs[c].max, cs[c].ticks / cs[c].frames,
			cs[c].ticks);
	}
	kfree(ss);
	kfree(v);
	return 0;
}

int xdp_bench_cmd(int argc, char **argv)
{
	struct netif *dev = netif_default();
	const char *what = argc ? argv[0] : "show";
	uint8_t mode = XDP_BENCH_FRAME;
	uint64_t flags;

	if (strcmp(what, "start") ? argc > 1 : argc > 2)
		return cmd_error("usage: xdp bench [start [frame|flood]|stop|show]");
	if (!strcmp(what, "start") && argc == 2) {
		if (!strcmp(argv[1], "flood"))
			mode = XDP_BENCH_IRQ;
		else if (strcmp(argv[1], "frame"))
			return cmd_error("usage: xdp bench start [frame|flood]");
	} else if (strcmp(what, "start") && strcmp(what, "stop") && strcmp(what, "show")) {
		return cmd_error("usage: xdp bench [start [frame|flood]|stop|show]");
	}
	if (!dev)
		return cmd_error("no network interface");
	if (!strcmp(what, "start")) {
		flags = local_irq_save();
		xb_reset(dev);
		__atomic_store_n(&xdp_bench_mode, mode, __ATOMIC_RELEASE);
		local_irq_restore(flags);
		cprintf("xdp bench: started: %s\n", mode == XDP_BENCH_IRQ ?
			"timing each receive interrupt" : "timing each frame");
		return 0;
	}
	if (!strcmp(what, "stop")) {
		__atomic_store_n(&xdp_bench_mode, 0, __ATOMIC_RELEASE);
		cprintf("xdp bench: stopped after %lu frames, %lu ms\n", frames,
			(uptime_ns() - started_ns) / 1000000);
		return 0;
	}
	return xb_show(dev);
}
