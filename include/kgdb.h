/*
 * The in-kernel GDB stub (probes/kgdb.c, probes/kgdb_bp.c) and its packet
 * layer (probes/kgdb_rsp.c, probes/kgdb_rsp_wire.c). See docs/gdb.md for
 * how to use it.
 *
 * The packet layer is plain C with no kernel dependencies: framing,
 * checksums, acks, escaping, hex, the amd64 register layout, the target
 * description and the dispatch of every packet the stub understands. The
 * kernel side supplies memory access and breakpoints through struct
 * rsp_ops, and does the resuming. tests/host/test_kgdb_rsp.c drives it on
 * the host.
 */
#ifndef KP_KGDB_H
#define KP_KGDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptregs.h"

/* ---- entering the stub ---- */

/* Stop here and hand the CPU to the debugger (an int3 the stub owns). */
void kgdb_breakpoint(void);

/* ---- packet layer: the wire (probes/kgdb_rsp_wire.c) ---- */

#define RSP_MAX_PACKET	4096	/* payload bytes we accept and send (PacketSize) */

/* What one received byte completed. */
enum rsp_rx_event {
	RSP_RX_NONE,		/* nothing yet (or a byte outside any packet: ignored) */
	RSP_RX_PACKET,		/* rx->buf holds a packet with a good checksum */
	RSP_RX_BADSUM,		/* a packet with a bad checksum ended: answer '-' */
	RSP_RX_TOOLONG,		/* a good packet longer than RSP_MAX_PACKET: ack, answer E */
	RSP_RX_ACK,		/* '+' */
	RSP_RX_NACK,		/* '-' */
	RSP_RX_BREAK,		/* 0x03 (GDB's Ctrl-C) outside a packet */
};

struct rsp_rx {
	int state;
	size_t len;		/* payload bytes in buf (unescaped) */
	uint8_t sum;		/* running checksum of the bytes on the wire */
	uint8_t want;		/* the checksum the packet claims */
	bool esc, overflow;
	char buf[RSP_MAX_PACKET + 1];	/* NUL-terminated payload */
};

void rsp_rx_reset(struct rsp_rx *rx);
enum rsp_rx_event rsp_rx_feed(struct rsp_rx *rx, uint8_t c);

/*
 * Frame a payload as "$...#cs" into out (escaping '$', '#', '}' and '*').
 * Returns the framed length, or 0 if it does not fit in cap.
 */
size_t rsp_frame(char *out, size_t cap, const char *payload, size_t len);
uint8_t rsp_checksum(const char *s, size_t n);

/* Hex helpers; rsp_hex_decode returns bytes decoded or -1 on a bad digit. */
int rsp_hexval(char c);
size_t rsp_hex_encode(char *out, const void *buf, size_t n);
long rsp_hex_decode(void *buf, size_t cap, const char *hex, size_t hexlen);

/* ---- registers: GDB's amd64 numbering ---- */

enum {
	GDB_RAX, GDB_RBX, GDB_RCX, GDB_RDX, GDB_RSI, GDB_RDI, GDB_RBP, GDB_RSP,
	GDB_R8, GDB_R9, GDB_R10, GDB_R11, GDB_R12, GDB_R13, GDB_R14, GDB_R15,
	GDB_RIP, GDB_EFLAGS, GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS,
	GDB_ST0,			/* st0..st7: 10 bytes each, not available */
	GDB_FCTRL = GDB_ST0 + 8,	/* fctrl..fop: 4 bytes each, not available */
	GDB_XMM0 = GDB_FCTRL + 8,	/* xmm0..xmm15: 16 bytes, not available */
	GDB_MXCSR = GDB_XMM0 + 16,
	GDB_NUM_REGS,
};

/* The target description served through qXfer:features:read:target.xml. */
extern const char rsp_target_xml[];

/* ---- packets (probes/kgdb_rsp.c) ---- */

enum rsp_bp_type { RSP_BP_SW, RSP_BP_HW, RSP_WP_WRITE, RSP_WP_READ, RSP_WP_ACCESS };

/*
 * What the kernel provides. Return 0 or a negative errno. insert/remove
 * return -EOPNOTSUPP for a type they lack (GDB is told "unsupported").
 */
struct rsp_ops {
	int (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t n);
	int (*write_mem)(void *ctx, uint64_t addr, const void *buf, size_t n);
	int (*insert_bp)(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind);
	int (*remove_bp)(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind);
};

/* Why the target stopped, for the stop reply. */
enum rsp_stop_kind { RSP_STOP_SIGNAL, RSP_STOP_SWBREAK, RSP_STOP_HWBREAK,
		     RSP_STOP_WATCH, RSP_STOP_RWATCH, RSP_STOP_AWATCH };

struct rsp_session {
	const struct rsp_ops *ops;
	void *ctx;
	struct pt_regs *regs;
	uint32_t ds, es, fs, gs;	/* selectors as read on entry (not writable) */
	int signal;			/* stop signal: 5 SIGTRAP, 11 SIGSEGV ... */
	enum rsp_stop_kind stop_kind;
	uint64_t watch_addr;		/* for the watch stop kinds */
	bool gdb_swbreak, gdb_hwbreak;	/* GDB understands these stop reasons */
	bool reg_written;		/* G/P changed a register */
};

enum rsp_action {
	RSP_REPLY,		/* send the reply and read the next packet */
	RSP_RESUME_CONT,	/* no reply now: continue (the stop reply comes later) */
	RSP_RESUME_STEP,	/* no reply now: single-step one instruction */
	RSP_DETACH,		/* send the reply (OK), remove breakpoints, run on */
	RSP_KILL,		/* no reply: like detach */
};

/* The stop reply for the session's current stop ("T05..."); returns its length. */
size_t rsp_stop_reply(const struct rsp_session *s, char *out, size_t cap);

/*
 * Handle one packet (payload, NUL-terminated). The reply payload (unframed)
 * goes to out; *outlen is its length (0 is the empty "unsupported" reply).
 */
enum rsp_action rsp_dispatch(struct rsp_session *s, const char *pkt, size_t len,
			     char *out, size_t cap, size_t *outlen);

#endif
