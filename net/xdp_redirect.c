/*
 * XDP_REDIRECT: a program names another interface (bpf_redirect(ifindex),
 * or bpf_redirect_map() through a devmap) and returns XDP_REDIRECT; the
 * driver then calls xdp_do_redirect(), which copies the frame into the
 * target's transmit ring. As in Linux the helper only records the target,
 * per CPU, and the verdict decides: a program that asks for a redirect and
 * then returns XDP_PASS passes the frame.
 *
 * The receive path runs in the NIC's interrupt, interrupts off, so the
 * record cannot be overwritten between the program and the driver. The
 * target's counters move from another device's interrupt, possibly on
 * another CPU, so they are bumped atomically.
 *
 * Linux batches redirected frames per poll (a bulk queue flushed at the
 * end of NAPI); here each frame is handed to the target's xmit at once,
 * which copies it, so nothing outlives the receive buffer.
 */
#include "kernel.h"
#include "arch.h"
#include "net.h"

struct redirect_target {
	uint32_t ifindex;	/* 0: none */
} __aligned(64);

static struct redirect_target targets[MAX_CPUS];

unsigned int xdp_redirect_set(uint32_t ifindex, uint64_t flags)
{
	if (flags)		/* Linux's XDP bpf_redirect takes no flags */
		return XDP_ABORTED;
	targets[this_cpu()->cpu].ifindex = ifindex;
	return XDP_REDIRECT;
}

static void bump(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

enum net_rx_result xdp_do_redirect(struct netif *dev, struct xdp_buff *xdp)
{
	struct redirect_target *t = &targets[this_cpu()->cpu];
	size_t len = (uint8_t *)xdp->data_end - (uint8_t *)xdp->data;
	struct netif *to = t->ifindex ? netif_by_index((int)t->ifindex) : NULL;

	t->ifindex = 0;		/* one redirect per helper call, as Linux */
	if (to && !to->ops->xmit(to, xdp->data, len)) {
		dev->xdp_stats.redirected++;
		bump(&to->xdp_stats.xdp_xmit);
		bump(&to->stats.tx_queued);
		return NET_RX_OK_XDP_REDIRECT;
	}
	dev->xdp_stats.redirect_err++;
	if (to)
		bump(&to->xdp_stats.xdp_xmit_err);
	/*
	 * The program that asked is still valid (the receive path holds it
	 * against xdp_attach's wait) but may no longer be the attached one;
	 * after a swap in flight the event names the new one, or none.
	 */
	xdp_trace_exception(dev, READ_ONCE(dev->xdp_prog), XDP_REDIRECT);
	return NET_RX_DROP_XDP_REDIRECT;
}
