/*
 * The network stack's public face: wire formats, the interface a NIC driver
 * registers (struct netif with its ops), the packet buffer, and the counters
 * every stage keeps. Drivers talk to net/ only through this header and
 * include/xdp.h; net/ talks to drivers only through struct netif_ops.
 *
 * Receive runs in the driver's interrupt handler, synchronously: the driver
 * lends its receive buffer to the stack for the duration of one call and
 * recycles it afterwards, so nothing on the receive path allocates.
 *
 * The whole header compiles for the host too (tests/host/test_checksum.c).
 */
#ifndef KP_NET_H
#define KP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib.h"		/* struct spinlock */
#include "xdp.h"

#ifndef EMSGSIZE
#define EMSGSIZE	90	/* Linux's value; include/kerrno.h does not list it */
#endif

/* ---- wire formats (network byte order in the structs) ---- */

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_ZLEN	60		/* minimum frame without FCS */
#define ETH_DATA_LEN	1500
#define ETH_FRAME_LEN	1514		/* maximum frame without FCS */
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806

#define IPPROTO_ICMP	1
#define IPPROTO_TCP	6
#define IPPROTO_UDP	17

static inline uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }

struct ethhdr {
	uint8_t h_dest[ETH_ALEN];
	uint8_t h_source[ETH_ALEN];
	uint16_t h_proto;
} __attribute__((packed));

struct arphdr_eth {
	uint16_t ar_hrd, ar_pro;
	uint8_t ar_hln, ar_pln;
	uint16_t ar_op;
	uint8_t ar_sha[ETH_ALEN];
	uint8_t ar_sip[4];
	uint8_t ar_tha[ETH_ALEN];
	uint8_t ar_tip[4];
} __attribute__((packed));

#define ARPHRD_ETHER	1
#define ARPOP_REQUEST	1
#define ARPOP_REPLY	2

struct iphdr {
	uint8_t ihl:4, version:4;	/* little-endian bit order, as Linux */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;
	uint8_t ttl;
	uint8_t protocol;
	uint16_t check;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed));

#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

struct udphdr {
	uint16_t source, dest, len, check;
} __attribute__((packed));

struct icmphdr {
	uint8_t type, code;
	uint16_t checksum;
	uint16_t id, sequence;	/* echo; other types use these 4 bytes otherwise */
} __attribute__((packed));

#define ICMP_ECHOREPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_ECHO		8
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PROT_UNREACH	2	/* codes of ICMP_DEST_UNREACH */
#define ICMP_PORT_UNREACH	3

/* ---- Internet checksum (net/checksum.c, portable) ---- */

/* One's-complement sum of buf added to sum, 32 bits wide, not folded. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Fold a 32-bit partial sum and complement it: the checksum field value. */
uint16_t csum_fold(uint32_t sum);
/* Checksum of an IPv4 header of ihl 32-bit words (0 when it verifies). */
uint16_t ip_fast_csum(const void *iph, unsigned int ihl);
/* Partial sum of the TCP/UDP pseudo-header (addresses in network order). */
uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len,
			    uint8_t proto, uint32_t sum);
/* Checksum field after a 16-bit word of the data changed (RFC 1624). */
uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new_);

/* Parse dotted-quad "a.b.c.d" into network order; 0 or -EINVAL (net/ipv4.c). */
int inet_parse(const char *s, uint32_t *addr);
/* Format a network-order address into buf (at least 16 bytes). */
char *inet_fmt(uint32_t addr, char *buf);

/* ---- packet buffer ---- */

/*
 * A frame or the packet being built: data..data+len inside head..head+size.
 * Transmit buffers come from netbuf_alloc with NETBUF_HEADROOM in front so
 * each layer can push its header; received frames are wrapped in a netbuf
 * on the stack that borrows the driver's memory (never freed by the stack).
 */
struct netbuf {
	uint8_t *head, *data;
	uint32_t len, size;
	struct netbuf *next;		/* while queued (ARP resolution) */
	uint64_t queued;		/* jiffies when queued */
};

#define NETBUF_HEADROOM	64		/* Ethernet + IPv4 + UDP/ICMP headers fit */

struct netbuf *netbuf_alloc(size_t payload);
void netbuf_free(struct netbuf *nb);

static inline void *netbuf_push(struct netbuf *nb, size_t n)
{
	nb->data -= n;
	nb->len += n;
	return nb->data;
}

static inline void *netbuf_pull(struct netbuf *nb, size_t n)
{
	nb->data += n;
	nb->len -= n;
	return nb->data;
}

/* Append n bytes at the tail; returns where they go. */
static inline void *netbuf_put(struct netbuf *nb, size_t n)
{
	void *p = nb->data + nb->len;

	nb->len += n;
	return p;
}

/* ---- counters ---- */

/*
 * Every received frame ends in exactly one of these results: delivered to
 * a consumer, or dropped for one named reason. The driver counts frames as
 * it takes them off its ring (rx_packets); the result is counted where the
 * frame's journey ends. So at any quiet moment
 *	rx_packets == sum of all results == delivered + dropped.
 * X(enum suffix, counter name, stage)
 */
#define NET_RX_RESULTS(X) \
	X(OK_ARP,		"ok_arp",		"delivered") \
	X(OK_ICMP,		"ok_icmp",		"delivered") \
	X(OK_UDP,		"ok_udp",		"delivered") \
	X(OK_XDP_TX,		"ok_xdp_tx",		"delivered") \
	X(OK_XDP_REDIRECT,	"ok_xdp_redirect",	"delivered") \
	X(DROP_DESC_ERR,	"rx_desc_err",		"driver") \
	X(DROP_MULTI_DESC,	"rx_multi_desc",	"driver") \
	X(DROP_XDP_ABORTED,	"xdp_aborted",		"xdp") \
	X(DROP_XDP_DROP,	"xdp_drop",		"xdp") \
	X(DROP_XDP_REDIRECT,	"xdp_redirect_err",	"xdp") \
	X(DROP_XDP_INVALID,	"xdp_invalid",		"xdp") \
	X(DROP_XDP_TX_ERR,	"xdp_tx_err",		"xdp") \
	X(DROP_RUNT,		"eth_runt",		"ethernet") \
	X(DROP_OVERSIZE,	"eth_oversize",		"ethernet") \
	X(DROP_NOT_US,		"eth_not_us",		"ethernet") \
	X(DROP_ETHERTYPE,	"eth_type",		"ethernet") \
	X(DROP_ARP_BAD,		"arp_malformed",	"arp") \
	X(DROP_ARP_NOT_US,	"arp_not_us",		"arp") \
	X(DROP_IP_SHORT,	"ip_short",		"ipv4") \
	X(DROP_IP_VERSION,	"ip_version",		"ipv4") \
	X(DROP_IP_IHL,		"ip_ihl",		"ipv4") \
	X(DROP_IP_LEN,		"ip_len",		"ipv4") \
	X(DROP_IP_CSUM,		"ip_csum",		"ipv4") \
	X(DROP_IP_FRAG,		"ip_frag",		"ipv4") \
	X(DROP_IP_NOT_US,	"ip_not_us",		"ipv4") \
	X(DROP_IP_PROTO,	"ip_proto",		"ipv4") \
	X(DROP_ICMP_SHORT,	"icmp_short",		"icmp") \
	X(DROP_ICMP_CSUM,	"icmp_csum",		"icmp") \
	X(DROP_ICMP_TYPE,	"icmp_type",		"icmp") \
	X(DROP_UDP_SHORT,	"udp_short",		"udp") \
	X(DROP_UDP_CSUM,	"udp_csum",		"udp") \
	X(DROP_UDP_NO_PORT,	"udp_no_port",		"udp")

enum net_rx_result {
#define NET_RX_ENUM(e, name, stage) NET_RX_##e,
	NET_RX_RESULTS(NET_RX_ENUM)
#undef NET_RX_ENUM
	NET_RX_NUM,
	NET_RX_FIRST_DROP = NET_RX_DROP_DESC_ERR,
};

/* Why a frame we meant to send never reached the device. */
#define NET_TX_DROPS(X) \
	X(RING_FULL,	"tx_ring_full") \
	X(TOO_BIG,	"tx_too_big") \
	X(NO_MEM,	"tx_no_mem") \
	X(NO_ROUTE,	"tx_no_route") \
	X(ARP_FAILED,	"tx_arp_failed") \
	X(ARP_QUEUE,	"tx_arp_queue_full") \
	X(RATELIMIT,	"tx_icmp_ratelimited")

enum net_tx_drop {
#define NET_TX_ENUM(e, name) NET_TX_##e,
	NET_TX_DROPS(NET_TX_ENUM)
#undef NET_TX_ENUM
	NET_TX_NUM,
};

struct netif_stats {
	uint64_t rx_packets, rx_bytes;		/* taken off the ring by the driver */
	uint64_t rx_result[NET_RX_NUM];
	uint64_t tx_queued;			/* handed to the driver */
	uint64_t tx_packets, tx_bytes;		/* completed by the device */
	uint64_t tx_drop[NET_TX_NUM];
};

extern const char *const net_rx_result_name[NET_RX_NUM];
extern const char *const net_rx_result_stage[NET_RX_NUM];
extern const char *const net_tx_drop_name[NET_TX_NUM];

/* ---- interfaces ---- */

typedef void (*net_stat_emit_t)(void *arg, const char *name, uint64_t value);

struct netif_ops {
	/* Copy one frame into the device's transmit ring: 0, -EBUSY when the
	 * ring is full, -EMSGSIZE when it is too long. Any context. */
	int (*xmit)(struct netif *dev, const void *frame, size_t len);
	/* Report the driver's and device's own counters (optional). */
	void (*hw_stats)(struct netif *dev, net_stat_emit_t emit, void *arg);
	/* One line describing the hardware, e.g. "e1000 at 00:03.0" (optional). */
	const char *(*describe)(struct netif *dev);
};

struct netif {
	char name[8];
	int ifindex;
	uint8_t mac[ETH_ALEN];
	uint16_t mtu;
	bool link_up, full_duplex;
	uint32_t speed_mbps;
	/* IPv4, network byte order */
	uint32_t ip, netmask, gateway;
	const struct netif_ops *ops;
	void *priv;
	struct xdp_prog *xdp_prog;	/* swapped atomically, read once per frame */
	int in_rx;			/* CPUs inside this device's receive path */
	/*
	 * Held by the driver around its receive path (the interrupt may be
	 * routed to any CPU, and may move while a batch runs): the receive
	 * ring and every rx counter below change only under it.
	 */
	struct spinlock rx_lock;
	unsigned int irq;		/* the driver's interrupt (irq_set_cpu); 0: none */
	struct netif_stats stats;
	struct xdp_dev_stats xdp_stats;
	struct netif *next;
};

/* Driver side (net/netif.c). */
int netif_register(struct netif *dev);
void netif_set_link(struct netif *dev, bool up, uint32_t mbps, bool full_duplex);
/* Frame taken off the ring: count it (before the hook runs). */
static inline void netif_rx_count(struct netif *dev, size_t len)
{
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
}
/* A frame's journey ended with res. */
static inline void netif_rx_done(struct netif *dev, enum net_rx_result res)
{
	dev->stats.rx_result[res]++;
}
/* XDP_PASS: hand a frame to the protocols; the buffer is only borrowed. */
enum net_rx_result netif_receive(struct netif *dev, void *data, size_t len);
/*
 * What a verdict other than PASS and TX becomes: XDP_REDIRECT is carried
 * out (xdp_do_redirect), the others name their drop. One call on the
 * driver's drop path, which make bench times.
 */
enum net_rx_result xdp_verdict_result(struct netif *dev, struct xdp_buff *xdp, unsigned int act);
/*
 * XDP_REDIRECT: copy the frame into the transmit ring of this CPU's
 * redirect target (set by the program's bpf_redirect*() call, cleared
 * here). NET_RX_OK_XDP_REDIRECT, or NET_RX_DROP_XDP_REDIRECT (no or
 * unknown target, target ring full) with an xdp_exception.
 */
enum net_rx_result xdp_do_redirect(struct netif *dev, struct xdp_buff *xdp);

/* Stack side. */
struct netif *netif_default(void);	/* the first registered, or NULL */
struct netif *netif_first(void);
struct netif *netif_by_index(int ifindex);	/* NULL if none */
struct netif *netif_by_name(const char *name);	/* NULL if none */
/* Send a finished frame (consumes nb); counts drops. 0 or -errno. */
int netif_xmit(struct netif *dev, struct netbuf *nb);
void netif_tx_drop(struct netif *dev, enum net_tx_drop why);
/* Consistent copy of the counters (taken under dev->rx_lock). */
void netif_snapshot(struct netif *dev, struct netif_stats *st, struct xdp_dev_stats *xs);
/* Is addr ours (unicast, subnet or limited broadcast) on dev? */
bool netif_addr_is_local(const struct netif *dev, uint32_t addr);
bool netif_addr_is_broadcast(const struct netif *dev, uint32_t addr);

/* ---- protocols (net/); rx functions get a borrowed buffer ---- */

enum net_rx_result eth_rx(struct netif *dev, struct netbuf *nb);
/* Prepend the Ethernet header and transmit (consumes nb). */
int eth_output(struct netif *dev, struct netbuf *nb, const uint8_t *dst, uint16_t proto);

enum net_rx_result arp_rx(struct netif *dev, struct netbuf *nb);
/* Send an IPv4 packet to next_hop, resolving its MAC first (consumes nb). */
int arp_output(struct netif *dev, struct netbuf *nb, uint32_t next_hop);

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE, ARP_FAILED };
struct arp_entry_info {
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	enum arp_state state;
	uint64_t age_ms;		/* since last confirmed or requested */
	unsigned int queued;		/* packets waiting for resolution */
	const char *dev;
};
/* Fill up to max entries; returns how many. */
unsigned int arp_cache_list(struct arp_entry_info *out, unsigned int max);
/* Learn or refresh a mapping (used by ARP input; exposed for tests). */
void arp_cache_update(struct netif *dev, uint32_t ip, const uint8_t *mac);
bool arp_cache_lookup(struct netif *dev, uint32_t ip, uint8_t *mac);
/* Forget entries (dev NULL: all); pending packets are dropped. */
void arp_flush(struct netif *dev);

enum net_rx_result ip_rx(struct netif *dev, struct netbuf *nb);
/* Prepend an IPv4 header (source dev->ip) and route (consumes nb). */
int ip_output(struct netif *dev, struct netbuf *nb, uint32_t dst, uint8_t proto);

enum net_rx_result icmp_rx(struct netif *dev, struct netbuf *nb, const struct iphdr *ip);
/* Send an echo request with payload_len bytes of data. 0 or -errno. */
int icmp_send_echo(struct netif *dev, uint32_t dst, uint16_t id, uint16_t seq,
		   size_t payload_len);
/* Send an ICMP error about the offending datagram (rate limited). */
void icmp_send_error(struct netif *dev, const struct iphdr *orig, size_t orig_len,
		     uint8_t type, uint8_t code);
/* Receiver of echo replies for `ping` (one at a time; NULL to stop). */
typedef void (*icmp_echo_handler_t)(uint32_t src, uint16_t id, uint16_t seq,
				    uint8_t ttl, size_t len);
void icmp_set_echo_handler(icmp_echo_handler_t fn);

enum net_rx_result udp_rx(struct netif *dev, struct netbuf *nb, const struct iphdr *ip);
typedef void (*udp_handler_t)(struct netif *dev, uint32_t src, uint16_t sport,
			      uint32_t dst, uint16_t dport, const void *data, size_t len);
/* Listen on a port: 0, -EEXIST, -ENOSPC. */
int udp_bind(uint16_t port, udp_handler_t fn);
/* Stop listening on a port (a handler may still be running on another CPU). */
void udp_unbind(uint16_t port);
int udp_send(struct netif *dev, uint32_t dst, uint16_t sport, uint16_t dport,
	     const void *data, size_t len);

/* ---- TFTP client (net/tftp.c) ---- */

#define TFTP_TRIES	5		/* sends of one packet before giving up (1 s apart) */
struct tftp_stats {
	uint64_t packets;		/* datagrams from the server taken */
	uint64_t retransmits;		/* packets sent again after a timeout */
	uint64_t dropped;		/* arrived while the last one was still unread */
	uint64_t ns;			/* the whole transfer */
	uint16_t blksize;		/* negotiated */
};
/*
 * Read a whole file from a TFTP server into a kmalloc'd *buf (the caller
 * frees it), at most max bytes. Waits, polling, until it is done, the
 * server refuses, TFTP_TRIES timeouts in a row, or Ctrl-C; then 0, or
 * -errno and err says why in one phrase. One transfer at a time (-EBUSY).
 */
int tftp_get(struct netif *dev, uint32_t server, const char *name, size_t max, void **buf,
	     size_t *len, struct tftp_stats *stats, char *err, size_t errlen);

#endif
