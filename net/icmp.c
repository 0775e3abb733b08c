/*
 * ICMP (RFC 792): answer echo requests, hand echo replies to `ping`, send
 * destination-unreachable errors for ports and protocols nobody serves.
 * Errors go through a token bucket with Linux's defaults (1000 per second,
 * bursts of 50), so a flood at a closed port cannot turn into a flood of
 * errors, and never about ICMP messages or to broadcast/multicast senders
 * (RFC 1122 3.2.2).
 */
#include "kernel.h"
#include "arch.h"
#include "net.h"

#define ERR_RATE	1000	/* per second */
#define ERR_BURST	50
#define ERR_QUOTE	8	/* bytes of the offending payload quoted back */

static icmp_echo_handler_t echo_handler;
static uint64_t err_tokens = ERR_BURST, err_stamp;

void icmp_set_echo_handler(icmp_echo_handler_t fn)
{
	__atomic_store_n(&echo_handler, fn, __ATOMIC_RELEASE);
}

static void send_echo_reply(struct netif *dev, uint32_t dst, const struct netbuf *req)
{
	struct netbuf *nb = netbuf_alloc(req->len);
	struct icmphdr *h;

	if (!nb) {
		netif_tx_drop(dev, NET_TX_NO_MEM);
		return;
	}
	h = netbuf_put(nb, req->len);
	memcpy(h, req->data, req->len);
	h->type = ICMP_ECHOREPLY;
	h->code = 0;
	h->checksum = 0;
	h->checksum = csum_fold(csum_partial(h, nb->len, 0));
	ip_output(dev, nb, dst, IPPROTO_ICMP);
}

enum net_rx_result icmp_rx(struct netif *dev, struct netbuf *nb, const struct iphdr *ip)
{
	const struct icmphdr *h = (const void *)nb->data;
	icmp_echo_handler_t fn;

	if (nb->len < sizeof(*h))
		return NET_RX_DROP_ICMP_SHORT;
	if (csum_fold(csum_partial(nb->data, nb->len, 0)))
		return NET_RX_DROP_ICMP_CSUM;
	switch (h->type) {
	case ICMP_ECHO:
		/* Linux's icmp_echo_ignore_broadcasts default: stay quiet */
		if (!netif_addr_is_broadcast(dev, ip->daddr))
			send_echo_reply(dev, ip->saddr, nb);
		return NET_RX_OK_ICMP;
	case ICMP_ECHOREPLY:
		fn = __atomic_load_n(&echo_handler, __ATOMIC_ACQUIRE);
		if (fn)
			fn(ip->saddr, ntohs(h->id), ntohs(h->sequence), ip->ttl, nb->len);
		return NET_RX_OK_ICMP;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
		/* no sockets to report them to: read and done */
		return NET_RX_OK_ICMP;
	default:
		return NET_RX_DROP_ICMP_TYPE;
	}
}

int icmp_send_echo(struct netif *dev, uint32_t dst, uint16_t id, uint16_t seq,
		   size_t payload_len)
{
	struct netbuf *nb;
	struct icmphdr *h;
	uint8_t *p;
	uint64_t now = uptime_ns();

	if (payload_len > ETH_DATA_LEN - sizeof(struct iphdr) - sizeof(*h))
		return -EMSGSIZE;
	nb = netbuf_alloc(sizeof(*h) + payload_len);
	if (!nb) {
		netif_tx_drop(dev, NET_TX_NO_MEM);
		return -ENOMEM;
	}
	h = netbuf_put(nb, sizeof(*h) + payload_len);
	h->type = ICMP_ECHO;
	h->code = 0;
	h->id = htons(id);
	h->sequence = htons(seq);
	/* like ping: a timestamp first, then a recognisable pattern */
	p = (uint8_t *)(h + 1);
	for (size_t i = 0; i < payload_len; i++)
		p[i] = i < sizeof(now) ? (uint8_t)(now >> (8 * i)) : (uint8_t)i;
	h->checksum = 0;
	h->checksum = csum_fold(csum_partial(h, nb->len, 0));
	return ip_output(dev, nb, dst, IPPROTO_ICMP);
}

static bool err_allowed(void)
{
	uint64_t now = jiffies(), refill = (now - err_stamp) * ERR_RATE / HZ;

	if (refill) {
		err_tokens = min(err_tokens + refill, (uint64_t)ERR_BURST);
		err_stamp = now;
	}
	if (!err_tokens)
		return false;
	err_tokens--;
	return true;
}

void icmp_send_error(struct netif *dev, const struct iphdr *orig, size_t orig_len,
		     uint8_t type, uint8_t code)
{
	size_t hlen = orig->ihl * 4, quote = min(orig_len - hlen, (size_t)ERR_QUOTE);
	struct netbuf *nb;
	struct icmphdr *h;
	uint64_t flags;
	bool ok;

	if (orig->protocol == IPPROTO_ICMP || !orig->saddr ||
	    netif_addr_is_broadcast(dev, orig->saddr) || (ntohl(orig->saddr) >> 28) == 0xe)
		return;
	flags = local_irq_save();
	ok = err_allowed();
	local_irq_restore(flags);
	if (!ok) {
		netif_tx_drop(dev, NET_TX_RATELIMIT);
		return;
	}
	nb = netbuf_alloc(sizeof(*h) + hlen + quote);
	if (!nb) {
		netif_tx_drop(dev, NET_TX_NO_MEM);
		return;
	}
	h = netbuf_put(nb, sizeof(*h));
	h->type = type;
	h->code = code;
	h->id = 0;		/* "unused" in destination unreachable */
	h->sequence = 0;
	memcpy(netbuf_put(nb, hlen + quote), orig, hlen + quote);
	h->checksum = 0;
	h->checksum = csum_fold(csum_partial(h, nb->len, 0));
	ip_output(dev, nb, orig->saddr, IPPROTO_ICMP);
}
