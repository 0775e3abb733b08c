/*
 * The XDP hook (net/xdp.c) and its built-in programs (net/xdp_progs.c).
 *
 * A NIC driver builds a struct xdp_buff around each received frame, in its
 * receive loop, before it copies, allocates or parses anything, and calls
 * xdp_run(). The program's verdict uses Linux's action values; the names,
 * layouts and helper semantics follow Linux (include/net/xdp.h,
 * include/uapi/linux/bpf.h), so an eBPF XDP program built for Linux runs
 * here through the same struct xdp_prog (net/xdp_bpf.c). docs/xdp.md has
 * the whole story.
 */
#ifndef KP_XDP_H
#define KP_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;

/* Linux's values (uapi/linux/bpf.h): programs return these. */
enum xdp_action {
	XDP_ABORTED = 0,
	XDP_DROP,
	XDP_PASS,
	XDP_TX,
	XDP_REDIRECT,
};

/* Room in front of the frame a program may grow into (Linux: the same). */
#define XDP_PACKET_HEADROOM	256

struct xdp_rxq_info {
	struct netif *dev;
	uint32_t ifindex;
	uint32_t queue_index;
};

/*
 * What the hook hands a program. data..data_end is the frame; data_meta..data
 * is metadata a program may prepend (empty unless it calls adjust_meta);
 * data_hard_start is the start of the buffer, XDP_PACKET_HEADROOM before the
 * frame as received; frame_sz bounds how far data_end may grow.
 */
struct xdp_buff {
	void *data;
	void *data_end;
	void *data_meta;
	void *data_hard_start;
	struct xdp_rxq_info *rxq;
	uint32_t frame_sz;
};

/*
 * The context as an eBPF program declares it (uapi struct xdp_md): 32-bit
 * fields that Linux's verifier rewrites into loads from struct xdp_buff. The
 * verifier here (bpf/) does the same rewrite; native programs use xdp_buff
 * directly.
 */
struct xdp_md {
	uint32_t data;
	uint32_t data_end;
	uint32_t data_meta;
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
	uint32_t egress_ifindex;
};

/*
 * A program's entry point, exactly Linux's bpf_func: ctx is the xdp_buff,
 * insnsi the program's instructions (eBPF: for the interpreter; a JIT
 * ignores it). A native C program gets its private data there instead.
 */
typedef unsigned int (*xdp_func_t)(const void *ctx, const void *insnsi);

struct xdp_native;

struct xdp_prog {
	xdp_func_t bpf_func;
	const void *insnsi;
	uint32_t id;			/* unique per load, like Linux's prog id */
	char tag[48];			/* name and arguments, as attached */
	const struct xdp_native *native;	/* NULL for an eBPF program (insnsi: its bpf_prog) */
	uint64_t loaded_ns;
	uint64_t priv[];		/* native programs' state; insnsi points here */
};

static inline unsigned int bpf_prog_run_xdp(const struct xdp_prog *prog, struct xdp_buff *xdp)
{
	return prog->bpf_func(xdp, prog->insnsi);
}

/*
 * Describe a received frame to the hook: the driver placed len bytes at
 * buf + XDP_PACKET_HEADROOM in a buffer of buf_size bytes. Without metadata
 * room (has_meta false) data_meta sits one past data, which is how Linux
 * tells bpf_xdp_adjust_meta() that the driver cannot carry any.
 */
static inline void xdp_buff_wrap(struct xdp_buff *xdp, struct xdp_rxq_info *rxq,
				 unsigned char *buf, uint32_t buf_size, uint32_t len,
				 bool has_meta)
{
	unsigned char *frame = buf + XDP_PACKET_HEADROOM;

	*xdp = (struct xdp_buff){
		.data_hard_start = buf,
		.data = frame,
		.data_end = frame + len,
		.data_meta = frame + !has_meta,
		.rxq = rxq,
		.frame_sz = buf_size,
	};
}

/* ---- helpers a program may call (Linux semantics, 0 or -EINVAL) ---- */

/* Move data by offset (negative: grow the frame into the headroom). */
int bpf_xdp_adjust_head(struct xdp_buff *xdp, int offset);
/* Move data_end by offset (negative: trim; positive: grow, zero filled). */
int bpf_xdp_adjust_tail(struct xdp_buff *xdp, int offset);
/* Move data_meta by offset (negative: more metadata, at most 32 bytes). */
int bpf_xdp_adjust_meta(struct xdp_buff *xdp, int offset);

/* ---- the hook (net/xdp.c) ---- */

/* Per-device counters: the five actions, then invalid verdicts, then frames
 * that met no program. */
enum {
	XDP_STAT_INVALID = XDP_REDIRECT + 1,
	XDP_STAT_NO_PROG,
	XDP_STAT_NUM,
};

struct xdp_dev_stats {
	uint64_t packets[XDP_STAT_NUM];
	uint64_t bytes[XDP_STAT_NUM];
	/* packets per second: a one-second window of jiffies */
	uint64_t win_start;
	uint64_t win_pkts[XDP_STAT_NUM];
	uint64_t rate[XDP_STAT_NUM];	/* of the last complete window */
	uint64_t attaches, detaches;
	uint64_t exceptions;		/* xdp_exception events (traced or suppressed) */
	/* XDP_REDIRECT: frames received here and sent out of a target (or
	 * not), and frames other interfaces redirected out of this one */
	uint64_t redirected, redirect_err;
	uint64_t xdp_xmit, xdp_xmit_err;
};

/*
 * Run dev's program on one frame and count the verdict. Returns the action
 * as the program gave it; the driver acts on XDP_PASS and XDP_TX and
 * hands every other verdict to xdp_verdict_result() (include/net.h),
 * which carries out XDP_REDIRECT and names the drop. No program: XDP_PASS.
 */
unsigned int xdp_run(struct netif *dev, struct xdp_buff *xdp);

/*
 * Install prog on dev (NULL detaches) with one atomic pointer swap; waits
 * until no CPU still runs the old program, frees it, and returns 0.
 */
int xdp_attach(struct netif *dev, struct xdp_prog *prog);
const char *xdp_action_name(unsigned int act);	/* "DROP"...; NULL if invalid */
/* Linux's xdp_exception event: a rate-limited log line, counted on dev. */
void xdp_trace_exception(struct netif *dev, const struct xdp_prog *prog, unsigned int act);

/* ---- XDP_REDIRECT (net/xdp_redirect.c) ---- */

/*
 * What bpf_redirect() and bpf_redirect_map() do: remember ifindex as this
 * CPU's redirect target for the frame being run, and give the verdict
 * (XDP_REDIRECT; XDP_ABORTED for flags Linux would refuse).
 */
unsigned int xdp_redirect_set(uint32_t ifindex, uint64_t flags);
/* Packets per second for one counter slot over the last second. */
uint64_t xdp_rate(const struct xdp_dev_stats *st, unsigned int slot, uint64_t now_jiffies);

/* ---- built-in native programs (net/xdp_progs.c) ---- */

struct xdp_native {
	const char *name;
	const char *args;		/* argument usage, "" if none */
	const char *help;
	int min_args, max_args;
	size_t priv_size;
	/* Parse arguments into priv; on error fill err and return -EINVAL. */
	int (*setup)(void *priv, int argc, char **argv, char *err, size_t errlen);
	xdp_func_t func;
	/* Extra lines for `xdp status` (the count program's table), or NULL. */
	void (*show)(const void *priv);
};

unsigned int xdp_native_count(void);
const struct xdp_native *xdp_native_get(unsigned int i);
const struct xdp_native *xdp_native_find(const char *name);
/* Build a program instance; NULL with err filled on bad arguments or no memory. */
struct xdp_prog *xdp_native_load(const struct xdp_native *n, int argc, char **argv,
				 char *err, size_t errlen);
void xdp_prog_free(struct xdp_prog *prog);

/* ---- eBPF programs (net/xdp_bpf.c) ---- */

/* Wrap the loaded XDP program name (bpf progs) for xdp_attach; NULL with err. */
struct xdp_prog *xdp_bpf_load(const char *name, char *err, size_t errlen);
/* Called by xdp_prog_free for an eBPF program: drops its hold. */
void xdp_bpf_release(struct xdp_prog *prog);

#endif
