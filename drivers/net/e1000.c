/*
 * Intel 8254x (e1000) driver: the 82540EM QEMU emulates by default and the
 * 82545EM. One receive and one transmit ring of 256 descriptors, 2 KiB
 * buffers, interrupts as PCI INTx through the IOAPIC.
 *
 * Receive buffers are whole pages: XDP_PACKET_HEADROOM bytes of headroom,
 * then the 2 KiB the device writes. Each frame is shown to the XDP hook in
 * place, before anything copies, allocates or parses it; the stack then
 * borrows the same buffer for the rest of the interrupt. No buffer ever
 * leaves the ring, so every descriptor is recycled in place once its frame
 * is done, whatever the verdict. Transmit copies into per-slot buffers.
 *
 * The interrupt may be routed to any CPU (`irq route eth0 CPU`), and the
 * stack transmits from any CPU, so each ring has a lock: the receive ring
 * the netif's rx_lock (its counters with it), the transmit ring tx_lock,
 * the statistics registers stat_lock. Receive may transmit (XDP_TX,
 * replies), so rx_lock is taken before tx_lock, never after.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "pci.h"
#include "net.h"
#include "xdp_bench.h"
#include "e1000_hw.h"

#define NUM_RX_DESC	256
#define NUM_TX_DESC	256
#define RX_BUF_LEN	2048		/* RCTL.BSIZE */
#define TX_BUF_LEN	2048
#define RX_FRAME_SZ	(XDP_PACKET_HEADROOM + RX_BUF_LEN)
#define RX_BUDGET	64		/* frames per interrupt, like a NAPI weight */
#define ITR_INTERVAL	500		/* x 256 ns: at most ~7800 interrupts/s */

_Static_assert(NUM_RX_DESC * sizeof(struct e1000_rx_desc) == PAGE_SIZE, "rx ring is a page");
_Static_assert(NUM_TX_DESC * sizeof(struct e1000_tx_desc) == PAGE_SIZE, "tx ring is a page");

/* Statistics registers the driver accumulates; wide ones are 64-bit pairs. */
static const struct {
	uint16_t reg;
	bool wide;
	const char *name;
} hw_stat_regs[] = {
	{ E1000_MPC, false, "hw_mpc" },		{ E1000_RNBC, false, "hw_rnbc" },
	{ E1000_RUC, false, "hw_ruc" },		{ E1000_ROC, false, "hw_roc" },
	{ E1000_RFC, false, "hw_rfc" },		{ E1000_RJC, false, "hw_rjc" },
	{ E1000_CRCERRS, false, "hw_crcerrs" },	{ E1000_RXERRC, false, "hw_rxerrc" },
	{ E1000_ALGNERRC, false, "hw_algnerrc" }, { E1000_SYMERRS, false, "hw_symerrs" },
	{ E1000_SEC, false, "hw_sec" },		{ E1000_COLC, false, "hw_colc" },
	{ E1000_TPR, false, "hw_tpr" },		{ E1000_GPRC, false, "hw_gprc" },
	{ E1000_BPRC, false, "hw_bprc" },	{ E1000_MPRC, false, "hw_mprc" },
	{ E1000_TPT, false, "hw_tpt" },		{ E1000_GPTC, false, "hw_gptc" },
	{ E1000_GORCL, true, "hw_gorc" },	{ E1000_GOTCL, true, "hw_gotc" },
};
#define NUM_HW_STATS ARRAY_SIZE(hw_stat_regs)

enum stat_mode { STAT_UNKNOWN, STAT_CLEARS, STAT_RUNS };

struct stat_acc {
	uint64_t total;
	uint32_t last;		/* STAT_RUNS: the previous reading */
	uint8_t mode;
};

struct e1000 {
	struct netif netif;
	struct pci_dev *pdev;
	volatile uint8_t *mmio;
	const char *model;
	char desc[64];

	struct e1000_rx_desc *rx_ring;
	uint8_t *rx_buf[NUM_RX_DESC];	/* page: headroom, then the DMA area */
	unsigned int rx_next;		/* next descriptor the device completes */
	bool rx_discard;		/* inside a frame longer than one buffer */
	struct xdp_rxq_info rxq;

	struct e1000_tx_desc *tx_ring;
	/* xmit comes from the console, this NIC's interrupt and, through
	 * XDP_REDIRECT, another NIC's interrupt on any CPU */
	struct spinlock tx_lock;
	uint8_t *tx_buf[NUM_TX_DESC];
	unsigned int tx_tail;		/* next slot to fill */
	unsigned int tx_clean;		/* oldest slot not yet reclaimed */

	struct spinlock stat_lock;
	struct stat_acc stats[NUM_HW_STATS];
	uint64_t irqs, irq_rxt0, irq_rxo, irq_lsc, irq_txdw;
	uint64_t polls, budget_hits, tx_reclaimed;
};

static inline uint32_t rd(struct e1000 *hw, uint32_t reg)
{
	return *(volatile uint32_t *)(hw->mmio + reg);
}

static inline void wr(struct e1000 *hw, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(hw->mmio + reg) = v;
}

/* ---- statistics ---- */

/*
 * The SDM's statistics registers clear when read, so each reading is added
 * to a 64-bit total. QEMU's model clears only some of them: its error
 * counters (MPC, RNBC, CRCERRS ...) keep running. So the first time a
 * register reads nonzero it is read again at once: one that clears reads
 * about zero, one that runs reads at least as much, and is from then on
 * accumulated by difference. Under stat_lock.
 */
static void stat_update(struct e1000 *hw, unsigned int i, bool count)
{
	struct stat_acc *a = &hw->stats[i];
	uint32_t reg = hw_stat_regs[i].reg, v, again;

	if (hw_stat_regs[i].wide) {	/* reading the high half clears both */
		uint64_t lo = rd(hw, reg), hi = rd(hw, reg + 4);

		if (count)
			a->total += lo | hi << 32;
		return;
	}
	v = rd(hw, reg);
	switch (a->mode) {
	case STAT_CLEARS:
		a->total += count ? v : 0;
		break;
	case STAT_RUNS:
		/* below the last reading: the device was reset under us */
		a->total += count ? (v >= a->last ? v - a->last : v) : 0;
		a->last = v;
		break;
	default:
		if (!v)
			break;
		again = rd(hw, reg);
		if (again >= v) {
			a->mode = STAT_RUNS;
			a->last = again;
			a->total += count ? again : 0;
		} else {
			a->mode = STAT_CLEARS;
			a->total += count ? v + again : 0;
		}
		break;
	}
}

static void stats_update(struct e1000 *hw, bool count)
{
	for (unsigned int i = 0; i < NUM_HW_STATS; i++)
		stat_update(hw, i, count);
}

static void e1000_hw_stats(struct netif *dev, net_stat_emit_t emit, void *arg)
{
	struct e1000 *hw = dev->priv;
	uint64_t v[NUM_HW_STATS], flags = spin_lock_irqsave(&hw->stat_lock);

	stats_update(hw, true);
	for (unsigned int i = 0; i < NUM_HW_STATS; i++)
		v[i] = hw->stats[i].total;
	spin_unlock_irqrestore(&hw->stat_lock, flags);
	for (unsigned int i = 0; i < NUM_HW_STATS; i++)
		emit(arg, hw_stat_regs[i].name, v[i]);
	emit(arg, "drv_irqs", hw->irqs);
	emit(arg, "drv_irq_rxt0", hw->irq_rxt0);
	emit(arg, "drv_irq_rxo", hw->irq_rxo);
	emit(arg, "drv_irq_lsc", hw->irq_lsc);
	emit(arg, "drv_irq_txdw", hw->irq_txdw);
	emit(arg, "drv_rx_polls", hw->polls);
	emit(arg, "drv_rx_budget_hits", hw->budget_hits);
	emit(arg, "drv_tx_reclaimed", hw->tx_reclaimed);
}

static const char *e1000_describe(struct netif *dev)
{
	return ((struct e1000 *)dev->priv)->desc;
}

/* ---- link ---- */

static void e1000_link_update(struct e1000 *hw, bool always_report)
{
	struct netif *dev = &hw->netif;
	uint32_t st = rd(hw, E1000_STATUS);
	bool up = st & E1000_STATUS_LU, changed = up != dev->link_up;
	uint32_t speed = (st >> E1000_STATUS_SPEED_SHIFT) & 3;
	uint32_t mbps = speed == 0 ? 10 : speed == 1 ? 100 : 1000;

	netif_set_link(dev, up, mbps, st & E1000_STATUS_FD);
	if (!changed && !always_report)
		return;
	if (up)
		pr_info("%s: link is up, %u Mb/s, %s duplex\n", dev->name, mbps,
			(st & E1000_STATUS_FD) ? "full" : "half");
	else
		pr_info("%s: link is down\n", dev->name);
}

/* ---- transmit ---- */

/* Reclaim slots the device has finished with. tx_lock is held. */
static void e1000_tx_clean(struct e1000 *hw)
{
	struct netif *dev = &hw->netif;

	while (hw->tx_clean != hw->tx_tail) {
		struct e1000_tx_desc *d = &hw->tx_ring[hw->tx_clean];

		if (!(READ_ONCE(d->status) & E1000_TXD_STAT_DD))
			break;
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += d->length;
		hw->tx_reclaimed++;
		d->status = 0;
		hw->tx_clean = (hw->tx_clean + 1) % NUM_TX_DESC;
	}
}

int __noinline e1000_xmit_frame(struct e1000 *hw, const void *frame, size_t len)
{
	unsigned int next;
	struct e1000_tx_desc *d;
	uint8_t *buf;
	uint64_t flags;

	if (len > TX_BUF_LEN || len < ETH_HLEN)
		return -EMSGSIZE;
	flags = spin_lock_irqsave(&hw->tx_lock);
	next = (hw->tx_tail + 1) % NUM_TX_DESC;
	if (next == hw->tx_clean)
		e1000_tx_clean(hw);
	if (next == hw->tx_clean) {
		spin_unlock_irqrestore(&hw->tx_lock, flags);
		return -EBUSY;
	}
	buf = hw->tx_buf[hw->tx_tail];
	memcpy(buf, frame, len);
	if (len < ETH_ZLEN) {	/* pad runts ourselves: QEMU ignores TCTL.PSP */
		memset(buf + len, 0, ETH_ZLEN - len);
		len = ETH_ZLEN;
	}
	d = &hw->tx_ring[hw->tx_tail];
	d->length = len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	hw->tx_tail = next;
	barrier();		/* descriptor contents before the tail moves */
	wr(hw, E1000_TDT, next);
	spin_unlock_irqrestore(&hw->tx_lock, flags);
	return 0;
}

static int e1000_xmit(struct netif *dev, const void *frame, size_t len)
{
	return e1000_xmit_frame(dev->priv, frame, len);
}

/* ---- receive ---- */

/*
 * One completed descriptor. Ordinary and not inlined so a probe placed
 * here sees every frame. The frame is counted first, then ends in exactly
 * one result (netif_rx_done), whatever happens to it.
 */
void __noinline e1000_rx_frame(struct e1000 *hw, struct e1000_rx_desc *d, uint8_t *buf)
{
	struct netif *dev = &hw->netif;
	/* make bench: time from here to the result (net/xdp_bench.c); a flag test when off */
	uint64_t bench_t0 = xdp_bench_begin(dev);
	unsigned int len = min((unsigned int)d->length, (unsigned int)RX_BUF_LEN), act;
	struct xdp_buff xdp;
	enum net_rx_result res;

	if (!(d->status & E1000_RXD_STAT_EOP)) {
		hw->rx_discard = true;	/* more of it follows; drop it all at EOP */
		return;
	}
	netif_rx_count(dev, len);
	if (hw->rx_discard) {
		hw->rx_discard = false;
		netif_rx_done(dev, NET_RX_DROP_MULTI_DESC);
		return;
	}
	if (d->errors & E1000_RXD_ERR_FRAME) {
		netif_rx_done(dev, NET_RX_DROP_DESC_ERR);
		return;
	}

	xdp_buff_wrap(&xdp, &hw->rxq, buf, RX_FRAME_SZ, len, true);
	act = xdp_run(dev, &xdp);
	len = (uint8_t *)xdp.data_end - (uint8_t *)xdp.data;
	switch (act) {
	case XDP_PASS:
		res = netif_receive(dev, xdp.data, len);
		break;
	case XDP_TX:
		if (e1000_xmit_frame(hw, xdp.data, len)) {
			res = NET_RX_DROP_XDP_TX_ERR;
		} else {
			__atomic_fetch_add(&dev->stats.tx_queued, 1, __ATOMIC_RELAXED);
			res = NET_RX_OK_XDP_TX;
		}
		break;
	default:	/* DROP, ABORTED, REDIRECT (a copy), invalid: the buffer is reused */
		res = xdp_verdict_result(dev, &xdp, act);
		break;
	}
	xdp_bench_end(dev, bench_t0, res);
	netif_rx_done(dev, res);
}

/* Drain up to budget frames; returns how many descriptors were consumed. */
int __noinline e1000_rx_poll(struct e1000 *hw, int budget)
{
	struct netif *dev = &hw->netif;
	unsigned int last = NUM_RX_DESC;
	uint64_t flags;
	int done = 0;

	flags = spin_lock_irqsave(&dev->rx_lock);
	__atomic_add_fetch(&dev->in_rx, 1, __ATOMIC_ACQ_REL);
	hw->polls++;
	while (done < budget) {
		unsigned int i = hw->rx_next;
		struct e1000_rx_desc *d = &hw->rx_ring[i];

		if (!(READ_ONCE(d->status) & E1000_RXD_STAT_DD))
			break;
		barrier();	/* the rest of the descriptor only after DD */
		e1000_rx_frame(hw, d, hw->rx_buf[i]);
		d->status = 0;
		d->errors = 0;
		last = i;
		hw->rx_next = (i + 1) % NUM_RX_DESC;
		done++;
	}
	/*
	 * Hand the consumed descriptors back, same buffers: the device owns
	 * RDH..RDT-1, so the last one consumed becomes the new tail.
	 */
	if (last != NUM_RX_DESC) {
		barrier();
		wr(hw, E1000_RDT, last);
	}
	__atomic_sub_fetch(&dev->in_rx, 1, __ATOMIC_ACQ_REL);
	spin_unlock_irqrestore(&dev->rx_lock, flags);
	return done;
}

static void e1000_irq(void *data)
{
	struct e1000 *hw = data;
	/* make bench: ticks of the whole handler (net/xdp_bench.c); a flag test when off */
	uint64_t bench_t0 = xdp_bench_irq_begin();
	uint32_t icr = rd(hw, E1000_ICR);	/* reading clears it and drops the line */
	int done;

	if (!icr)
		return;
	hw->irqs++;
	if (icr & E1000_ICR_LSC) {
		hw->irq_lsc++;
		e1000_link_update(hw, false);
	}
	if (icr & E1000_ICR_RXO) {
		uint64_t flags = spin_lock_irqsave(&hw->stat_lock);

		hw->irq_rxo++;
		stats_update(hw, true);		/* the missed-packet counters moved */
		spin_unlock_irqrestore(&hw->stat_lock, flags);
	}
	if (icr & E1000_ICR_RXT0)
		hw->irq_rxt0++;
	if (icr & E1000_ICR_TXDW) {
		uint64_t flags = spin_lock_irqsave(&hw->tx_lock);

		hw->irq_txdw++;
		e1000_tx_clean(hw);
		spin_unlock_irqrestore(&hw->tx_lock, flags);
	}
	/*
	 * Out of budget with frames still waiting: raise RXT0 again rather
	 * than loop here, so the interrupt throttle leaves the console and
	 * the rest of the kernel some time between batches.
	 */
	done = e1000_rx_poll(hw, RX_BUDGET);
	if (done >= RX_BUDGET) {
		hw->budget_hits++;
		wr(hw, E1000_ICS, E1000_ICR_RXT0);
	}
	xdp_bench_irq_end(bench_t0, done);
}

/* ---- bring-up ---- */

static bool eeprom_read(struct e1000 *hw, unsigned int word, uint16_t *val)
{
	wr(hw, E1000_EERD, word << E1000_EERD_ADDR_SHIFT | E1000_EERD_START);
	for (int i = 0; i < 1000; i++) {
		uint32_t v = rd(hw, E1000_EERD);

		if (v & E1000_EERD_DONE) {
			*val = v >> E1000_EERD_DATA_SHIFT;
			return true;
		}
		udelay(10);
	}
	return false;
}

static bool mac_valid(const uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];

	return !(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN);
}

/* The MAC from EEPROM words 0-2, else what the device loaded into RAL0/RAH0. */
static const char *read_mac(struct e1000 *hw, uint8_t *mac)
{
	uint16_t w[3];
	uint32_t ral, rah;

	if (eeprom_read(hw, 0, &w[0]) && eeprom_read(hw, 1, &w[1]) && eeprom_read(hw, 2, &w[2])) {
		for (int i = 0; i < 3; i++) {
			mac[2 * i] = w[i] & 0xff;
			mac[2 * i + 1] = w[i] >> 8;
		}
		if (mac_valid(mac))
			return "eeprom";
	}
	ral = rd(hw, E1000_RAL0);
	rah = rd(hw, E1000_RAH0);
	for (int i = 0; i < 4; i++)
		mac[i] = ral >> (8 * i);
	mac[4] = rah;
	mac[5] = rah >> 8;
	return mac_valid(mac) ? "RAL/RAH" : NULL;
}

static void e1000_reset(struct e1000 *hw)
{
	wr(hw, E1000_IMC, 0xffffffff);
	wr(hw, E1000_CTRL, rd(hw, E1000_CTRL) | E1000_CTRL_RST);
	udelay(10);	/* the SDM: wait before touching the device again */
	for (int i = 0; i < 1000 && (rd(hw, E1000_CTRL) & E1000_CTRL_RST); i++)
		udelay(10);
	wr(hw, E1000_IMC, 0xffffffff);	/* reset re-enables nothing, but be sure */
	(void)rd(hw, E1000_ICR);
}

static void free_rings(struct e1000 *hw)
{
	for (int i = 0; i < NUM_RX_DESC; i++)
		if (hw->rx_buf[i])
			free_pages_virt(hw->rx_buf[i], 1);
	for (int i = 0; i < NUM_TX_DESC; i += 2)
		if (hw->tx_buf[i])
			free_pages_virt(hw->tx_buf[i], 1);
	if (hw->rx_ring)
		free_pages_virt(hw->rx_ring, 1);
	if (hw->tx_ring)
		free_pages_virt(hw->tx_ring, 1);
}

static int alloc_rings(struct e1000 *hw)
{
	hw->rx_ring = alloc_pages_virt(1);
	hw->tx_ring = alloc_pages_virt(1);
	if (!hw->rx_ring || !hw->tx_ring)
		return -ENOMEM;
	memset(hw->rx_ring, 0, PAGE_SIZE);
	memset(hw->tx_ring, 0, PAGE_SIZE);
	for (int i = 0; i < NUM_RX_DESC; i++) {
		hw->rx_buf[i] = alloc_pages_virt(1);
		if (!hw->rx_buf[i])
			return -ENOMEM;
		hw->rx_ring[i].addr = virt_to_phys(hw->rx_buf[i] + XDP_PACKET_HEADROOM);
	}
	/* two 2 KiB transmit buffers per page */
	for (int i = 0; i < NUM_TX_DESC; i += 2) {
		uint8_t *page = alloc_pages_virt(1);

		if (!page)
			return -ENOMEM;
		hw->tx_buf[i] = page;
		hw->tx_buf[i + 1] = page + TX_BUF_LEN;
		hw->tx_ring[i].addr = virt_to_phys(page);
		hw->tx_ring[i + 1].addr = virt_to_phys(page + TX_BUF_LEN);
	}
	return 0;
}

static void e1000_configure(struct e1000 *hw)
{
	uint64_t rx = virt_to_phys(hw->rx_ring), tx = virt_to_phys(hw->tx_ring);

	/* link up without waiting for software: speed/duplex auto-detected */
	wr(hw, E1000_CTRL, (rd(hw, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE) &
	   ~(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_ILOS | E1000_CTRL_VME));
	for (int i = 0; i < 128; i++)
		wr(hw, E1000_MTA + 4 * i, 0);

	wr(hw, E1000_RDBAL, (uint32_t)rx);
	wr(hw, E1000_RDBAH, rx >> 32);
	wr(hw, E1000_RDLEN, NUM_RX_DESC * sizeof(struct e1000_rx_desc));
	wr(hw, E1000_RDH, 0);
	wr(hw, E1000_RDT, NUM_RX_DESC - 1);	/* all but one: RDH == RDT means empty */
	wr(hw, E1000_RDTR, 0);
	wr(hw, E1000_RADV, 0);
	wr(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_SZ_2048);

	wr(hw, E1000_TDBAL, (uint32_t)tx);
	wr(hw, E1000_TDBAH, tx >> 32);
	wr(hw, E1000_TDLEN, NUM_TX_DESC * sizeof(struct e1000_tx_desc));
	wr(hw, E1000_TDH, 0);
	wr(hw, E1000_TDT, 0);
	wr(hw, E1000_TIDV, 0);
	wr(hw, E1000_TIPG, E1000_TIPG_DEFAULT);
	wr(hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | 0x0f << E1000_TCTL_CT_SHIFT |
	   0x40 << E1000_TCTL_COLD_SHIFT);

	wr(hw, E1000_ITR, ITR_INTERVAL);
}

static const struct netif_ops e1000_ops = {
	.xmit = e1000_xmit,
	.hw_stats = e1000_hw_stats,
	.describe = e1000_describe,
};

static int e1000_probe(struct pci_dev *pdev, const char *model)
{
	struct e1000 *hw = kzalloc(sizeof(*hw));
	struct netif *dev;
	const char *mac_src;
	int err;

	if (!hw)
		return -ENOMEM;
	dev = &hw->netif;
	hw->tx_lock = (struct spinlock)SPINLOCK_INIT("e1000_tx");
	hw->pdev = pdev;
	hw->model = model;
	hw->stat_lock = (struct spinlock)SPINLOCK_INIT("e1000 stats");
	pci_enable_device(pdev);
	pci_set_master(pdev);
	hw->mmio = pci_iomap(pdev, 0);
	if (!hw->mmio) {
		pr_err("e1000: %02x:%02x.%x: BAR0 is not a memory BAR\n", pdev->bus, pdev->dev, pdev->fn);
		kfree(hw);
		return -ENODEV;
	}
	if (!pdev->irq_pin || !pdev->irq_line || pdev->irq_line == 0xff) {
		pr_err("e1000: %02x:%02x.%x: no interrupt line assigned\n",
		       pdev->bus, pdev->dev, pdev->fn);
		kfree(hw);
		return -ENODEV;
	}
	e1000_reset(hw);
	mac_src = read_mac(hw, dev->mac);
	if (!mac_src) {
		pr_err("e1000: no valid MAC address in EEPROM or RAL/RAH\n");
		kfree(hw);
		return -ENODEV;
	}
	wr(hw, E1000_RAL0, dev->mac[0] | dev->mac[1] << 8 | dev->mac[2] << 16 |
	   (uint32_t)dev->mac[3] << 24);
	wr(hw, E1000_RAH0, dev->mac[4] | dev->mac[5] << 8 | E1000_RAH_AV);
	stats_update(hw, false);	/* whatever ran before us is not ours */

	err = alloc_rings(hw);
	if (err) {
		pr_err("e1000: out of memory for rings\n");
		free_rings(hw);
		kfree(hw);
		return err;
	}
	e1000_configure(hw);

	dev->ops = &e1000_ops;
	dev->priv = hw;
	err = irq_request(pdev->irq_line, e1000_irq, hw);
	if (err) {
		pr_err("e1000: irq %u unavailable (%d)\n", pdev->irq_line, err);
		wr(hw, E1000_RCTL, 0);
		wr(hw, E1000_TCTL, 0);
		free_rings(hw);
		kfree(hw);
		return err;
	}
	dev->irq = pdev->irq_line;
	netif_register(dev);
	irq_set_name(dev->irq, dev->name);
	hw->rxq = (struct xdp_rxq_info){ .dev = dev, .ifindex = dev->ifindex, .queue_index = 0 };
	snprintf(hw->desc, sizeof(hw->desc), "e1000 %s at %02x:%02x.%x, irq %u", model,
		 pdev->bus, pdev->dev, pdev->fn, pdev->irq_line);
	pr_info("e1000: %s: %s, mmio %#lx, mac %02x:%02x:%02x:%02x:%02x:%02x (%s), "
		"%u/%u descriptors\n", dev->name, hw->desc, pdev->bar[0].addr,
		dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4], dev->mac[5],
		mac_src, NUM_RX_DESC, NUM_TX_DESC);
	e1000_link_update(hw, true);
	wr(hw, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_RXO | E1000_ICR_LSC | E1000_ICR_TXDW);
	return 0;
}

static int e1000_init(void)
{
	unsigned int found = 0, others = 0;

	for (unsigned int i = 0; i < pci_count(); i++) {
		struct pci_dev *d = pci_get(i);

		if (d->vendor == E1000_VENDOR_INTEL && d->device == E1000_DEV_82540EM) {
			found += !e1000_probe(d, "82540EM");
		} else if (d->vendor == E1000_VENDOR_INTEL && d->device == E1000_DEV_82545EM) {
			found += !e1000_probe(d, "82545EM");
		} else if ((d->class >> 16) == PCI_CLASS_NETWORK) {
			pr_info("e1000: %02x:%02x.%x %04x:%04x (%s) is not an e1000; no driver\n",
				d->bus, d->dev, d->fn, d->vendor, d->device, pci_class_name(d->class));
			others++;
		}
	}
	if (!found)
		pr_info("e1000: no e1000 NIC found%s\n",
			others ? " (another network controller is present, unsupported)" : "");
	return 0;
}
INITCALL(e1000_init, 4);
