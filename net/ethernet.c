/*
 * Ethernet II: accept frames addressed to us or to broadcast, dispatch on
 * the EtherType; on the way out, prepend the header. Padding short frames
 * to the 60-byte minimum is the driver's job (it copies the frame anyway).
 */
#include "kernel.h"
#include "net.h"

static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

enum net_rx_result eth_rx(struct netif *dev, struct netbuf *nb)
{
	const struct ethhdr *eth = (const void *)nb->data;
	uint16_t proto;

	if (nb->len < ETH_HLEN)
		return NET_RX_DROP_RUNT;
	if (nb->len > ETH_FRAME_LEN)	/* no VLANs here, so nothing longer is valid */
		return NET_RX_DROP_OVERSIZE;
	if (memcmp(eth->h_dest, dev->mac, ETH_ALEN) && memcmp(eth->h_dest, broadcast, ETH_ALEN))
		return NET_RX_DROP_NOT_US;
	proto = ntohs(eth->h_proto);
	netbuf_pull(nb, ETH_HLEN);
	switch (proto) {
	case ETH_P_IP:
		return ip_rx(dev, nb);
	case ETH_P_ARP:
		return arp_rx(dev, nb);
	default:
		return NET_RX_DROP_ETHERTYPE;
	}
}

int eth_output(struct netif *dev, struct netbuf *nb, const uint8_t *dst, uint16_t proto)
{
	struct ethhdr *eth = netbuf_push(nb, ETH_HLEN);

	memcpy(eth->h_dest, dst ? dst : broadcast, ETH_ALEN);
	memcpy(eth->h_source, dev->mac, ETH_ALEN);
	eth->h_proto = htons(proto);
	return netif_xmit(dev, nb);
}
