/*
 * Built-in XDP programs, written as native C against the same contract an
 * eBPF program has: entry bpf_func(ctx, insnsi) with ctx the xdp_buff, every
 * header access bounds-checked against data_end first (what the verifier
 * would demand), verdicts from enum xdp_action. insnsi carries the
 * program's private data: its arguments and counters.
 */
#include "kernel.h"
#include "console.h"
#include "mm.h"
#include "net.h"

static uint32_t next_prog_id;

/* ---- parsing, as an XDP program does it ---- */

/* The IPv4 header of an Ethernet frame, or NULL if it is not (whole) there. */
static const struct iphdr *parse_ipv4(const struct xdp_buff *xdp)
{
	const uint8_t *data = xdp->data, *end = xdp->data_end;
	const struct ethhdr *eth = (const void *)data;
	const struct iphdr *ip;

	if (data + sizeof(*eth) > end || eth->h_proto != htons(ETH_P_IP))
		return NULL;
	ip = (const void *)(eth + 1);
	if ((const uint8_t *)(ip + 1) > end || ip->ihl < 5 ||
	    (const uint8_t *)ip + ip->ihl * 4 > end)
		return NULL;
	return ip;
}

/* The transport header (first fragment only), or NULL if it is cut short. */
static const void *parse_l4(const struct xdp_buff *xdp, const struct iphdr *ip, size_t hlen)
{
	const uint8_t *l4 = (const uint8_t *)ip + ip->ihl * 4;

	if (ip->frag_off & htons(IP_OFFSET))
		return NULL;
	if (l4 + hlen > (const uint8_t *)xdp->data_end)
		return NULL;
	return l4;
}

/* ---- the programs ---- */

static unsigned int prog_drop(const void *ctx, const void *insnsi)
{
	(void)ctx;
	(void)insnsi;
	return XDP_DROP;
}

static unsigned int prog_pass(const void *ctx, const void *insnsi)
{
	(void)ctx;
	(void)insnsi;
	return XDP_PASS;
}

static unsigned int prog_abort(const void *ctx, const void *insnsi)
{
	(void)ctx;
	(void)insnsi;
	return XDP_ABORTED;
}

struct ret_priv {
	uint32_t code;
};

/* Return a fixed verdict, any value: exercises the hook's handling of each. */
static unsigned int prog_ret(const void *ctx, const void *insnsi)
{
	(void)ctx;
	return ((const struct ret_priv *)insnsi)->code;
}

static int setup_ret(void *priv, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (kstrtou64(argv[0], &v) || v > 0xffffffffULL) {
		snprintf(err, errlen, "bad verdict '%s' (0..4294967295)", argv[0]);
		return -EINVAL;
	}
	((struct ret_priv *)priv)->code = v;
	return 0;
}

struct port_priv {
	uint16_t port;		/* network order */
};

static unsigned int prog_drop_udp(const void *ctx, const void *insnsi)
{
	const struct xdp_buff *xdp = ctx;
	const struct port_priv *p = insnsi;
	const struct iphdr *ip = parse_ipv4(xdp);
	const struct udphdr *udp;

	if (!ip || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	udp = parse_l4(xdp, ip, sizeof(*udp));
	return udp && udp->dest == p->port ? XDP_DROP : XDP_PASS;
}

static int setup_drop_udp(void *priv, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;

	(void)argc;
	if (kstrtou64(argv[0], &v) || v < 1 || v > 65535) {
		snprintf(err, errlen, "bad port '%s' (1..65535)", argv[0]);
		return -EINVAL;
	}
	((struct port_priv *)priv)->port = htons(v);
	return 0;
}

struct proto_priv {
	uint16_t ethertype;	/* network order: drop every frame of this type */
	uint8_t ipproto;	/* or, if ethertype is IPv4, this IP protocol */
};

static unsigned int prog_drop_proto(const void *ctx, const void *insnsi)
{
	const struct xdp_buff *xdp = ctx;
	const struct proto_priv *p = insnsi;
	const struct ethhdr *eth = xdp->data;
	const struct iphdr *ip;

	if ((const uint8_t *)(eth + 1) > (const uint8_t *)xdp->data_end)
		return XDP_PASS;
	if (p->ethertype != htons(ETH_P_IP))
		return eth->h_proto == p->ethertype ? XDP_DROP : XDP_PASS;
	ip = parse_ipv4(xdp);
	return ip && ip->protocol == p->ipproto ? XDP_DROP : XDP_PASS;
}

static int setup_drop_proto(void *priv, int argc, char **argv, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint16_t ethertype;
		uint8_t ipproto;
	} protos[] = {
		{ "icmp", ETH_P_IP, IPPROTO_ICMP }, { "udp", ETH_P_IP, IPPROTO_UDP },
		{ "tcp", ETH_P_IP, IPPROTO_TCP }, { "arp", ETH_P_ARP, 0 },
	};
	struct proto_priv *p = priv;

	(void)argc;
	for (unsigned int i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!strcmp(argv[0], protos[i].name)) {
			p->ethertype = htons(protos[i].ethertype);
			p->ipproto = protos[i].ipproto;
			return 0;
		}
	}
	snprintf(err, errlen, "unknown protocol '%s' (icmp, udp, tcp or arp)", argv[0]);
	return -EINVAL;
}

struct addr_priv {
	uint32_t addr;		/* network order */
};

static unsigned int prog_drop_src(const void *ctx, const void *insnsi)
{
	const struct addr_priv *p = insnsi;
	const struct iphdr *ip = parse_ipv4(ctx);

	return ip && ip->saddr == p->addr ? XDP_DROP : XDP_PASS;
}

static int setup_drop_src(void *priv, int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	if (inet_parse(argv[0], &((struct addr_priv *)priv)->addr)) {
		snprintf(err, errlen, "bad IPv4 address '%s'", argv[0]);
		return -EINVAL;
	}
	return 0;
}

/* Like Linux's samples/bpf xdp1, but passing: packets per IP protocol. */
struct count_priv {
	uint64_t packets[256];
	uint64_t non_ip;
};

static unsigned int prog_count(const void *ctx, const void *insnsi)
{
	struct count_priv *p = (struct count_priv *)insnsi;
	const struct iphdr *ip = parse_ipv4(ctx);

	/* an atomic add, as the eBPF version's map update would be */
	if (ip)
		__atomic_fetch_add(&p->packets[ip->protocol], 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&p->non_ip, 1, __ATOMIC_RELAXED);
	return XDP_PASS;
}

static void show_count(const void *priv)
{
	const struct count_priv *p = priv;
	static const char *const names[256] = {
		[IPPROTO_ICMP] = "icmp", [IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
	};

	for (int i = 0; i < 256; i++)
		if (p->packets[i])
			cprintf("count: proto %d (%s) packets=%lu\n", i,
				names[i] ? names[i] : "other", p->packets[i]);
	cprintf("count: non-ip packets=%lu\n", p->non_ip);
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

/*
 * Like Linux's xdp2: send every frame back where it came from, with the
 * MACs swapped, and for ICMP and UDP also the IP addresses. No checksum
 * needs fixing: the IPv4 header checksum and the UDP pseudo-header sum
 * are sums, and swapping two addends leaves a sum unchanged.
 */
static unsigned int prog_tx_reflect(const void *ctx, const void *insnsi)
{
	const struct xdp_buff *xdp = ctx;
	struct ethhdr *eth = xdp->data;
	struct iphdr *ip;

	(void)insnsi;
	if ((uint8_t *)(eth + 1) > (uint8_t *)xdp->data_end)
		return XDP_DROP;
	swap_bytes(eth->h_dest, eth->h_source, ETH_ALEN);
	ip = (struct iphdr *)parse_ipv4(xdp);
	if (ip && (ip->protocol == IPPROTO_ICMP || ip->protocol == IPPROTO_UDP)) {
		uint32_t t = ip->saddr;

		ip->saddr = ip->daddr;
		ip->daddr = t;
	}
	return XDP_TX;
}

static const struct xdp_native natives[] = {
	{ "drop", "", "drop every frame", 0, 0, 0, NULL, prog_drop, NULL },
	{ "pass", "", "pass every frame to the stack", 0, 0, 0, NULL, prog_pass, NULL },
	{ "abort", "", "return XDP_ABORTED for every frame (traced, dropped)",
	  0, 0, 0, NULL, prog_abort, NULL },
	{ "drop-udp", "PORT", "drop UDP datagrams to PORT, pass the rest",
	  1, 1, sizeof(struct port_priv), setup_drop_udp, prog_drop_udp, NULL },
	{ "drop-proto", "icmp|udp|tcp|arp", "drop one protocol, pass the rest",
	  1, 1, sizeof(struct proto_priv), setup_drop_proto, prog_drop_proto, NULL },
	{ "drop-src", "IP", "drop IPv4 packets from IP, pass the rest",
	  1, 1, sizeof(struct addr_priv), setup_drop_src, prog_drop_src, NULL },
	{ "count", "", "count packets per IP protocol and pass them (like xdp1)",
	  0, 0, sizeof(struct count_priv), NULL, prog_count, show_count },
	{ "tx-reflect", "", "swap MACs (and IPs of ICMP/UDP), send back: XDP_TX (like xdp2)",
	  0, 0, 0, NULL, prog_tx_reflect, NULL },
	{ "ret", "VERDICT", "return VERDICT for every frame, even invalid ones (testing)",
	  1, 1, sizeof(struct ret_priv), setup_ret, prog_ret, NULL },
};

unsigned int xdp_native_count(void)
{
	return ARRAY_SIZE(natives);
}

const struct xdp_native *xdp_native_get(unsigned int i)
{
	return i < ARRAY_SIZE(natives) ? &natives[i] : NULL;
}

const struct xdp_native *xdp_native_find(const char *name)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(natives); i++)
		if (!strcmp(natives[i].name, name))
			return &natives[i];
	return NULL;
}

struct xdp_prog *xdp_native_load(const struct xdp_native *n, int argc, char **argv,
				 char *err, size_t errlen)
{
	struct xdp_prog *prog;
	size_t used;

	if (argc < n->min_args || argc > n->max_args) {
		snprintf(err, errlen, "usage: xdp attach %s%s%s", n->name,
			 n->args[0] ? " " : "", n->args);
		return NULL;
	}
	prog = kzalloc(sizeof(*prog) + n->priv_size);
	if (!prog) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (n->setup && n->setup(prog->priv, argc, argv, err, errlen)) {
		kfree(prog);
		return NULL;
	}
	prog->bpf_func = n->func;
	prog->insnsi = prog->priv;
	prog->native = n;
	prog->id = __atomic_add_fetch(&next_prog_id, 1, __ATOMIC_RELAXED);
	used = snprintf(prog->tag, sizeof(prog->tag), "%s", n->name);
	for (int i = 0; i < argc && used < sizeof(prog->tag); i++)
		used += snprintf(prog->tag + used, sizeof(prog->tag) - used, " %s", argv[i]);
	return prog;
}

void xdp_prog_free(struct xdp_prog *prog)
{
	if (!prog->native)
		xdp_bpf_release(prog);
	kfree(prog);
}
