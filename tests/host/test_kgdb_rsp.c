/*
 * Host tests for the GDB remote-protocol layer (probes/kgdb_rsp*.c):
 * framing, checksums, acks, escapes, resynchronisation after garbage,
 * the register layout, the target description and packet dispatch against
 * a fake target (a small memory window, a breakpoint log).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "kgdb.h"
#include "kerrno.h"

/* ---- a fake target ---- */

#define MEM_BASE	0x1000
#define MEM_SIZE	256
#define TEXT_BASE	0x1080	/* writes here are refused, as kernel text is */

static uint8_t mem[MEM_SIZE];
static int bp_log_type = -1, bp_log_insert;
static uint64_t bp_log_addr;
static int bp_result;

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	(void)ctx;
	if (addr < MEM_BASE || addr + n > MEM_BASE + MEM_SIZE || addr + n < addr)
		return -EFAULT;
	memcpy(buf, mem + (addr - MEM_BASE), n);
	return 0;
}

static int fake_write(void *ctx, uint64_t addr, const void *buf, size_t n)
{
	(void)ctx;
	if (addr < MEM_BASE || addr + n > MEM_BASE + MEM_SIZE)
		return -EFAULT;
	if (addr + n > TEXT_BASE)
		return -EPERM;
	memcpy(mem + (addr - MEM_BASE), buf, n);
	return 0;
}

static int fake_bp(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind, int insert)
{
	(void)ctx;
	(void)kind;
	if (type == RSP_WP_READ)
		return -EOPNOTSUPP;
	bp_log_type = type;
	bp_log_addr = addr;
	bp_log_insert = insert;
	return bp_result;
}

static int fake_insert(void *ctx, enum rsp_bp_type t, uint64_t a, unsigned int k)
{
	return fake_bp(ctx, t, a, k, 1);
}

static int fake_remove(void *ctx, enum rsp_bp_type t, uint64_t a, unsigned int k)
{
	return fake_bp(ctx, t, a, k, 0);
}

static const struct rsp_ops fake_ops = { fake_read, fake_write, fake_insert, fake_remove };

static struct pt_regs regs;
static struct rsp_session sess;
static char out[RSP_MAX_PACKET + 1];
static size_t outlen;

static void reset(void)
{
	memset(&regs, 0, sizeof(regs));
	regs.ax = 0x1122334455667788ULL;
	regs.bp = 0xffffffff80200000ULL;
	regs.sp = 0xffffffff80201000ULL;
	regs.ip = 0xffffffff80100010ULL;
	regs.flags = 0x202;
	regs.cs = 0x08;
	regs.ss = 0x10;
	regs.r15 = 15;
	memset(&sess, 0, sizeof(sess));
	sess.ops = &fake_ops;
	sess.regs = &regs;
	sess.ds = sess.es = 0x10;
	sess.signal = 5;
	for (int i = 0; i < MEM_SIZE; i++)
		mem[i] = (uint8_t)i;
	bp_result = 0;
	bp_log_type = -1;
}

static enum rsp_action run(const char *pkt)
{
	return rsp_dispatch(&sess, pkt, strlen(pkt), out, sizeof(out), &outlen);
}

/* Feed a string; return the last non-NONE event (and how many there were). */
static enum rsp_rx_event feed(struct rsp_rx *rx, const char *s, size_t n, int *events)
{
	enum rsp_rx_event last = RSP_RX_NONE, e;

	*events = 0;
	for (size_t i = 0; i < n; i++) {
		e = rsp_rx_feed(rx, (uint8_t)s[i]);
		if (e != RSP_RX_NONE) {
			last = e;
			(*events)++;
		}
	}
	return last;
}

/* ---- framing ---- */

static void t_checksum_and_frame(void)
{
	char buf[64];

	CHECK_EQ(rsp_checksum("OK", 2), 0x9a);
	CHECK_EQ(rsp_frame(buf, sizeof(buf), "OK", 2), 6);
	CHECK_STR(buf, "$OK#9a");
	CHECK_EQ(rsp_frame(buf, sizeof(buf), "", 0), 4);
	CHECK_STR(buf, "$#00");
	/* too small: nothing, never a truncated packet */
	CHECK_EQ(rsp_frame(buf, 6, "OKOK", 4), 0);
}

static void t_frame_escapes(void)
{
	char buf[64];
	struct rsp_rx rx;
	int ev;

	/* every special byte escaped; the receiver gets the original back */
	size_t n = rsp_frame(buf, sizeof(buf), "a$b#c}d*e", 9);

	CHECK(n > 0);
	CHECK(strncmp(buf, "$a}\x04" "b}\x03" "c}]d}\x0a" "e#", 15) == 0);
	rsp_rx_reset(&rx);
	CHECK_EQ(feed(&rx, buf, n, &ev), RSP_RX_PACKET);
	CHECK_EQ(ev, 1);
	CHECK_EQ(rx.len, 9);
	CHECK(memcmp(rx.buf, "a$b#c}d*e", 9) == 0);
}

static void t_rx_good_and_bad(void)
{
	struct rsp_rx rx;
	int ev;

	rsp_rx_reset(&rx);
	CHECK_EQ(feed(&rx, "$g#67", 5, &ev), RSP_RX_PACKET);
	CHECK_STR(rx.buf, "g");
	CHECK_EQ(feed(&rx, "$g#68", 5, &ev), RSP_RX_BADSUM);
	CHECK_EQ(feed(&rx, "$g#6G", 5, &ev), RSP_RX_BADSUM);	/* not hex */
	/* uppercase checksum digits are accepted */
	CHECK_EQ(feed(&rx, "$qC#B4", 6, &ev), RSP_RX_PACKET);
	CHECK_STR(rx.buf, "qC");
	CHECK_EQ(feed(&rx, "+", 1, &ev), RSP_RX_ACK);
	CHECK_EQ(feed(&rx, "-", 1, &ev), RSP_RX_NACK);
	CHECK_EQ(feed(&rx, "\x03", 1, &ev), RSP_RX_BREAK);
}

static void t_rx_resync_after_garbage(void)
{
	struct rsp_rx rx;
	char noise[512];
	int ev;

	rsp_rx_reset(&rx);
	/* bytes outside packets are ignored */
	CHECK_EQ(feed(&rx, "hello world\r\n\x01\xff", 15, &ev), RSP_RX_NONE);
	/* a packet cut short by a new '$' is dropped; the new one counts */
	CHECK_EQ(feed(&rx, "$m1000,4$g#67", 13, &ev), RSP_RX_PACKET);
	CHECK_EQ(ev, 1);
	CHECK_STR(rx.buf, "g");
	/* pseudo-random noise never produces a packet by accident often, and never breaks the next one */
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245 + 12345;
		noise[i] = (char)(x >> 16);
	}
	feed(&rx, noise, sizeof(noise), &ev);
	CHECK_EQ(feed(&rx, "$g#67", 5, &ev), RSP_RX_PACKET);
	CHECK_STR(rx.buf, "g");
}

static void t_rx_too_long(void)
{
	static char big[RSP_MAX_PACKET + 100];
	struct rsp_rx rx;
	size_t n = 0;
	uint8_t sum = 0;
	char tail[4];
	int ev;

	big[n++] = '$';
	for (int i = 0; i < RSP_MAX_PACKET + 10; i++) {
		big[n++] = 'a';
		sum += 'a';
	}
	snprintf(tail, sizeof(tail), "#%02x", sum);
	memcpy(big + n, tail, 3);
	n += 3;
	rsp_rx_reset(&rx);
	CHECK_EQ(feed(&rx, big, n, &ev), RSP_RX_TOOLONG);
	CHECK_EQ(ev, 1);
	/* and the receiver works afterwards */
	CHECK_EQ(feed(&rx, "$g#67", 5, &ev), RSP_RX_PACKET);
}

static void t_hex(void)
{
	uint8_t b[4];
	char h[9];

	CHECK_EQ(rsp_hex_decode(b, sizeof(b), "deadBEEF", 8), 4);
	CHECK_EQ(b[0], 0xde);
	CHECK_EQ(b[3], 0xef);
	CHECK_EQ(rsp_hex_decode(b, sizeof(b), "dea", 3), -1);
	CHECK_EQ(rsp_hex_decode(b, sizeof(b), "zz", 2), -1);
	CHECK_EQ(rsp_hex_decode(b, 1, "0102", 4), -1);
	rsp_hex_encode(h, b, 4);
	CHECK_STR(h, "deadbeef");
}

/* ---- packets ---- */

static void t_query_supported(void)
{
	reset();
	CHECK_EQ(run("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+"), RSP_REPLY);
	CHECK(strstr(out, "PacketSize=1000") != NULL);
	CHECK(strstr(out, "qXfer:features:read+") != NULL);
	CHECK(sess.gdb_swbreak && sess.gdb_hwbreak);
	CHECK_EQ(run("vCont?"), RSP_REPLY);
	CHECK_STR(out, "vCont;c;C;s;S");
	CHECK_EQ(run("qAttached"), RSP_REPLY);
	CHECK_STR(out, "1");
	/* unknown packets get the empty reply */
	CHECK_EQ(run("qTStatus"), RSP_REPLY);
	CHECK_EQ(outlen, 0);
	CHECK_EQ(run("!"), RSP_REPLY);
	CHECK_EQ(outlen, 0);
	CHECK_EQ(run("vMustReplyEmpty"), RSP_REPLY);
	CHECK_EQ(outlen, 0);
	CHECK_EQ(run("Hg0"), RSP_REPLY);
	CHECK_STR(out, "OK");
}

static void t_stop_reply(void)
{
	reset();
	run("?");
	CHECK_STR(out, "T0506:00002080ffffffff;07:00102080ffffffff;10:10001080ffffffff;");
	sess.gdb_swbreak = true;
	sess.stop_kind = RSP_STOP_SWBREAK;
	run("?");
	CHECK(strstr(out, "swbreak:;") != NULL);
	sess.stop_kind = RSP_STOP_WATCH;
	sess.watch_addr = 0x1234;
	run("?");
	CHECK(strstr(out, ";watch:1234;") != NULL);
}

static void t_target_xml(void)
{
	char xml[16384];
	size_t got = 0;

	reset();
	/* read it in chunks as GDB does; the last chunk starts with 'l' */
	for (;;) {
		char pkt[64];

		snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,%x", got, 700);
		CHECK_EQ(run(pkt), RSP_REPLY);
		CHECK(out[0] == 'm' || out[0] == 'l');
		memcpy(xml + got, out + 1, outlen - 1);
		got += outlen - 1;
		if (out[0] == 'l' || got > sizeof(xml) - 800)
			break;
	}
	xml[got] = '\0';
	CHECK_STR(xml, rsp_target_xml);
	CHECK(strstr(xml, "<architecture>i386:x86-64</architecture>") != NULL);
	CHECK(strstr(xml, "org.gnu.gdb.i386.core") != NULL);
	/* no byte that would need escaping (the framing would cope, but keep it plain) */
	CHECK(strpbrk(xml, "$#}*") == NULL);
	CHECK_EQ(run("qXfer:features:read:other.xml:0,100"), RSP_REPLY);
	CHECK(out[0] == 'E');
}

static void t_regs(void)
{
	reset();
	CHECK_EQ(run("g"), RSP_REPLY);
	/* 16 GPRs + rip (8 bytes), eflags + 6 segments (4), st0-7 (10), 8 x87 ctl (4), 16 xmm (16), mxcsr (4) */
	CHECK_EQ(outlen, 2 * (17 * 8 + 7 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4));
	CHECK(strncmp(out, "8877665544332211", 16) == 0);		/* rax, little-endian */
	CHECK(strncmp(out + 16 * 16, "10001080ffffffff", 16) == 0);	/* rip */
	CHECK(strncmp(out + 17 * 16, "02020000" "08000000" "10000000", 24) == 0);
	CHECK(out[2 * (17 * 8 + 7 * 4)] == 'x');			/* st0 unavailable */
	CHECK_EQ(run("p10"), RSP_REPLY);
	CHECK_STR(out, "10001080ffffffff");
	CHECK_EQ(run("pf"), RSP_REPLY);
	CHECK_STR(out, "0f00000000000000");
	CHECK_EQ(run("p18"), RSP_REPLY);
	CHECK_STR(out, "xxxxxxxxxxxxxxxxxxxx");
	CHECK_EQ(run("p99"), RSP_REPLY);
	CHECK(out[0] == 'E');
	/* P: rdi, then rip; reg_written says the debugger changed something */
	CHECK_EQ(run("P5=0100000000000000"), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(regs.di, 1);
	CHECK(sess.reg_written);
	CHECK_EQ(run("P5=01"), RSP_REPLY);		/* wrong size */
	CHECK(out[0] == 'E');
	/* eflags: TF and RF stay the stub's */
	CHECK_EQ(run("P11=03010100"), RSP_REPLY);
	CHECK_EQ(regs.flags, 0x3);	/* CF set, IF cleared, TF and RF ignored */
	/* segment selectors: "no change" only */
	CHECK_EQ(run("P12=08000000"), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(run("P12=10000000"), RSP_REPLY);
	CHECK(out[0] == 'E');
}

static void t_write_all_regs(void)
{
	char pkt[2048];
	struct pt_regs before;

	reset();
	run("g");
	/* change rbx (register 1) through G, leave the rest */
	pkt[0] = 'G';
	memcpy(pkt + 1, out, outlen + 1);
	memcpy(pkt + 1 + 16, "efbeadde00000000", 16);
	before = regs;
	CHECK_EQ(run(pkt), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(regs.bx, 0xdeadbeef);
	CHECK_EQ(regs.ax, before.ax);
	CHECK_EQ(regs.ip, before.ip);
	/* a short G changes nothing */
	CHECK_EQ(run("G0000"), RSP_REPLY);
	CHECK(out[0] == 'E');
	CHECK_EQ(regs.bx, 0xdeadbeef);
}

static void t_memory(void)
{
	reset();
	CHECK_EQ(run("m1000,4"), RSP_REPLY);
	CHECK_STR(out, "00010203");
	/* reads stop at the first unreadable byte; nothing readable is an error */
	CHECK_EQ(run("m10fc,8"), RSP_REPLY);
	CHECK_STR(out, "fcfdfeff");
	CHECK_EQ(run("m0,4"), RSP_REPLY);
	CHECK_STR(out, "E0e");
	CHECK_EQ(run("mffffffffffffffff,10"), RSP_REPLY);
	CHECK(out[0] == 'E');
	CHECK_EQ(run("m1000"), RSP_REPLY);
	CHECK(out[0] == 'E');
	CHECK_EQ(run("mzz,4"), RSP_REPLY);
	CHECK(out[0] == 'E');
	/* M writes hex; X writes binary; both refused on "text" */
	CHECK_EQ(run("M1010,2:abcd"), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(mem[0x10], 0xab);
	CHECK_EQ(mem[0x11], 0xcd);
	CHECK_EQ(run("M1010,2:abc"), RSP_REPLY);
	CHECK(out[0] == 'E');
	CHECK_EQ(run("M1090,1:cc"), RSP_REPLY);
	CHECK_STR(out, "E01");
	CHECK_EQ(rsp_dispatch(&sess, "X1020,3:a\0#", 11, out, sizeof(out), &outlen), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(mem[0x20], 'a');
	CHECK_EQ(mem[0x21], 0);
	CHECK_EQ(mem[0x22], '#');
	CHECK_EQ(run("X1020,0:"), RSP_REPLY);	/* GDB's probe for X support */
	CHECK_STR(out, "OK");
	CHECK_EQ(run("X1020,4:ab"), RSP_REPLY);
	CHECK(out[0] == 'E');
}

static void t_breakpoints(void)
{
	reset();
	CHECK_EQ(run("Z0,ffffffff80100020,1"), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(bp_log_type, RSP_BP_SW);
	CHECK_EQ(bp_log_insert, 1);
	CHECK(bp_log_addr == 0xffffffff80100020ULL);
	CHECK_EQ(run("z1,ffffffff80100030,1"), RSP_REPLY);
	CHECK_STR(out, "OK");
	CHECK_EQ(bp_log_type, RSP_BP_HW);
	CHECK_EQ(bp_log_insert, 0);
	bp_result = -ENOSPC;
	CHECK_EQ(run("Z1,ffffffff80100030,1"), RSP_REPLY);
	CHECK_STR(out, "E1c");
	CHECK_EQ(run("Z3,1000,4"), RSP_REPLY);		/* the target lacks it: empty */
	CHECK_EQ(outlen, 0);
	CHECK_EQ(run("Z9,1000,4"), RSP_REPLY);
	CHECK_EQ(outlen, 0);
	CHECK_EQ(run("Z0,zz,1"), RSP_REPLY);
	CHECK(out[0] == 'E');
	bp_result = 0;
	CHECK_EQ(run("Z0,1000,1;X2,0a"), RSP_REPLY);	/* conditions are ignored */
	CHECK_STR(out, "OK");
}

static void t_resume(void)
{
	reset();
	CHECK_EQ(run("c"), RSP_RESUME_CONT);
	CHECK(!sess.reg_written);
	CHECK_EQ(run("s"), RSP_RESUME_STEP);
	CHECK_EQ(run("vCont;s:1;c"), RSP_RESUME_STEP);
	CHECK_EQ(run("vCont;c"), RSP_RESUME_CONT);
	CHECK_EQ(run("C0b"), RSP_RESUME_CONT);
	CHECK_EQ(run("cffffffff80100040"), RSP_RESUME_CONT);
	CHECK(regs.ip == 0xffffffff80100040ULL);
	CHECK(sess.reg_written);
	CHECK_EQ(run("S05;ffffffff80100050"), RSP_RESUME_STEP);
	CHECK(regs.ip == 0xffffffff80100050ULL);
	CHECK_EQ(run("cxyz"), RSP_REPLY);
	CHECK(out[0] == 'E');
	CHECK_EQ(run("D"), RSP_DETACH);
	CHECK_STR(out, "OK");
	CHECK_EQ(run("D;1"), RSP_DETACH);
	CHECK_EQ(run("k"), RSP_KILL);
	CHECK_EQ(outlen, 0);
}

int main(void)
{
	RUN(t_checksum_and_frame);
	RUN(t_frame_escapes);
	RUN(t_rx_good_and_bad);
	RUN(t_rx_resync_after_garbage);
	RUN(t_rx_too_long);
	RUN(t_hex);
	RUN(t_query_supported);
	RUN(t_stop_reply);
	RUN(t_target_xml);
	RUN(t_regs);
	RUN(t_write_all_regs);
	RUN(t_memory);
	RUN(t_breakpoints);
	RUN(t_resume);
	return check_done();
}
