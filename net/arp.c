/*
 * ARP (RFC 826) for IPv4 over Ethernet: answer requests for our address,
 * keep a small neighbour cache, and resolve a next hop before an IPv4
 * packet goes out, holding a few packets while the request is outstanding.
 *
 * There is no timer callback to hang retries on, so the cache ages lazily:
 * every lookup first retries or expires what is due. A packet queued for a
 * host that never answers is dropped (and counted) by the next lookup after
 * ARP_TRIES requests went unanswered.
 */
#include "kernel.h"
#include "arch.h"
#include "net.h"

#define ARP_ENTRIES	64
#define ARP_QUEUE_MAX	4		/* packets held per unresolved address */
#define ARP_RETRY	HZ		/* between requests */
#define ARP_TRIES	3
#define ARP_REACH_TIME	(120 * HZ)	/* then resolve again */
#define ARP_FAILED_HOLD	(3 * HZ)	/* refuse sends for a while, then retry */

struct arp_entry {
	struct netif *dev;
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	enum arp_state state;
	uint64_t stamp;			/* jiffies: confirmed, or last request */
	unsigned int tries;
	struct netbuf *queue;
	unsigned int qlen;
};

static struct arp_entry cache[ARP_ENTRIES];
/* receive (on the CPU the NIC interrupts) and senders (any CPU) share the cache */
static struct spinlock cache_lock = SPINLOCK_INIT("arp cache");

static int arp_send(struct netif *dev, uint16_t op, const uint8_t *tha, uint32_t tip)
{
	struct netbuf *nb = netbuf_alloc(sizeof(struct arphdr_eth));
	struct arphdr_eth *a;

	if (!nb) {
		netif_tx_drop(dev, NET_TX_NO_MEM);
		return -ENOMEM;
	}
	a = netbuf_put(nb, sizeof(*a));
	a->ar_hrd = htons(ARPHRD_ETHER);
	a->ar_pro = htons(ETH_P_IP);
	a->ar_hln = ETH_ALEN;
	a->ar_pln = 4;
	a->ar_op = htons(op);
	memcpy(a->ar_sha, dev->mac, ETH_ALEN);
	memcpy(a->ar_sip, &dev->ip, 4);
	if (tha)
		memcpy(a->ar_tha, tha, ETH_ALEN);
	else
		memset(a->ar_tha, 0, ETH_ALEN);
	memcpy(a->ar_tip, &tip, 4);
	/* requests are broadcast, replies go straight back */
	return eth_output(dev, nb, op == ARPOP_REPLY ? tha : NULL, ETH_P_ARP);
}

static void drop_queue(struct arp_entry *e)
{
	while (e->queue) {
		struct netbuf *nb = e->queue;

		e->queue = nb->next;
		netif_tx_drop(e->dev, NET_TX_ARP_FAILED);
		netbuf_free(nb);
	}
	e->qlen = 0;
}

static void send_queue(struct arp_entry *e)
{
	struct netbuf *nb = e->queue;

	e->queue = NULL;
	e->qlen = 0;
	while (nb) {
		struct netbuf *next = nb->next;

		nb->next = NULL;
		eth_output(e->dev, nb, e->mac, ETH_P_IP);
		nb = next;
	}
}

/* Retry, fail or forget whatever is due. Interrupts are off. */
static void age(uint64_t now)
{
	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &cache[i];

		switch (e->state) {
		case ARP_INCOMPLETE:
			if (now - e->stamp < ARP_RETRY)
				break;
			if (e->tries >= ARP_TRIES) {
				e->state = ARP_FAILED;
				e->stamp = now;
				drop_queue(e);
				break;
			}
			e->tries++;
			e->stamp = now;
			arp_send(e->dev, ARPOP_REQUEST, NULL, e->ip);
			break;
		case ARP_REACHABLE:
			if (now - e->stamp >= ARP_REACH_TIME)
				e->state = ARP_FREE;
			break;
		case ARP_FAILED:
			if (now - e->stamp >= ARP_FAILED_HOLD)
				e->state = ARP_FREE;
			break;
		case ARP_FREE:
			break;
		}
	}
}

static struct arp_entry *find(struct netif *dev, uint32_t ip)
{
	for (int i = 0; i < ARP_ENTRIES; i++)
		if (cache[i].state != ARP_FREE && cache[i].dev == dev && cache[i].ip == ip)
			return &cache[i];
	return NULL;
}

/* A free slot, else the least recently confirmed resolved or failed one. */
static struct arp_entry *alloc_entry(void)
{
	struct arp_entry *victim = NULL;

	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &cache[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state != ARP_INCOMPLETE && (!victim || e->stamp < victim->stamp))
			victim = e;
	}
	if (victim)
		drop_queue(victim);
	return victim;
}

/* Learn ip -> mac; flush anything that waited for it. Interrupts are off. */
static void learn(struct netif *dev, uint32_t ip, const uint8_t *mac, bool create)
{
	struct arp_entry *e = find(dev, ip);

	if (!e) {
		if (!create || !(e = alloc_entry()))
			return;
		e->dev = dev;
		e->ip = ip;
		e->queue = NULL;
		e->qlen = 0;
	}
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_REACHABLE;
	e->stamp = jiffies();
	e->tries = 0;
	send_queue(e);
}

void arp_cache_update(struct netif *dev, uint32_t ip, const uint8_t *mac)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock);

	learn(dev, ip, mac, true);
	spin_unlock_irqrestore(&cache_lock, flags);
}

bool arp_cache_lookup(struct netif *dev, uint32_t ip, uint8_t *mac)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock);
	struct arp_entry *e;
	bool found;

	age(jiffies());
	e = find(dev, ip);
	found = e && e->state == ARP_REACHABLE;
	if (found)
		memcpy(mac, e->mac, ETH_ALEN);
	spin_unlock_irqrestore(&cache_lock, flags);
	return found;
}

void arp_flush(struct netif *dev)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock);

	for (int i = 0; i < ARP_ENTRIES; i++) {
		if (cache[i].state != ARP_FREE && (!dev || cache[i].dev == dev)) {
			drop_queue(&cache[i]);
			cache[i].state = ARP_FREE;
		}
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

unsigned int arp_cache_list(struct arp_entry_info *out, unsigned int max)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock), now = jiffies();
	unsigned int n = 0;

	age(now);
	for (int i = 0; i < ARP_ENTRIES && n < max; i++) {
		struct arp_entry *e = &cache[i];

		if (e->state == ARP_FREE)
			continue;
		out[n].ip = e->ip;
		memcpy(out[n].mac, e->mac, ETH_ALEN);
		out[n].state = e->state;
		out[n].age_ms = (now - e->stamp) * 1000 / HZ;
		out[n].queued = e->qlen;
		out[n].dev = e->dev->name;
		n++;
	}
	spin_unlock_irqrestore(&cache_lock, flags);
	return n;
}

enum net_rx_result arp_rx(struct netif *dev, struct netbuf *nb)
{
	const struct arphdr_eth *a = (const void *)nb->data;
	uint32_t sip, tip;
	uint16_t op;
	bool for_us;
	uint64_t flags;

	if (nb->len < sizeof(*a) || a->ar_hrd != htons(ARPHRD_ETHER) ||
	    a->ar_pro != htons(ETH_P_IP) || a->ar_hln != ETH_ALEN || a->ar_pln != 4)
		return NET_RX_DROP_ARP_BAD;
	op = ntohs(a->ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		return NET_RX_DROP_ARP_BAD;
	/* a broadcast or multicast sender address is a lie */
	if (a->ar_sha[0] & 1)
		return NET_RX_DROP_ARP_BAD;
	memcpy(&sip, a->ar_sip, 4);
	memcpy(&tip, a->ar_tip, 4);
	for_us = dev->ip && tip == dev->ip;

	flags = spin_lock_irqsave(&cache_lock);
	age(jiffies());
	/*
	 * RFC 826's merge: refresh the sender if we know it already; add it
	 * only if the packet was meant for us. 0.0.0.0 (an address probe) and
	 * our own address (someone else claims it) are never learned.
	 */
	if (sip && sip != dev->ip && sip != 0xffffffff)
		learn(dev, sip, a->ar_sha, for_us);
	spin_unlock_irqrestore(&cache_lock, flags);

	if (!for_us)
		return NET_RX_DROP_ARP_NOT_US;
	if (op == ARPOP_REQUEST)
		arp_send(dev, ARPOP_REPLY, a->ar_sha, sip);
	return NET_RX_OK_ARP;
}

int arp_output(struct netif *dev, struct netbuf *nb, uint32_t next_hop)
{
	uint64_t flags;
	struct arp_entry *e;
	uint8_t mac[ETH_ALEN];

	if (netif_addr_is_broadcast(dev, next_hop))
		return eth_output(dev, nb, NULL, ETH_P_IP);

	flags = spin_lock_irqsave(&cache_lock);
	age(jiffies());
	e = find(dev, next_hop);
	if (e && e->state == ARP_REACHABLE) {
		memcpy(mac, e->mac, ETH_ALEN);
		spin_unlock_irqrestore(&cache_lock, flags);
		return eth_output(dev, nb, mac, ETH_P_IP);
	}
	if (e && e->state == ARP_FAILED) {
		spin_unlock_irqrestore(&cache_lock, flags);
		netif_tx_drop(dev, NET_TX_ARP_FAILED);
		netbuf_free(nb);
		return -EAGAIN;
	}
	if (!e) {
		e = alloc_entry();
		if (!e) {	/* every slot is mid-resolution */
			spin_unlock_irqrestore(&cache_lock, flags);
			netif_tx_drop(dev, NET_TX_ARP_QUEUE);
			netbuf_free(nb);
			return -ENOSPC;
		}
		e->dev = dev;
		e->ip = next_hop;
		e->state = ARP_INCOMPLETE;
		e->stamp = jiffies();
		e->tries = 1;
		e->queue = NULL;
		e->qlen = 0;
		arp_send(dev, ARPOP_REQUEST, NULL, next_hop);
	}
	if (e->qlen >= ARP_QUEUE_MAX) {
		/* like Linux, the oldest packet makes room */
		struct netbuf *old = e->queue;

		e->queue = old->next;
		e->qlen--;
		netif_tx_drop(dev, NET_TX_ARP_QUEUE);
		netbuf_free(old);
	}
	nb->next = NULL;
	nb->queued = jiffies();
	{
		struct netbuf **pp = &e->queue;

		while (*pp)
			pp = &(*pp)->next;
		*pp = nb;
	}
	e->qlen++;
	spin_unlock_irqrestore(&cache_lock, flags);
	return 0;
}
