/*
 * IPv4 (RFC 791): check every header field a receiver must check before
 * trusting the packet, deliver to ICMP or UDP, and send with a fresh
 * header through one route: on-link destinations directly, the rest via
 * the gateway. No fragmentation or reassembly: fragments are counted and
 * dropped, and nothing larger than the MTU is ever built.
 */
#include "kernel.h"
#include "arch.h"
#include "net.h"

#define IP_TTL		64

static uint16_t ip_id;

int inet_parse(const char *s, uint32_t *addr)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -EINVAL;
		b[i] = v;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	memcpy(addr, b, 4);
	return 0;
}

char *inet_fmt(uint32_t addr, char *buf)
{
	const uint8_t *b = (const uint8_t *)&addr;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

enum net_rx_result ip_rx(struct netif *dev, struct netbuf *nb)
{
	const struct iphdr *ip = (const void *)nb->data;
	unsigned int hlen, tot;

	if (nb->len < sizeof(*ip))
		return NET_RX_DROP_IP_SHORT;
	if (ip->version != 4)
		return NET_RX_DROP_IP_VERSION;
	hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip) || hlen > nb->len)
		return NET_RX_DROP_IP_IHL;
	tot = ntohs(ip->tot_len);
	if (tot < hlen || tot > nb->len)
		return NET_RX_DROP_IP_LEN;
	if (ip_fast_csum(ip, ip->ihl))
		return NET_RX_DROP_IP_CSUM;
	if (ip->frag_off & htons(IP_MF | IP_OFFSET))
		return NET_RX_DROP_IP_FRAG;
	if (!netif_addr_is_local(dev, ip->daddr))
		return NET_RX_DROP_IP_NOT_US;
	/* Ethernet pads short frames: the datagram ends where tot_len says */
	nb->len = tot;
	netbuf_pull(nb, hlen);
	switch (ip->protocol) {
	case IPPROTO_ICMP:
		return icmp_rx(dev, nb, ip);
	case IPPROTO_UDP:
		return udp_rx(dev, nb, ip);
	default:
		/* as Linux does for a protocol nobody handles */
		if (!netif_addr_is_broadcast(dev, ip->daddr))
			icmp_send_error(dev, ip, tot, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
		return NET_RX_DROP_IP_PROTO;
	}
}

int ip_output(struct netif *dev, struct netbuf *nb, uint32_t dst, uint8_t proto)
{
	struct iphdr *ip;
	uint32_t hop;

	if (!dev->ip) {
		netif_tx_drop(dev, NET_TX_NO_ROUTE);
		netbuf_free(nb);
		return -ENOENT;
	}
	if (nb->len + sizeof(*ip) > dev->mtu) {
		netif_tx_drop(dev, NET_TX_TOO_BIG);
		netbuf_free(nb);
		return -EMSGSIZE;
	}
	if (netif_addr_is_broadcast(dev, dst) || !((dst ^ dev->ip) & dev->netmask)) {
		hop = dst;
	} else if (dev->gateway) {
		hop = dev->gateway;
	} else {
		netif_tx_drop(dev, NET_TX_NO_ROUTE);
		netbuf_free(nb);
		return -ENOENT;
	}
	ip = netbuf_push(nb, sizeof(*ip));
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = 0;
	ip->tot_len = htons(nb->len);
	ip->id = htons(__atomic_add_fetch(&ip_id, 1, __ATOMIC_RELAXED));
	ip->frag_off = htons(IP_DF);	/* we never fragment, so say so */
	ip->ttl = IP_TTL;
	ip->protocol = proto;
	ip->check = 0;
	ip->saddr = dev->ip;
	ip->daddr = dst;
	ip->check = ip_fast_csum(ip, ip->ihl);
	return arp_output(dev, nb, hop);
}
