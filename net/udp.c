/*
 * UDP (RFC 768): verify length and checksum, deliver to whoever listens on
 * the destination port, and answer "port unreachable" otherwise. Two
 * services listen from boot: echo (port 7, RFC 862) and discard (port 9,
 * RFC 863). Handlers run in the receive interrupt with a borrowed buffer.
 */
#include "kernel.h"
#include "arch.h"
#include "net.h"

#define UDP_PORTS	16
#define ECHO_PORT	7
#define DISCARD_PORT	9

struct udp_port {
	uint16_t port;		/* host order; 0: free */
	udp_handler_t fn;
};

static struct udp_port ports[UDP_PORTS];

int udp_bind(uint16_t port, udp_handler_t fn)
{
	uint64_t flags;
	struct udp_port *slot = NULL;
	int err = 0;

	if (!port || !fn)
		return -EINVAL;
	flags = local_irq_save();
	for (int i = 0; i < UDP_PORTS; i++) {
		if (ports[i].port == port) {
			err = -EEXIST;
			break;
		}
		if (!ports[i].port && !slot)
			slot = &ports[i];
	}
	if (!err && !slot)
		err = -ENOSPC;
	if (!err) {
		/* the receive path on another CPU matches port, then calls fn */
		WRITE_ONCE(slot->fn, fn);
		smp_store_release(&slot->port, port);
	}
	local_irq_restore(flags);
	return err;
}

void udp_unbind(uint16_t port)
{
	uint64_t flags = local_irq_save();

	for (int i = 0; i < UDP_PORTS; i++)
		if (port && ports[i].port == port)
			WRITE_ONCE(ports[i].port, 0);
	local_irq_restore(flags);
}

static udp_handler_t lookup(uint16_t port)
{
	if (!port)
		return NULL;	/* 0 marks free slots */
	for (int i = 0; i < UDP_PORTS; i++)
		if (smp_load_acquire(&ports[i].port) == port)
			return READ_ONCE(ports[i].fn);
	return NULL;
}

enum net_rx_result udp_rx(struct netif *dev, struct netbuf *nb, const struct iphdr *ip)
{
	const struct udphdr *uh = (const void *)nb->data;
	unsigned int len;
	udp_handler_t fn;

	if (nb->len < sizeof(*uh))
		return NET_RX_DROP_UDP_SHORT;
	len = ntohs(uh->len);
	if (len < sizeof(*uh) || len > nb->len)	/* truncated, or a lying length */
		return NET_RX_DROP_UDP_SHORT;
	/* checksum 0: the sender did not compute one (allowed over IPv4) */
	if (uh->check &&
	    csum_fold(csum_partial(uh, len, csum_tcpudp_nofold(ip->saddr, ip->daddr, len,
								 IPPROTO_UDP, 0))))
		return NET_RX_DROP_UDP_CSUM;
	fn = lookup(ntohs(uh->dest));
	if (!fn) {
		if (!netif_addr_is_broadcast(dev, ip->daddr))
			icmp_send_error(dev, ip, ntohs(ip->tot_len), ICMP_DEST_UNREACH,
					ICMP_PORT_UNREACH);
		return NET_RX_DROP_UDP_NO_PORT;
	}
	fn(dev, ip->saddr, ntohs(uh->source), ip->daddr, ntohs(uh->dest),
	   uh + 1, len - sizeof(*uh));
	return NET_RX_OK_UDP;
}

int udp_send(struct netif *dev, uint32_t dst, uint16_t sport, uint16_t dport,
	     const void *data, size_t len)
{
	struct netbuf *nb;
	struct udphdr *uh;
	uint16_t sum;

	if (len > ETH_DATA_LEN - sizeof(struct iphdr) - sizeof(*uh)) {
		netif_tx_drop(dev, NET_TX_TOO_BIG);
		return -EMSGSIZE;
	}
	nb = netbuf_alloc(sizeof(*uh) + len);
	if (!nb) {
		netif_tx_drop(dev, NET_TX_NO_MEM);
		return -ENOMEM;
	}
	uh = netbuf_put(nb, sizeof(*uh));
	memcpy(netbuf_put(nb, len), data, len);
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons(nb->len);
	uh->check = 0;
	sum = csum_fold(csum_partial(uh, nb->len,
				     csum_tcpudp_nofold(dev->ip, dst, nb->len, IPPROTO_UDP, 0)));
	uh->check = sum ? sum : 0xffff;	/* 0 would mean "no checksum" */
	return ip_output(dev, nb, dst, IPPROTO_UDP);
}

static void echo_service(struct netif *dev, uint32_t src, uint16_t sport,
			 uint32_t dst, uint16_t dport, const void *data, size_t len)
{
	/* never answer a broadcast, nor to port 7 itself: two echo servers would loop */
	if (netif_addr_is_broadcast(dev, dst) || sport == ECHO_PORT || !sport)
		return;
	udp_send(dev, src, dport, sport, data, len);
}

static void discard_service(struct netif *dev, uint32_t src, uint16_t sport,
			    uint32_t dst, uint16_t dport, const void *data, size_t len)
{
	(void)dev, (void)src, (void)sport, (void)dst, (void)dport, (void)data, (void)len;
}

static int udp_services_init(void)
{
	int err = udp_bind(ECHO_PORT, echo_service);

	return err ? err : udp_bind(DISCARD_PORT, discard_service);
}
INITCALL(udp_services_init, 3);
