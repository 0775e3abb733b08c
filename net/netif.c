/*
 * Network interfaces: the list drivers register into, the default IPv4
 * configuration (QEMU user networking's 10.0.2.15/24 via 10.0.2.2), packet
 * buffers, and the two crossings between driver and stack: netif_receive
 * (a frame the XDP hook passed) and netif_xmit (a frame to send).
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "net.h"

#define DEFAULT_IP	0x0f02000a	/* 10.0.2.15, network order */
#define DEFAULT_MASK	0x00ffffff	/* 255.255.255.0 */
#define DEFAULT_GW	0x0202000a	/* 10.0.2.2 */

static struct netif *netifs;
static int next_ifindex = 1;

#define NET_RX_NAME(e, name, stage) name,
#define NET_RX_STAGE(e, name, stage) stage,
#define NET_TX_NAME(e, name) name,
const char *const net_rx_result_name[NET_RX_NUM] = { NET_RX_RESULTS(NET_RX_NAME) };
const char *const net_rx_result_stage[NET_RX_NUM] = { NET_RX_RESULTS(NET_RX_STAGE) };
const char *const net_tx_drop_name[NET_TX_NUM] = { NET_TX_DROPS(NET_TX_NAME) };

int netif_register(struct netif *dev)
{
	struct netif **pp;
	uint64_t flags;

	if (!dev->ops || !dev->ops->xmit)
		return -EINVAL;
	if (!dev->mtu)
		dev->mtu = ETH_DATA_LEN;
	dev->ifindex = next_ifindex++;
	dev->rx_lock.name = "netif rx";
	if (!dev->name[0])
		snprintf(dev->name, sizeof(dev->name), "eth%d", dev->ifindex - 1);
	/* the first interface gets QEMU user networking's addresses */
	if (!netifs && !dev->ip) {
		dev->ip = DEFAULT_IP;
		dev->netmask = DEFAULT_MASK;
		dev->gateway = DEFAULT_GW;
	}
	flags = local_irq_save();
	for (pp = &netifs; *pp; pp = &(*pp)->next)
		;
	*pp = dev;
	local_irq_restore(flags);
	return 0;
}

struct netif *netif_first(void)
{
	return netifs;
}

/* Interfaces are registered at boot and never go away: no lock to walk. */
struct netif *netif_by_index(int ifindex)
{
	struct netif *dev;

	for (dev = netifs; dev && dev->ifindex != ifindex; dev = dev->next)
		;
	return dev;
}

struct netif *netif_by_name(const char *name)
{
	struct netif *dev;

	for (dev = netifs; dev && strcmp(dev->name, name); dev = dev->next)
		;
	return dev;
}

struct netif *netif_default(void)
{
	return netifs;
}

void netif_set_link(struct netif *dev, bool up, uint32_t mbps, bool full_duplex)
{
	dev->link_up = up;
	dev->speed_mbps = up ? mbps : 0;
	dev->full_duplex = up && full_duplex;
}

bool netif_addr_is_broadcast(const struct netif *dev, uint32_t addr)
{
	return addr == 0xffffffff ||
	       (dev->netmask != 0xffffffff && addr == (dev->ip | ~dev->netmask));
}

bool netif_addr_is_local(const struct netif *dev, uint32_t addr)
{
	return (dev->ip && addr == dev->ip) || netif_addr_is_broadcast(dev, addr);
}

struct netbuf *netbuf_alloc(size_t payload)
{
	size_t size = NETBUF_HEADROOM + payload;
	struct netbuf *nb;

	if (payload > ETH_FRAME_LEN)
		return NULL;
	/* one allocation: the struct, then the buffer */
	nb = kmalloc(sizeof(*nb) + size);
	if (!nb)
		return NULL;
	nb->head = (uint8_t *)(nb + 1);
	nb->data = nb->head + NETBUF_HEADROOM;
	nb->len = 0;
	nb->size = size;
	nb->next = NULL;
	nb->queued = 0;
	return nb;
}

void netbuf_free(struct netbuf *nb)
{
	kfree(nb);
}

/*
 * Transmit counters move in any context (a console command sending, the
 * receive interrupt replying), so they are bumped with one locked add that
 * an interrupt cannot split. Receive counters only move in the interrupt.
 */
void netif_tx_drop(struct netif *dev, enum net_tx_drop why)
{
	__atomic_fetch_add(&dev->stats.tx_drop[why], 1, __ATOMIC_RELAXED);
}

int netif_xmit(struct netif *dev, struct netbuf *nb)
{
	int err = dev->ops->xmit(dev, nb->data, nb->len);

	if (!err)
		__atomic_fetch_add(&dev->stats.tx_queued, 1, __ATOMIC_RELAXED);
	else if (err == -EMSGSIZE)
		netif_tx_drop(dev, NET_TX_TOO_BIG);
	else
		netif_tx_drop(dev, NET_TX_RING_FULL);
	netbuf_free(nb);
	return err;
}

/*
 * The protocols see a netbuf that borrows the driver's receive buffer; it
 * lives on this stack frame and dies with it, so nothing may keep it.
 */
enum net_rx_result netif_receive(struct netif *dev, void *data, size_t len)
{
	struct netbuf nb = {
		.head = data, .data = data, .len = len, .size = len,
	};

	return eth_rx(dev, &nb);
}

/* Under the receive lock: the receive path may run on another CPU. */
void netif_snapshot(struct netif *dev, struct netif_stats *st, struct xdp_dev_stats *xs)
{
	uint64_t flags = spin_lock_irqsave(&dev->rx_lock);

	if (st)
		*st = dev->stats;
	if (xs)
		*xs = dev->xdp_stats;
	spin_unlock_irqrestore(&dev->rx_lock, flags);
}

static int net_report(void)
{
	if (!netifs)
		pr_info("net: no network interface; networking is off\n");
	return 0;
}
INITCALL(net_report, 5);
