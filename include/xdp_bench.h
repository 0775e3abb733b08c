/*
 * Receive-path costs for `make bench` (net/xdp_bench.c), in guest TSC
 * ticks; under QEMU -icount shift=0 a tick is one guest instruction.
 *
 *  - per frame: from the driver reading a receive descriptor to the
 *    frame's result (an XDP verdict, or wherever the stack dropped or
 *    delivered it): xdp_bench_begin/xdp_bench_end around each frame;
 *  - per interrupt: the whole receive interrupt handler, for the packet
 *    rate a flood sustains per unit of busy guest time:
 *    xdp_bench_irq_begin/xdp_bench_irq_end.
 *
 * While no measurement runs each hook is one load and one untaken branch;
 * `xdp bench start [frame|flood]` turns one kind on, `xdp bench stop` off.
 */
#ifndef KP_XDP_BENCH_H
#define KP_XDP_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include "net.h"

#define XDP_BENCH_FRAME	1	/* time each frame */
#define XDP_BENCH_IRQ	2	/* time each receive interrupt */

extern uint8_t xdp_bench_mode;

uint64_t xdp_bench_begin_slow(struct netif *dev);
void xdp_bench_end_slow(struct netif *dev, uint64_t t0, enum net_rx_result res);
void xdp_bench_irq_end_slow(uint64_t t0, int frames);
/* `xdp bench [start [frame|flood]|stop|show]`, from the xdp console command. */
int xdp_bench_cmd(int argc, char **argv);

static inline uint8_t xdp_bench_on(uint8_t what)
{
	return __builtin_expect(*(volatile uint8_t *)&xdp_bench_mode & what, 0);
}

/* A frame's descriptor is about to be read: 0, or its start timestamp. */
static inline uint64_t xdp_bench_begin(struct netif *dev)
{
	return xdp_bench_on(XDP_BENCH_FRAME) ? xdp_bench_begin_slow(dev) : 0;
}

/* The frame begun at t0 ended with res (just before netif_rx_done). */
static inline void xdp_bench_end(struct netif *dev, uint64_t t0, enum net_rx_result res)
{
	if (__builtin_expect(t0 != 0, 0))
		xdp_bench_end_slow(dev, t0, res);
}

/* The driver's interrupt handler starts: 0, or its start timestamp. */
static inline uint64_t xdp_bench_irq_begin(void)
{
	uint32_t lo, hi;

	if (!xdp_bench_on(XDP_BENCH_IRQ))
		return 0;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The handler begun at t0 ends, having taken frames off the ring. */
static inline void xdp_bench_irq_end(uint64_t t0, int frames)
{
	if (__builtin_expect(t0 != 0, 0))
		xdp_bench_irq_end_slow(t0, frames);
}

#endif
