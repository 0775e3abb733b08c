/*
 * In-kernel tests of the network code without a NIC: checksums, address
 * parsing, the ARP cache, the protocols fed with hand-built frames, and the
 * XDP hook's verdict accounting and helpers on a synthetic buffer. A fake
 * interface (never registered) captures what the stack transmits.
 */
#include "ktest.h"
#include "arch.h"
#include "net.h"
#include "probes.h"
#include "kallsyms.h"

#define CAP_MAX 8

static uint8_t cap_buf[CAP_MAX][ETH_FRAME_LEN];
static size_t cap_len[CAP_MAX];
static unsigned int cap_n;

static int fake_xmit(struct netif *dev, const void *frame, size_t len)
{
	(void)dev;
	if (len > ETH_FRAME_LEN)
		return -EMSGSIZE;
	if (cap_n < CAP_MAX) {
		memcpy(cap_buf[cap_n], frame, len);
		cap_len[cap_n] = len;
	}
	cap_n++;
	return 0;
}

static const struct netif_ops fake_ops = { .xmit = fake_xmit };
static struct netif fake;
static const uint8_t peer_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0xbe, 0xef };

static uint32_t addr(const char *s)
{
	uint32_t a = 0;

	inet_parse(s, &a);
	return a;
}

static void fake_init(void)
{
	static const uint8_t mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x00, 0x01 };

	memset(&fake, 0, sizeof(fake));
	snprintf(fake.name, sizeof(fake.name), "kt0");
	memcpy(fake.mac, mac, ETH_ALEN);
	fake.mtu = ETH_DATA_LEN;
	fake.ip = addr("10.9.0.1");
	fake.netmask = addr("255.255.255.0");
	fake.gateway = addr("10.9.0.254");
	fake.ops = &fake_ops;
	cap_n = 0;
}

static void fake_done(void)
{
	xdp_attach(&fake, NULL);
	arp_flush(&fake);
}

/* ---- checksums and addresses ---- */

KTEST(net, checksum_vectors)
{
	/* RFC 1071 section 3's example: the sum is 0xddf2 */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* a captured IPv4 header whose checksum is 0xb861 */
	uint8_t iph[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t old, new_;

	KT_EXPECT_EQ(ntohs(csum_fold(csum_partial(rfc, sizeof(rfc), 0))), 0x220d);
	KT_EXPECT_EQ(ntohs(csum_fold(csum_partial("\x01", 1, 0))), 0xfeff);
	KT_EXPECT_EQ(ip_fast_csum(iph, 5), 0);
	iph[10] = iph[11] = 0;
	KT_EXPECT_EQ(ntohs(ip_fast_csum(iph, 5)), 0xb861);
	/* incremental update of the TTL/protocol word equals recomputing */
	memcpy(&old, iph + 8, 2);
	iph[8] = 0x3f;
	memcpy(&new_, iph + 8, 2);
	KT_EXPECT_EQ(csum_replace2(htons(0xb861), old, new_), ip_fast_csum(iph, 5));
}

KTEST(net, inet_parse_and_format)
{
	uint32_t a;
	char buf[16];

	KT_EXPECT(!inet_parse("10.0.2.15", &a) && a == htonl(0x0a00020f));
	KT_EXPECT(!strcmp(inet_fmt(a, buf), "10.0.2.15"));
	KT_EXPECT(!inet_parse("255.255.255.255", &a) && a == 0xffffffff);
	KT_EXPECT_EQ(inet_parse("1.2.3", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("1.2.3.4.5", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("256.1.1.1", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("1..2.3", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse(" 1.2.3.4", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("1.2.3.4x", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("0001.2.3.4", &a), -EINVAL);
	KT_EXPECT_EQ(inet_parse("", &a), -EINVAL);
}

/* ---- ARP ---- */

static const struct ethhdr *cap_eth(unsigned int i)
{
	return (const struct ethhdr *)cap_buf[i];
}

KTEST(net, arp_resolves_before_sending)
{
	const struct arphdr_eth *a;
	const struct iphdr *ip;
	uint8_t mac[ETH_ALEN];
	uint32_t peer = addr("10.9.0.2");

	fake_init();
	KT_ASSERT(!udp_send(&fake, peer, 1000, 2000, "hi", 2));
	KT_ASSERT(cap_n == 1);		/* the ARP request, the datagram waits */
	KT_EXPECT(!memcmp(cap_eth(0)->h_dest, "\xff\xff\xff\xff\xff\xff", ETH_ALEN));
	KT_EXPECT_EQ(ntohs(cap_eth(0)->h_proto), ETH_P_ARP);
	a = (const void *)(cap_buf[0] + ETH_HLEN);
	KT_EXPECT_EQ(ntohs(a->ar_op), ARPOP_REQUEST);
	KT_EXPECT(!memcmp(a->ar_tip, &peer, 4) && !memcmp(a->ar_sip, &fake.ip, 4));
	KT_EXPECT(!arp_cache_lookup(&fake, peer, mac));

	arp_cache_update(&fake, peer, peer_mac);	/* as a reply would */
	KT_ASSERT(cap_n == 2);
	KT_EXPECT(!memcmp(cap_eth(1)->h_dest, peer_mac, ETH_ALEN));
	KT_EXPECT_EQ(ntohs(cap_eth(1)->h_proto), ETH_P_IP);
	ip = (const void *)(cap_buf[1] + ETH_HLEN);
	KT_EXPECT(ip->protocol == IPPROTO_UDP && ip->daddr == peer && !ip_fast_csum(ip, ip->ihl));
	KT_EXPECT(arp_cache_lookup(&fake, peer, mac) && !memcmp(mac, peer_mac, ETH_ALEN));

	/* a full queue drops its oldest; a flush drops the rest, all counted */
	for (int i = 0; i < 6; i++)
		udp_send(&fake, addr("10.9.0.3"), 1000, 2000, "q", 1);
	KT_EXPECT_EQ(cap_n, 3);
	KT_EXPECT_EQ(fake.stats.tx_drop[NET_TX_ARP_QUEUE], 2);
	arp_flush(&fake);
	KT_EXPECT_EQ(fake.stats.tx_drop[NET_TX_ARP_FAILED], 4);
	KT_EXPECT(!arp_cache_lookup(&fake, peer, mac));
	fake_done();
}

/* ---- protocols, fed hand-built frames ---- */

static size_t build_ip(uint8_t *f, uint8_t proto, const void *payload, size_t n)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(f + ETH_HLEN);

	memcpy(eth->h_dest, fake.mac, ETH_ALEN);
	memcpy(eth->h_source, peer_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + n);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = addr("10.9.0.2");
	ip->daddr = fake.ip;
	ip->check = ip_fast_csum(ip, 5);
	memcpy(ip + 1, payload, n);
	return ETH_HLEN + sizeof(*ip) + n;
}

KTEST(net, icmp_echo_reply)
{
	uint8_t frame[128], msg[16] = { ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0x00, 0x05,
					'k', 'p', 'r', 'o', 'b', 'e', '6', '4' };
	const struct iphdr *ip;
	const struct icmphdr *h;
	uint16_t c = csum_fold(csum_partial(msg, sizeof(msg), 0));
	size_t len;

	fake_init();
	arp_cache_update(&fake, addr("10.9.0.2"), peer_mac);
	memcpy(msg + 2, &c, 2);
	len = build_ip(frame, IPPROTO_ICMP, msg, sizeof(msg));
	KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_OK_ICMP);
	KT_ASSERT(cap_n == 1);
	ip = (const void *)(cap_buf[0] + ETH_HLEN);
	h = (const void *)(ip + 1);
	KT_EXPECT(!memcmp(cap_eth(0)->h_dest, peer_mac, ETH_ALEN));
	KT_EXPECT(ip->saddr == fake.ip && ip->daddr == addr("10.9.0.2") && !ip_fast_csum(ip, 5));
	KT_EXPECT(h->type == ICMP_ECHOREPLY && ntohs(h->id) == 0x1234 && ntohs(h->sequence) == 5);
	KT_EXPECT_EQ(csum_fold(csum_partial(h, sizeof(msg), 0)), 0);
	KT_EXPECT(!memcmp(h + 1, "kprobe64", 8));

	/* each broken field ends in its own drop reason, and nothing is sent */
	frame[ETH_HLEN + 10] ^= 0xff;
	KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_DROP_IP_CSUM);
	frame[ETH_HLEN + 10] ^= 0xff;
	frame[len - 1] ^= 0xff;
	KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_DROP_ICMP_CSUM);
	KT_EXPECT_EQ(netif_receive(&fake, frame, 10), NET_RX_DROP_RUNT);
	KT_EXPECT_EQ(netif_receive(&fake, frame, ETH_HLEN + 12), NET_RX_DROP_IP_SHORT);
	KT_EXPECT_EQ(netif_receive(&fake, frame, len - 4), NET_RX_DROP_IP_LEN);
	KT_EXPECT_EQ(cap_n, 1);
	fake_done();
}

KTEST(net, udp_echo_discard_and_unreachable)
{
	uint8_t frame[128], dgram[8 + 5];
	struct udphdr *uh = (void *)dgram;
	const struct iphdr *ip;
	const struct udphdr *ruh;
	size_t len;
	uint16_t sum;

	fake_init();
	arp_cache_update(&fake, addr("10.9.0.2"), peer_mac);
	memcpy(dgram + 8, "hello", 5);
	for (int port = 7; port <= 11; port += 2) {	/* echo, discard, nobody */
		cap_n = 0;
		uh->source = htons(5000);
		uh->dest = htons(port);
		uh->len = htons(sizeof(dgram));
		uh->check = 0;
		sum = csum_fold(csum_partial(dgram, sizeof(dgram),
			csum_tcpudp_nofold(addr("10.9.0.2"), fake.ip, sizeof(dgram), IPPROTO_UDP, 0)));
		uh->check = sum ? sum : 0xffff;
		len = build_ip(frame, IPPROTO_UDP, dgram, sizeof(dgram));
		if (port == 7) {
			KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_OK_UDP);
			KT_ASSERT(cap_n == 1);
			ip = (const void *)(cap_buf[0] + ETH_HLEN);
			ruh = (const void *)(ip + 1);
			KT_EXPECT(ntohs(ruh->source) == 7 && ntohs(ruh->dest) == 5000);
			KT_EXPECT_EQ(csum_fold(csum_partial(ruh, ntohs(ruh->len),
				csum_tcpudp_nofold(ip->saddr, ip->daddr, ntohs(ruh->len),
						   IPPROTO_UDP, 0))), 0);
			KT_EXPECT(!memcmp(ruh + 1, "hello", 5));
		} else if (port == 9) {
			KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_OK_UDP);
			KT_EXPECT_EQ(cap_n, 0);
		} else {
			KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_DROP_UDP_NO_PORT);
			KT_ASSERT(cap_n == 1);
			ip = (const void *)(cap_buf[0] + ETH_HLEN);
			KT_EXPECT(ip->protocol == IPPROTO_ICMP);
			KT_EXPECT(((const struct icmphdr *)(ip + 1))->type == ICMP_DEST_UNREACH);
		}
	}
	uh->check ^= 0x0101;	/* the last one went to port 11: now a bad checksum */
	len = build_ip(frame, IPPROTO_UDP, dgram, sizeof(dgram));
	KT_EXPECT_EQ(netif_receive(&fake, frame, len), NET_RX_DROP_UDP_CSUM);
	fake_done();
}

/* ---- XDP ---- */

static uint8_t xdp_page[4096] __aligned(64);

static unsigned int run_frame(struct xdp_buff *xdp, size_t len)
{
	static struct xdp_rxq_info rxq;
	size_t l;

	rxq = (struct xdp_rxq_info){ .dev = &fake, .ifindex = 99, .queue_index = 0 };
	memset(xdp_page, 0, sizeof(xdp_page));
	l = build_ip(xdp_page + XDP_PACKET_HEADROOM, IPPROTO_UDP,
		     "\x13\x88\x00\x07\x00\x0c\x00\x00" "abcd", 12);
	KT_EXPECT_EQ(l, len);
	xdp_buff_wrap(xdp, &rxq, xdp_page, XDP_PACKET_HEADROOM + 2048, len, true);
	return xdp_run(&fake, xdp);
}

static struct xdp_prog *load(const char *name, const char *arg)
{
	char err[96], *argv[1] = { (char *)arg };

	return xdp_native_load(xdp_native_find(name), arg ? 1 : 0, argv, err, sizeof(err));
}

KTEST(net, xdp_verdicts_are_counted)
{
	const size_t len = ETH_HLEN + 20 + 12;
	const struct xdp_dev_stats *st = &fake.xdp_stats;
	struct xdp_buff xdp;
	const struct ethhdr *eth = (const void *)(xdp_page + XDP_PACKET_HEADROOM);
	char err[96], *bad[1] = { "70000" };

	fake_init();
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_PASS);
	KT_EXPECT(st->packets[XDP_STAT_NO_PROG] == 1 && st->bytes[XDP_STAT_NO_PROG] == len);

	xdp_attach(&fake, load("drop", NULL));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_DROP);
	xdp_attach(&fake, load("drop-udp", "7"));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_DROP);
	xdp_attach(&fake, load("drop-udp", "8"));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_PASS);
	xdp_attach(&fake, load("drop-src", "10.9.0.2"));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_DROP);
	xdp_attach(&fake, load("drop-proto", "icmp"));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_PASS);
	KT_EXPECT(st->packets[XDP_DROP] == 3 && st->bytes[XDP_DROP] == 3 * len);
	KT_EXPECT_EQ(st->packets[XDP_PASS], 2);

	xdp_attach(&fake, load("abort", NULL));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_ABORTED);
	xdp_attach(&fake, load("ret", "4"));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_REDIRECT);
	xdp_attach(&fake, load("ret", "9"));
	KT_EXPECT_EQ(run_frame(&xdp, len), 9);
	KT_EXPECT(st->packets[XDP_ABORTED] == 1 && st->packets[XDP_REDIRECT] == 1 &&
		  st->packets[XDP_STAT_INVALID] == 1 && st->exceptions == 2);
	KT_EXPECT_EQ(xdp_verdict_result(&fake, &xdp, XDP_ABORTED), NET_RX_DROP_XDP_ABORTED);
	KT_EXPECT_EQ(xdp_verdict_result(&fake, &xdp, XDP_DROP), NET_RX_DROP_XDP_DROP);
	KT_EXPECT_EQ(xdp_verdict_result(&fake, &xdp, 9), NET_RX_DROP_XDP_INVALID);
	/* REDIRECT without a target is an error, traced where it fails */
	KT_EXPECT_EQ(xdp_verdict_result(&fake, &xdp, XDP_REDIRECT), NET_RX_DROP_XDP_REDIRECT);
	KT_EXPECT(st->redirect_err == 1 && st->exceptions == 3);

	xdp_attach(&fake, load("tx-reflect", NULL));
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_TX);
	KT_EXPECT(!memcmp(eth->h_dest, peer_mac, ETH_ALEN) && !memcmp(eth->h_source, fake.mac, ETH_ALEN));
	KT_EXPECT(((const struct iphdr *)(eth + 1))->saddr == fake.ip);
	KT_EXPECT(!ip_fast_csum(eth + 1, 5));
	KT_EXPECT_EQ(st->packets[XDP_TX], 1);

	KT_EXPECT(xdp_native_load(xdp_native_find("drop-udp"), 1, bad, err, sizeof(err)) == NULL);
	KT_EXPECT(strstr(err, "bad port") != NULL);
	KT_EXPECT(xdp_native_load(xdp_native_find("drop"), 1, bad, err, sizeof(err)) == NULL);
	xdp_attach(&fake, NULL);
	KT_EXPECT(st->attaches == 9 && st->detaches == 1 && fake.xdp_prog == NULL);
	fake_done();
}

KTEST(net, xdp_helpers_respect_bounds)
{
	struct xdp_buff xdp;
	const size_t len = ETH_HLEN + 20 + 12;
	uint8_t *data;

	fake_init();
	run_frame(&xdp, len);
	data = xdp.data;
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, -XDP_PACKET_HEADROOM - 1), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, -XDP_PACKET_HEADROOM), 0);
	KT_EXPECT(xdp.data == xdp.data_hard_start && xdp.data_meta == xdp.data);
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, XDP_PACKET_HEADROOM), 0);
	KT_EXPECT(xdp.data == data);
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, len - ETH_HLEN + 1), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, len - ETH_HLEN), 0);
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, -(int)(len - ETH_HLEN)), 0);

	KT_EXPECT_EQ(bpf_xdp_adjust_tail(&xdp, -(int)(len - ETH_HLEN) - 1), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_tail(&xdp, -(int)(len - ETH_HLEN)), 0);
	KT_EXPECT_EQ((uint8_t *)xdp.data_end - (uint8_t *)xdp.data, ETH_HLEN);
	data[ETH_HLEN] = 0x55;		/* stale byte: growing must zero it */
	KT_EXPECT_EQ(bpf_xdp_adjust_tail(&xdp, 100), 0);
	KT_EXPECT_EQ(data[ETH_HLEN], 0);
	KT_EXPECT_EQ(bpf_xdp_adjust_tail(&xdp, 2048), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_tail(&xdp, (int)((uint8_t *)xdp.data_hard_start + xdp.frame_sz -
						    (uint8_t *)xdp.data_end)), 0);

	KT_EXPECT_EQ(bpf_xdp_adjust_meta(&xdp, -3), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_meta(&xdp, -36), -EINVAL);
	KT_EXPECT_EQ(bpf_xdp_adjust_meta(&xdp, -8), 0);
	((uint8_t *)xdp.data_meta)[0] = 0xa5;
	KT_EXPECT_EQ(bpf_xdp_adjust_head(&xdp, -16), 0);	/* metadata moves along */
	KT_EXPECT_EQ((uint8_t *)xdp.data - (uint8_t *)xdp.data_meta, 8);
	KT_EXPECT_EQ(((uint8_t *)xdp.data_meta)[0], 0xa5);
	xdp_buff_wrap(&xdp, xdp.rxq, xdp_page, xdp.frame_sz, len, false);
	KT_EXPECT_EQ(bpf_xdp_adjust_meta(&xdp, -4), -EOPNOTSUPP);
	fake_done();
}

/* ---- the receive path is ordinary, probeable code ---- */

static int count_hit(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return 0;
}

KTEST(net, rx_and_xdp_functions_take_probes)
{
	struct kprobe on_run = { .symbol_name = "xdp_run", .pre_handler = count_hit };
	struct kprobe on_rx = { .symbol_name = "netif_receive", .pre_handler = count_hit };
	struct kprobe on_frame = { .symbol_name = "e1000_rx_frame", .pre_handler = count_hit };
	struct kprobe on_poll = { .symbol_name = "e1000_rx_poll", .pre_handler = count_hit };
	struct kprobe *all[] = { &on_run, &on_rx, &on_frame, &on_poll };
	struct xdp_buff xdp;
	const size_t len = ETH_HLEN + 20 + 12;
	uint8_t before[ARRAY_SIZE(all)];

	fake_init();
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)	/* a user's probe may be there too */
		before[i] = *(volatile uint8_t *)kallsyms_lookup_name(all[i]->symbol_name);
	KT_ASSERT(!register_kprobes(all, ARRAY_SIZE(all)));
	/* the driver's own RX functions see no frame here: they must be armed */
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		KT_EXPECT_EQ(*(volatile uint8_t *)all[i]->addr, 0xcc);
	for (int i = 0; i < 3; i++) {
		unsigned long before = kprobe_nhit(&on_run);

		KT_EXPECT_EQ(run_frame(&xdp, len), XDP_PASS);
		KT_EXPECT_EQ(kprobe_nhit(&on_run), before + 1);
	}
	{
		unsigned long before = kprobe_nhit(&on_rx);

		netif_receive(&fake, xdp.data, len);
		KT_EXPECT_EQ(kprobe_nhit(&on_rx), before + 1);
	}
	unregister_kprobes(all, ARRAY_SIZE(all));
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		KT_EXPECT_EQ(*(volatile uint8_t *)all[i]->addr, before[i]);
	fake_done();
}

/*
 * bpf_redirect()'s record and the redirect itself: flags abort, an unknown
 * ifindex fails, and a record is used once. A frame to a real interface
 * (when the guest has one) goes out of its ring and is counted there.
 */
KTEST(net, xdp_redirect_targets)
{
	const size_t len = ETH_HLEN + 20 + 12;
	struct netif *eth0 = netif_by_index(1);
	uint64_t xmit0 = eth0 ? eth0->xdp_stats.xdp_xmit : 0;
	const struct xdp_dev_stats *st = &fake.xdp_stats;
	struct xdp_buff xdp;

	fake_init();
	KT_EXPECT_EQ(run_frame(&xdp, len), XDP_PASS);
	KT_EXPECT_EQ(xdp_redirect_set(1, 1), XDP_ABORTED);
	KT_EXPECT_EQ(xdp_redirect_set(4242, 0), XDP_REDIRECT);
	KT_EXPECT_EQ(xdp_do_redirect(&fake, &xdp), NET_RX_DROP_XDP_REDIRECT);
	KT_EXPECT_EQ(st->redirect_err, 1);
	if (eth0) {
		KT_EXPECT_EQ(xdp_redirect_set(1, 0), XDP_REDIRECT);
		KT_EXPECT_EQ(xdp_do_redirect(&fake, &xdp), NET_RX_OK_XDP_REDIRECT);
		KT_EXPECT(st->redirected == 1 && eth0->xdp_stats.xdp_xmit == xmit0 + 1);
	}
	/* the record was used: the same verdict again has no target */
	KT_EXPECT_EQ(xdp_do_redirect(&fake, &xdp), NET_RX_DROP_XDP_REDIRECT);
	KT_EXPECT_EQ(st->redirect_err, 2);
	fake_done();
}
