/*
 * Network console commands: ifconfig (show and set the address), net (every
 * counter), arp (the neighbour cache), ping, and xdp (list, attach, detach,
 * status). Each validates all of its input before changing anything and
 * answers bad input with a single "error:" line.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "net.h"
#include "xdp_bench.h"

#define PING_PAYLOAD	56		/* + 8 ICMP + 20 IP = 84, like ping */
#define PING_MAX_COUNT	1000
#define PING_INTERVAL	1000000000ULL	/* ns */
#define PING_LINGER	2000000000ULL	/* wait this long for the last replies */

static struct netif *need_netif(void)
{
	struct netif *dev = netif_default();

	if (!dev)
		cmd_error("no network interface");
	return dev;
}

/* IFACE as typed, or the first interface when name is NULL. */
static struct netif *need_named_netif(const char *name)
{
	struct netif *dev;

	if (!name)
		return need_netif();
	dev = netif_by_name(name);
	if (!dev)
		cmd_error("no interface '%s'", name);
	return dev;
}

static int prefix_len(uint32_t mask)
{
	int n = 0;

	for (uint32_t m = ntohl(mask); m & 0x80000000U; m <<= 1)
		n++;
	return n;
}

static uint32_t prefix_mask(int prefix)
{
	return prefix ? htonl(0xffffffffU << (32 - prefix)) : 0;
}

static const char *mac_fmt(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* ---- ifconfig ---- */

/* Which CPU takes the NIC's interrupt (`irq route NAME CPU` moves it). */
static void show_irq(const struct netif *dev)
{
	struct irq_info in;

	for (unsigned int g = 0; dev->irq && g < IRQ_MAX_GSI; g++) {
		for (unsigned int i = 0; i < IRQ_MAX_SHARED; i++) {
			if (!irq_get_info(g, i, &in) && in.name && !strcmp(in.name, dev->name)) {
				cprintf("        irq %u  cpu %u\n", in.irq, in.cpu);
				return;
			}
		}
	}
}

static void show_netif(struct netif *dev)
{
	struct netif_stats st;
	struct xdp_dev_stats xs;
	struct xdp_prog *prog = READ_ONCE(dev->xdp_prog);
	char a[16], b[16], c[16], m[18];
	uint64_t delivered = 0, dropped = 0, txdrop = 0;

	netif_snapshot(dev, &st, &xs);
	for (int i = 0; i < NET_RX_NUM; i++)
		*(i < NET_RX_FIRST_DROP ? &delivered : &dropped) += st.rx_result[i];
	for (int i = 0; i < NET_TX_NUM; i++)
		txdrop += st.tx_drop[i];
	cprintf("%s: flags=<UP,BROADCAST%s> mtu %u  (%s)\n", dev->name,
		dev->link_up ? ",RUNNING" : "", dev->mtu,
		dev->ops->describe ? dev->ops->describe(dev) : "?");
	cprintf("        inet %s/%d  netmask %s  broadcast %s\n", inet_fmt(dev->ip, a),
		prefix_len(dev->netmask), inet_fmt(dev->netmask, b),
		inet_fmt(dev->ip | ~dev->netmask, c));
	cprintf("        gateway %s\n", dev->gateway ? inet_fmt(dev->gateway, a) : "none");
	show_irq(dev);
	if (dev->link_up)
		cprintf("        ether %s  link up %u Mb/s %s duplex\n", mac_fmt(dev->mac, m),
			dev->speed_mbps, dev->full_duplex ? "full" : "half");
	else
		cprintf("        ether %s  link down\n", mac_fmt(dev->mac, m));
	cprintf("        RX packets %lu  bytes %lu  delivered %lu  dropped %lu\n",
		st.rx_packets, st.rx_bytes, delivered, dropped);
	cprintf("        TX packets %lu  bytes %lu  queued %lu  dropped %lu\n",
		st.tx_packets, st.tx_bytes, st.tx_queued, txdrop);
	if (prog)
		cprintf("        xdp %s (id %u)\n", prog->tag, prog->id);
	else
		cprintf("        xdp none\n");
	cprintf("        XDP redirected %lu  errors %lu  xmit %lu  errors %lu\n",
		xs.redirected, xs.redirect_err, xs.xdp_xmit, xs.xdp_xmit_err);
}

static int parse_cidr(const char *s, uint32_t *addr, int *prefix)
{
	char buf[24];
	const char *slash = strchr(s, '/');
	uint64_t p;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (inet_parse(buf, addr) || kstrtou64(slash + 1, &p) || p < 1 || p > 32)
		return -EINVAL;
	*prefix = p;
	return 0;
}

static bool unicast_ok(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h && h != 0xffffffff && (h >> 28) != 0xe && (h >> 24) != 127;
}

/*
 * ifconfig                         show
 * ifconfig ADDR/PREFIX [gw GW|none]  set the address (and the gateway)
 * ifconfig gw GW|none              set the gateway only
 */
static int cmd_ifconfig(int argc, char **argv)
{
	struct netif *dev;
	uint32_t ip, mask, gw;
	bool set_gw = false;
	int prefix, i = 1;
	uint64_t flags;
	char a[16];

	if (argc == 1) {
		if (!netif_first())
			cprintf("no network interfaces\n");
		for (dev = netif_first(); dev; dev = dev->next)
			show_netif(dev);
		return 0;
	}
	dev = need_netif();
	if (!dev)
		return -1;
	ip = dev->ip;
	mask = dev->netmask;
	gw = dev->gateway;
	if (strcmp(argv[i], "gw")) {
		if (parse_cidr(argv[i], &ip, &prefix))
			return cmd_error("bad address '%s' (want A.B.C.D/PREFIX, prefix 1-32)", argv[i]);
		mask = prefix_mask(prefix);
		if (!unicast_ok(ip))
			return cmd_error("%s is not a usable unicast address", argv[i]);
		if (prefix <= 30 && ((ip & ~mask) == 0 || (ip | mask) == 0xffffffff))
			return cmd_error("%s is the network or broadcast address of its subnet", argv[i]);
		i++;
	}
	if (i < argc) {
		if (strcmp(argv[i], "gw") || i + 2 != argc)
			return cmd_error("usage: ifconfig [ADDR/PREFIX] [gw GATEWAY|none]");
		set_gw = true;
		if (!strcmp(argv[i + 1], "none")) {
			gw = 0;
		} else if (inet_parse(argv[i + 1], &gw) || !unicast_ok(gw)) {
			return cmd_error("bad gateway '%s'", argv[i + 1]);
		} else if ((gw ^ ip) & mask) {
			return cmd_error("gateway %s is not on the subnet %s/%d", argv[i + 1],
					 inet_fmt(ip & mask, a), prefix_len(mask));
		} else if (gw == ip) {
			return cmd_error("gateway %s is this host's own address", argv[i + 1]);
		}
	}
	/* a gateway the new subnet cannot reach goes, as its route would in Linux */
	if (!set_gw && gw && ((gw ^ ip) & mask || gw == ip)) {
		cprintf("gateway %s is off-link now; removed\n", inet_fmt(gw, a));
		gw = 0;
	}
	flags = local_irq_save();
	dev->ip = ip;
	dev->netmask = mask;
	dev->gateway = gw;
	local_irq_restore(flags);
	show_netif(dev);
	return 0;
}
CONSOLE_CMD(ifconfig, cmd_ifconfig, "ifconfig [ADDR/PREFIX] [gw GATEWAY|none]",
	    "show interfaces, or set the IPv4 address and default gateway");

/* ---- net: every counter ---- */

struct line {
	char buf[160];
	int len;
	const char *prefix;
};

static void line_flush(struct line *l)
{
	if (l->len)
		cprintf("%s\n", l->buf);
	l->len = 0;
}

static void line_add(void *arg, const char *name, uint64_t v)
{
	struct line *l = arg;

	if (l->len > 80)
		line_flush(l);
	if (!l->len)
		l->len = snprintf(l->buf, sizeof(l->buf), "  %s:", l->prefix);
	l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, " %s=%lu", name, v);
}

static void show_counters(struct netif *dev)
{
	struct netif_stats st;
	struct line l = { .len = 0 };
	uint64_t delivered = 0, dropped = 0, txdrop = 0;

	netif_snapshot(dev, &st, NULL);
	for (int i = 0; i < NET_RX_NUM; i++)
		*(i < NET_RX_FIRST_DROP ? &delivered : &dropped) += st.rx_result[i];
	for (int i = 0; i < NET_TX_NUM; i++)
		txdrop += st.tx_drop[i];
	cprintf("%s: rx_packets=%lu rx_bytes=%lu rx_delivered=%lu rx_dropped=%lu\n",
		dev->name, st.rx_packets, st.rx_bytes, delivered, dropped);
	for (int i = 0; i < NET_RX_NUM; i++) {
		if (i && strcmp(net_rx_result_stage[i], net_rx_result_stage[i - 1]))
			line_flush(&l);
		l.prefix = net_rx_result_stage[i];
		line_add(&l, net_rx_result_name[i], st.rx_result[i]);
	}
	line_flush(&l);
	cprintf("  tx: tx_queued=%lu tx_packets=%lu tx_bytes=%lu tx_dropped=%lu\n",
		st.tx_queued, st.tx_packets, st.tx_bytes, txdrop);
	l.prefix = "tx drop";
	for (int i = 0; i < NET_TX_NUM; i++)
		line_add(&l, net_tx_drop_name[i], st.tx_drop[i]);
	line_flush(&l);
	if (dev->ops->hw_stats) {
		l.prefix = "device";
		dev->ops->hw_stats(dev, line_add, &l);
		line_flush(&l);
	}
}

static int cmd_net(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_error("net takes no arguments");
	if (!netif_first())
		cprintf("no network interfaces\n");
	for (struct netif *dev = netif_first(); dev; dev = dev->next)
		show_counters(dev);
	return 0;
}
CONSOLE_CMD(net, cmd_net, "net",
	    "every network counter: rx results by stage and reason, tx, device statistics");

/* ---- arp ---- */

static int cmd_arp(int argc, char **argv)
{
	static const char *const states[] = {
		[ARP_FREE] = "FREE", [ARP_INCOMPLETE] = "INCOMPLETE",
		[ARP_REACHABLE] = "REACHABLE", [ARP_FAILED] = "FAILED",
	};
	static struct arp_entry_info e[64];
	unsigned int n;
	char a[16], m[18];

	if (argc == 2 && !strcmp(argv[1], "flush")) {
		arp_flush(NULL);
		cprintf("arp cache flushed\n");
		return 0;
	}
	if (argc > 1)
		return cmd_error("usage: arp [flush]");
	n = arp_cache_list(e, ARRAY_SIZE(e));
	if (!n)
		cprintf("no ARP entries\n");
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].state == ARP_REACHABLE)
			cprintf("%s dev %s lladdr %s REACHABLE age %lu ms\n", inet_fmt(e[i].ip, a),
				e[i].dev, mac_fmt(e[i].mac, m), e[i].age_ms);
		else
			cprintf("%s dev %s %s age %lu ms queued %u\n", inet_fmt(e[i].ip, a), e[i].dev,
				states[e[i].state], e[i].age_ms, e[i].queued);
	}
	return 0;
}
CONSOLE_CMD(arp, cmd_arp, "arp [flush]", "show (or flush) the ARP neighbour cache");

/* ---- ping ---- */

struct ping_reply {
	uint16_t seq;
	uint8_t ttl;
	uint16_t len;
	uint64_t rtt_ns;
	uint32_t src;
};

static struct {
	uint16_t id;
	uint16_t sent;
	uint64_t sent_ns[PING_MAX_COUNT + 1];
	struct ping_reply ring[64];
	unsigned int head, tail;	/* head: written by the interrupt */
	uint64_t lost_to_ring;
} ping;

/* Runs in the receive interrupt: timestamp and queue; printing is for later. */
static void ping_echo_reply(uint32_t src, uint16_t id, uint16_t seq, uint8_t ttl, size_t len)
{
	uint64_t now = uptime_ns();
	unsigned int head = ping.head;

	if (id != ping.id || !seq || seq > ping.sent)
		return;
	if (head - READ_ONCE(ping.tail) >= ARRAY_SIZE(ping.ring)) {
		ping.lost_to_ring++;
		return;
	}
	ping.ring[head % ARRAY_SIZE(ping.ring)] = (struct ping_reply){
		.seq = seq, .ttl = ttl, .len = len, .rtt_ns = now - ping.sent_ns[seq], .src = src,
	};
	WRITE_ONCE(ping.head, head + 1);
}

static uint64_t isqrt(uint64_t v)
{
	uint64_t r = 0, bit = 1ULL << 62;

	while (bit > v)
		bit >>= 2;
	for (; bit; bit >>= 2) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

struct ping_totals {
	unsigned int received, dups;
	uint64_t min_us, max_us, sum_us, sum2_us;
	uint8_t seen[PING_MAX_COUNT + 1];
};

static void ping_drain(struct ping_totals *t)
{
	char a[16];

	while (READ_ONCE(ping.tail) != READ_ONCE(ping.head)) {
		struct ping_reply r = ping.ring[ping.tail % ARRAY_SIZE(ping.ring)];
		uint64_t us = r.rtt_ns / 1000;
		bool dup = t->seen[r.seq];

		WRITE_ONCE(ping.tail, ping.tail + 1);
		cprintf("%u bytes from %s: icmp_seq=%u ttl=%u time=%lu.%03lu ms%s\n", r.len,
			inet_fmt(r.src, a), r.seq, r.ttl, us / 1000, us % 1000, dup ? " (DUP!)" : "");
		if (dup) {
			t->dups++;
			continue;
		}
		t->seen[r.seq] = 1;
		t->received++;
		t->min_us = t->received == 1 ? us : min(t->min_us, us);
		t->max_us = max(t->max_us, us);
		t->sum_us += us;
		t->sum2_us += us * us;
	}
}

/* Wait until the deadline (or, if all_in, until every reply is in). */
static bool ping_wait(struct ping_totals *t, uint64_t deadline, bool all_in)
{
	while (uptime_ns() < deadline) {
		ping_drain(t);
		if (console_interrupted())
			return false;
		if (all_in && t->received >= ping.sent)
			return true;
		asm volatile("sti; hlt" : : : "memory");	/* the 100 Hz tick wakes us */
	}
	ping_drain(t);
	return true;
}

static int cmd_ping(int argc, char **argv)
{
	static struct ping_totals t;
	struct netif *dev;
	uint32_t dst;
	uint64_t count = 4, start, avg, mdev;
	char a[16];
	bool go = true;

	if (argc < 2 || argc > 3)
		return cmd_error("usage: ping IP [COUNT]");
	if (inet_parse(argv[1], &dst))
		return cmd_error("bad IPv4 address '%s'", argv[1]);
	if (argc == 3 && (kstrtou64(argv[2], &count) || count < 1 || count > PING_MAX_COUNT))
		return cmd_error("bad count '%s' (1-%d)", argv[2], PING_MAX_COUNT);
	dev = need_netif();
	if (!dev)
		return -1;
	if (!unicast_ok(dst) || netif_addr_is_broadcast(dev, dst))
		return cmd_error("%s is not a unicast address", argv[1]);
	if (dst == dev->ip)
		return cmd_error("%s is this host (there is no loopback device)", argv[1]);

	memset(&t, 0, sizeof(t));
	ping.sent = 0;
	ping.head = ping.tail = 0;
	ping.id = (uint16_t)(rdtsc() >> 4) | 1;
	icmp_set_echo_handler(ping_echo_reply);
	cprintf("PING %s (%s) %d(%d) bytes of data.\n", argv[1], inet_fmt(dst, a), PING_PAYLOAD,
		PING_PAYLOAD + 28);
	start = uptime_ns();
	for (uint64_t seq = 1; seq <= count && go; seq++) {
		ping.sent_ns[seq] = uptime_ns();
		WRITE_ONCE(ping.sent, seq);
		icmp_send_echo(dev, dst, ping.id, seq, PING_PAYLOAD);
		if (seq < count)
			go = ping_wait(&t, ping.sent_ns[seq] + PING_INTERVAL, false);
		else
			go = ping_wait(&t, ping.sent_ns[seq] + PING_LINGER, true);
	}
	icmp_set_echo_handler(NULL);
	ping_drain(&t);
	cprintf("\n--- %s ping statistics ---\n", inet_fmt(dst, a));
	cprintf("%u packets transmitted, %u received, ", ping.sent, t.received);
	if (t.dups)
		cprintf("+%u duplicates, ", t.dups);
	cprintf("%u%% packet loss, time %lums\n",
		(ping.sent - t.received) * 100 / ping.sent, (uptime_ns() - start) / 1000000);
	if (t.received) {
		avg = t.sum_us / t.received;
		mdev = isqrt(t.sum2_us / t.received - avg * avg);
		cprintf("rtt min/avg/max/mdev = %lu.%03lu/%lu.%03lu/%lu.%03lu/%lu.%03lu ms\n",
			t.min_us / 1000, t.min_us % 1000, avg / 1000, avg % 1000,
			t.max_us / 1000, t.max_us % 1000, mdev / 1000, mdev % 1000);
	}
	return 0;
}
CONSOLE_CMD(ping, cmd_ping, "ping IP [COUNT]",
	    "send COUNT (default 4, at most 1000) ICMP echo requests a second apart; Ctrl-C stops");

/* ---- xdp ---- */

static const char *const slot_names[XDP_STAT_NUM] = {
	[XDP_ABORTED] = "aborted", [XDP_DROP] = "drop", [XDP_PASS] = "pass",
	[XDP_TX] = "tx", [XDP_REDIRECT] = "redirect", [XDP_STAT_INVALID] = "invalid",
	[XDP_STAT_NO_PROG] = "no_prog",
};

static int xdp_status(struct netif *dev)
{
	struct xdp_dev_stats st;
	struct xdp_prog *prog;
	uint64_t now, tp = 0, tb = 0, tr = 0;

	/* only this shell ever frees a program, so prog stays valid meanwhile */
	netif_snapshot(dev, NULL, &st);
	now = jiffies();
	prog = dev->xdp_prog;
	if (prog) {
		uint64_t ago = (uptime_ns() - prog->loaded_ns) / 1000000;

		cprintf("%s: prog %s (id %u, attached %lu.%03lu s ago)\n", dev->name, prog->tag,
			prog->id, ago / 1000, ago % 1000);
	} else {
		cprintf("%s: no program attached\n", dev->name);
	}
	for (int i = 0; i < XDP_STAT_NUM; i++) {
		uint64_t r = xdp_rate(&st, i, now);

		cprintf("  %s: packets=%lu bytes=%lu pps=%lu\n", slot_names[i], st.packets[i],
			st.bytes[i], r);
		tp += st.packets[i];
		tb += st.bytes[i];
		tr += r;
	}
	cprintf("  total: packets=%lu bytes=%lu pps=%lu\n", tp, tb, tr);
	cprintf("  events: exceptions=%lu attaches=%lu detaches=%lu\n", st.exceptions,
		st.attaches, st.detaches);
	cprintf("  forward: redirected=%lu redirect_err=%lu xdp_xmit=%lu xdp_xmit_err=%lu\n",
		st.redirected, st.redirect_err, st.xdp_xmit, st.xdp_xmit_err);
	if (prog && prog->native && prog->native->show)
		prog->native->show(prog->priv);
	return 0;
}

/* Attach prog to dev, saying what it replaced. */
static int attach_and_say(struct netif *dev, struct xdp_prog *prog)
{
	struct xdp_prog *old = READ_ONCE(dev->xdp_prog);

	if (old)
		cprintf("%s: replacing %s (id %u)\n", dev->name, old->tag, old->id);
	xdp_attach(dev, prog);
	cprintf("%s: attached %s (id %u)\n", dev->name, prog->tag, prog->id);
	return 0;
}

/* xdp attach bpf:PROG [IFACE] */
static int xdp_attach_bpf(int argc, char **argv)
{
	struct netif *dev = NULL;
	struct xdp_prog *prog;
	char err[96];

	if (argc > 4)
		return cmd_error("usage: xdp attach bpf:PROG [IFACE]");
	dev = argc == 4 ? need_named_netif(argv[3]) : need_netif();
	if (!dev)
		return -1;
	prog = xdp_bpf_load(argv[2] + 4, err, sizeof(err));
	if (!prog)
		return cmd_error("%s", err);
	return attach_and_say(dev, prog);
}

static int cmd_xdp(int argc, char **argv)
{
	const struct xdp_native *n;
	struct xdp_prog *prog, *old;
	struct netif *dev;
	char err[96];

	if (argc < 2)
		return cmd_error("usage: xdp list | attach PROG [ARGS] | detach | status");
	if (!strcmp(argv[1], "list")) {
		if (argc != 2)
			return cmd_error("usage: xdp list");
		for (unsigned int i = 0; i < xdp_native_count(); i++) {
			char usage[48];

			n = xdp_native_get(i);
			snprintf(usage, sizeof(usage), "%s%s%s", n->name, n->args[0] ? " " : "",
				 n->args);
			cprintf("  %-28s %s\n", usage, n->help);
		}
		return 0;
	}
	if (!strcmp(argv[1], "attach")) {
		if (argc < 3)
			return cmd_error("usage: xdp attach PROG [ARGS] | bpf:PROG [IFACE] (see 'xdp list')");
		if (!strncmp(argv[2], "bpf:", 4))
			return xdp_attach_bpf(argc, argv);
		n = xdp_native_find(argv[2]);
		if (!n)
			return cmd_error("no XDP program '%s' (see 'xdp list')", argv[2]);
		dev = need_netif();
		if (!dev)
			return -1;
		prog = xdp_native_load(n, argc - 3, argv + 3, err, sizeof(err));
		if (!prog)
			return cmd_error("%s", err);
		return attach_and_say(dev, prog);
	}
	if (!strcmp(argv[1], "detach")) {
		if (argc > 3)
			return cmd_error("usage: xdp detach [IFACE]");
		dev = need_named_netif(argc == 3 ? argv[2] : NULL);
		if (!dev)
			return -1;
		old = READ_ONCE(dev->xdp_prog);
		if (!old) {
			cprintf("%s: no program attached\n", dev->name);
			return 0;
		}
		cprintf("%s: detached %s (id %u)\n", dev->name, old->tag, old->id);
		xdp_attach(dev, NULL);
		return 0;
	}
	if (!strcmp(argv[1], "status")) {
		if (argc > 3)
			return cmd_error("usage: xdp status [IFACE]");
		if (argc == 3) {
			dev = need_named_netif(argv[2]);
			return dev ? xdp_status(dev) : -1;
		}
		if (!need_netif())
			return -1;
		for (dev = netif_first(); dev; dev = dev->next)
			xdp_status(dev);
		return 0;
	}
	if (!strcmp(argv[1], "bench"))	/* per-frame costs for make bench: net/xdp_bench.c */
		return xdp_bench_cmd(argc - 2, argv + 2);
	return cmd_error("unknown xdp subcommand '%s' (list, attach, detach, status, bench)",
			 argv[1]);
}
CONSOLE_CMD(xdp, cmd_xdp, "xdp list | attach PROG [ARGS] | attach bpf:PROG [IFACE] | detach [IFACE] | status [IFACE] | bench [start|stop]",
	    "XDP hook (native programs on the first interface): attach/detach, per-action and redirect counters");
