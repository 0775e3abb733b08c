/*
 * TFTP client (RFC 1350, octet mode), with the blksize (RFC 2348) and
 * tsize (RFC 2349) options, for fetching modules and BPF objects from
 * QEMU's built-in server (-netdev user,tftp=DIR answers at 10.0.2.2).
 *
 * One transfer at a time, driven by the caller's thread: the UDP handler,
 * which runs in the receive interrupt on whatever CPU the NIC's interrupt
 * is routed to, only copies a datagram into a one-slot mailbox. The thread
 * parses it, grows the buffer and answers, so nothing here allocates or
 * transmits in interrupt context. The protocol is lock-step (one block in
 * flight), so a datagram arriving while the slot is full is a duplicate the
 * server will send again; it is counted and dropped.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "mm.h"
#include "net.h"

#define TFTP_PORT	69
#define OP_RRQ		1
#define OP_DATA		3
#define OP_ACK		4
#define OP_ERROR	5
#define OP_OACK		6

#define ERR_UNDEF	0	/* error codes a client sends (RFC 1350, 2347) */
#define ERR_DISK_FULL	3
#define ERR_BAD_OP	4
#define ERR_BAD_TID	5
#define ERR_OPTION	8

#define BLKSIZE_ASK	1432	/* fits a 1500-byte MTU: 20 IP + 8 UDP + 4 TFTP */
#define BLKSIZE_STD	512
#define TIMEOUT_NS	1000000000ULL	/* per packet, before sending it again */
#define LOCAL_PORT0	49152		/* first of the ephemeral ports used */

struct tftp_state {
	struct spinlock lock;		/* the mailbox, against the interrupt */
	bool active;
	uint32_t server;
	unsigned int waiter;		/* the CPU the transfer waits on */
	/* mailbox: one datagram from the server */
	bool full;
	uint16_t sport;
	size_t len;
	uint8_t pkt[4 + BLKSIZE_ASK];
	uint64_t dropped;		/* arrived while the slot was full */
};

static struct tftp_state st = { .lock = SPINLOCK_INIT("tftp") };
static uint16_t next_port;

static void tftp_udp_rx(struct netif *dev, uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const void *data, size_t len)
{
	uint64_t flags = spin_lock_irqsave(&st.lock);
	bool wake = false;

	(void)dev, (void)dst, (void)dport;
	if (!st.active || src != st.server || len > sizeof(st.pkt) || len < 2) {
		/* not from our server, or no transfer: ignore (a late duplicate) */
	} else if (st.full) {
		st.dropped++;
	} else {
		memcpy(st.pkt, data, len);
		st.len = len;
		st.sport = sport;
		WRITE_ONCE(st.full, true);
		wake = true;
	}
	spin_unlock_irqrestore(&st.lock, flags);
	/* the NIC may interrupt another CPU than the one halted waiting for this */
	if (wake)
		smp_wake(st.waiter);
}

/* One transfer's thread-side state. */
struct xfer {
	struct netif *dev;
	const char *name;
	uint16_t lport, rport;		/* rport 0 until the server's first reply */
	uint16_t blksize, next_block;
	uint64_t tsize;			/* announced by the server, 0 if not */
	size_t max;
	uint8_t *buf;
	size_t len, cap;
	uint8_t last[600];		/* what to send again on a timeout */
	size_t last_len;
	uint8_t pkt[sizeof(st.pkt)];
	size_t pkt_len;
	uint16_t pkt_sport;
	char *err;
	size_t errlen;
};

static void send_last(struct xfer *x)
{
	udp_send(x->dev, st.server, x->lport, x->rport ? x->rport : TFTP_PORT, x->last, x->last_len);
}

static void send_ack(struct xfer *x, uint16_t block)
{
	x->last[0] = 0;
	x->last[1] = OP_ACK;
	x->last[2] = block >> 8;
	x->last[3] = block & 0xff;
	x->last_len = 4;
	send_last(x);
}

/* An ERROR packet to port (not remembered: nothing answers an error). */
static void send_error(struct xfer *x, uint16_t port, uint16_t code, const char *msg)
{
	uint8_t p[64];
	size_t n = min(strlen(msg), sizeof(p) - 5);

	p[0] = 0;
	p[1] = OP_ERROR;
	p[2] = code >> 8;
	p[3] = code & 0xff;
	memcpy(p + 4, msg, n);
	p[4 + n] = 0;
	udp_send(x->dev, st.server, x->lport, port, p, n + 5);
}

static size_t put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p, s, n);
	return n;
}

static int send_rrq(struct xfer *x)
{
	size_t n = 2, len = strlen(x->name);

	if (len > 255) {
		snprintf(x->err, x->errlen, "file name longer than 255 characters");
		return -ENAMETOOLONG;
	}
	x->last[0] = 0;
	x->last[1] = OP_RRQ;
	n += put_str(x->last + n, x->name);
	n += put_str(x->last + n, "octet");
	n += put_str(x->last + n, "blksize");
	n += snprintf((char *)x->last + n, 8, "%u", BLKSIZE_ASK) + 1;
	n += put_str(x->last + n, "tsize");
	n += put_str(x->last + n, "0");
	x->last_len = n;
	send_last(x);
	return 0;
}

static int too_large(struct xfer *x, uint16_t port, uint64_t size)
{
	send_error(x, port, ERR_DISK_FULL, "file too large");
	snprintf(x->err, x->errlen, "'%s' is too large (%lu bytes; at most %lu)", x->name,
		 size, (uint64_t)x->max);
	return -EFBIG;
}

static int reserve(struct xfer *x, size_t need)
{
	size_t cap = x->cap ? x->cap : 64 * 1024;
	uint8_t *nb;

	if (need <= x->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	nb = kmalloc(cap);
	if (!nb) {
		snprintf(x->err, x->errlen, "out of memory for %lu bytes", (uint64_t)cap);
		return -ENOMEM;
	}
	if (x->len)
		memcpy(nb, x->buf, x->len);
	kfree(x->buf);
	x->buf = nb;
	x->cap = cap;
	return 0;
}

/* Option names compare without case (RFC 2347). */
static bool opt_is(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != *b)
			return false;
	return !*a && !*b;
}

/* OACK: "name\0value\0" pairs; only what we asked for may come back. */
static int take_oack(struct xfer *x)
{
	const char *p = (const char *)x->pkt + 2, *end = (const char *)x->pkt + x->pkt_len;

	while (p < end) {
		const char *opt = p, *val = opt + strnlen(opt, end - opt) + 1;
		uint64_t v;

		if (val >= end || val + strnlen(val, end - val) >= end || kstrtou64(val, &v)) {
			send_error(x, x->rport, ERR_OPTION, "malformed OACK");
			snprintf(x->err, x->errlen, "malformed option acknowledgement");
			return -EPROTO;
		}
		p = val + strlen(val) + 1;
		if (opt_is(opt, "blksize") && v >= 8 && v <= BLKSIZE_ASK) {
			x->blksize = v;
		} else if (opt_is(opt, "tsize")) {
			x->tsize = v;
			if (v > x->max)
				return too_large(x, x->rport, v);
		} else {
			send_error(x, x->rport, ERR_OPTION, "unrequested option");
			snprintf(x->err, x->errlen, "server acknowledged option '%s' = %lu", opt, v);
			return -EPROTO;
		}
	}
	return x->tsize ? reserve(x, x->tsize) : 0;
}

/* 1: transfer complete, 0: go on, <0: failed. */
static int take_packet(struct xfer *x)
{
	uint16_t op = x->pkt[0] << 8 | x->pkt[1], block;
	size_t n;
	int ret;

	if (!x->rport) {
		x->rport = x->pkt_sport;	/* the server's transfer ID */
	} else if (x->pkt_sport != x->rport) {
		send_error(x, x->pkt_sport, ERR_BAD_TID, "Unknown transfer ID");
		return 0;
	}
	switch (op) {
	case OP_ERROR: {
		size_t mlen = x->pkt_len > 4 ? strnlen((const char *)x->pkt + 4, x->pkt_len - 4) : 0;

		snprintf(x->err, x->errlen, "server: %.*s (error %u)", (int)min(mlen, (size_t)80),
			 (const char *)x->pkt + 4, x->pkt_len >= 4 ? x->pkt[2] << 8 | x->pkt[3] : 0);
		return -ENOENT;
	}
	case OP_OACK:
		if (x->next_block != 1 || x->len)
			return 0;	/* a duplicate: our ACK 0 went out already */
		ret = take_oack(x);
		if (ret)
			return ret;
		send_ack(x, 0);
		return 0;
	case OP_DATA:
		if (x->pkt_len < 4)
			break;
		block = x->pkt[2] << 8 | x->pkt[3];
		n = x->pkt_len - 4;
		if (block == (uint16_t)(x->next_block - 1)) {
			send_ack(x, block);	/* our ACK was lost: say it again */
			return 0;
		}
		if (block != x->next_block)
			return 0;
		if (n > x->blksize)
			break;
		if (x->len + n > x->max)
			return too_large(x, x->rport, x->len + n);
		ret = reserve(x, x->len + n);
		if (ret) {
			send_error(x, x->rport, ERR_DISK_FULL, "out of memory");
			return ret;
		}
		memcpy(x->buf + x->len, x->pkt + 4, n);
		x->len += n;
		send_ack(x, block);
		x->next_block++;
		return n < x->blksize;
	default:
		break;
	}
	send_error(x, x->rport, ERR_BAD_OP, "Illegal TFTP operation");
	snprintf(x->err, x->errlen, "server sent a malformed or unexpected packet (opcode %u)", op);
	return -EPROTO;
}

static bool mailbox_take(struct xfer *x)
{
	uint64_t flags;
	bool got = false;

	if (!READ_ONCE(st.full))
		return false;
	flags = spin_lock_irqsave(&st.lock);
	if (st.full) {
		memcpy(x->pkt, st.pkt, st.len);
		x->pkt_len = st.len;
		x->pkt_sport = st.sport;
		st.full = false;
		got = true;
	}
	spin_unlock_irqrestore(&st.lock, flags);
	return got;
}

static int run(struct xfer *x, struct tftp_stats *stats)
{
	uint64_t deadline = uptime_ns() + TIMEOUT_NS;
	unsigned int tries = 1;
	char a[16];
	int ret = send_rrq(x);

	while (!ret) {
		if (mailbox_take(x)) {
			uint16_t before = x->next_block;

			ret = take_packet(x);
			stats->packets++;
			if (x->next_block != before || x->tsize) {
				deadline = uptime_ns() + TIMEOUT_NS;
				tries = 1;
			}
			continue;
		}
		if (console_interrupted()) {
			if (x->rport)
				send_error(x, x->rport, ERR_UNDEF, "transfer cancelled");
			snprintf(x->err, x->errlen, "interrupted");
			return -EINTR;
		}
		if (uptime_ns() >= deadline) {
			if (tries == TFTP_TRIES) {
				if (!x->rport)
					snprintf(x->err, x->errlen, "timed out: no answer from %s:%u after %u tries",
						 inet_fmt(st.server, a), TFTP_PORT, tries);
				else
					snprintf(x->err, x->errlen, "timed out waiting for block %u after %u tries",
						 x->next_block, tries);
				return -ETIMEDOUT;
			}
			tries++;
			stats->retransmits++;
			send_last(x);
			deadline = uptime_ns() + TIMEOUT_NS;
			continue;
		}
		/*
		 * Look once more with interrupts off, then sti; hlt: a packet
		 * (or its smp_wake) arriving after the look still ends the hlt.
		 */
		local_irq_disable();
		if (READ_ONCE(st.full))
			local_irq_enable();
		else
			asm volatile("sti; hlt" : : : "memory");
	}
	return ret < 0 ? ret : 0;
}

int tftp_get(struct netif *dev, uint32_t server, const char *name, size_t max, void **buf,
	     size_t *len, struct tftp_stats *stats, char *err, size_t errlen)
{
	struct xfer *x;
	uint64_t flags, t0 = uptime_ns();
	int ret;

	*buf = NULL;
	*len = 0;
	memset(stats, 0, sizeof(*stats));
	if (!dev) {
		snprintf(err, errlen, "no network interface");
		return -ENODEV;
	}
	if (!*name) {
		snprintf(err, errlen, "no file name");
		return -EINVAL;
	}
	x = kzalloc(sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*x = (struct xfer){ .dev = dev, .name = name, .blksize = BLKSIZE_STD, .next_block = 1,
			    .max = max, .err = err, .errlen = errlen };
	flags = spin_lock_irqsave(&st.lock);
	if (st.active) {
		spin_unlock_irqrestore(&st.lock, flags);
		kfree(x);
		snprintf(err, errlen, "another transfer is running");
		return -EBUSY;
	}
	st.active = true;
	st.full = false;
	st.server = server;
	st.waiter = this_cpu()->cpu;
	spin_unlock_irqrestore(&st.lock, flags);

	/* a fresh local port per transfer, so a late packet of the last one is not ours */
	for (unsigned int i = 0; i < 1024; i++) {
		x->lport = LOCAL_PORT0 + next_port++ % 16384;
		if (!udp_bind(x->lport, tftp_udp_rx))
			break;
		x->lport = 0;
	}
	if (!x->lport) {
		snprintf(err, errlen, "no free UDP port");
		ret = -EADDRINUSE;
	} else {
		ret = run(x, stats);
		udp_unbind(x->lport);
	}
	flags = spin_lock_irqsave(&st.lock);
	st.active = false;
	stats->dropped = st.dropped;
	st.dropped = 0;
	spin_unlock_irqrestore(&st.lock, flags);

	stats->blksize = x->blksize;
	stats->ns = uptime_ns() - t0;
	if (ret) {
		kfree(x->buf);
	} else {
		*buf = x->buf;
		*len = x->len;
	}
	kfree(x);
	return ret;
}
