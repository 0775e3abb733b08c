/*
 * Host tests for probes/trace_buffer.c under nesting: a write that runs in
 * the middle of a read, a consume, a clear or another write on the same
 * CPU, as a probe anywhere in the ring's code makes happen in the kernel
 * (`p:all/ *`, or a probe at an offset). The outer operation runs with the
 * trap flag set, so the CPU traps after every one of its instructions; at
 * every STRIDE-th trap (the phase moving on with each run, so the runs
 * between them cover the instructions) the SIGTRAP handler -- the "probe
 * handler", run by Linux with the flag clear -- writes one fresh entry into
 * the same ring first. (A write after every instruction would outrun any
 * reader: a writer that fast starves whoever reads.) Readers must
 * never see a damaged entry, never spin, and the books (written, consumed,
 * overrun, refused, still there) must balance.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"

static uint8_t mem[16 * 1024];
static struct trace_ring ring;
static volatile sig_atomic_t armed;
static uint32_t next_n;		/* number the next nested entry carries */
static unsigned long steps, nested_ok, nested_refused;
static unsigned int phase;
static unsigned long total_steps;

#define STRIDE	64

#define OUTER	0x80000000U	/* marks an entry the outer code wrote */

/* Payload: the entry number, then bytes derived from it. */
static size_t make(uint8_t *buf, uint32_t n, size_t len)
{
	memcpy(buf, &n, 4);
	for (size_t i = 4; i < len; i++)
		buf[i] = (uint8_t)(n * 13 + i);
	return len;
}

static int intact(const uint8_t *buf, size_t len, uint32_t *n)
{
	memcpy(n, buf, 4);
	for (size_t i = 4; i < len; i++)
		if (buf[i] != (uint8_t)(*n * 13 + i))
			return 0;
	return 1;
}

static size_t nested_len(uint32_t n)
{
	return 40 + n % 150;
}

/* The probe handler: one write of a fresh entry into the same ring. */
static void nested_write(void)
{
	uint8_t buf[200];
	int err = trace_ring_write(&ring, buf, make(buf, next_n, nested_len(next_n)));

	if (!err) {
		next_n++;
		nested_ok++;
	} else if (err == -EBUSY) {
		nested_refused++;
	}
}

static void on_trap(int sig)
{
	(void)sig;
	if (armed && steps++ % STRIDE == phase)
		nested_write();
}

/* Out of line, so the pushes never land in a caller's red zone. */
static __attribute__((noinline)) void step_on(void)
{
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" : : : "memory", "cc");
}

static __attribute__((noinline)) void step_off(void)
{
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" : : : "memory", "cc");
}

/* Run one ring operation with a nested write after each of its instructions. */
#define STEPPED(stmt) do { \
	steps = 0; armed = 1; step_on(); stmt; step_off(); armed = 0; \
	phase = (phase + 7) % STRIDE; total_steps += steps; \
} while (0)

static struct trace_ring_stats stats(void)
{
	struct trace_ring_stats st;

	trace_ring_stats(&ring, &st);
	return st;
}

static void fill(void)
{
	trace_ring_init(&ring, mem, sizeof(mem));
	next_n = 0;
	nested_ok = nested_refused = total_steps = 0;
	/* many times the ring: it is full and has wrapped, with pads */
	for (int i = 0; i < 500; i++)
		nested_write();
}

/*
 * trace_pipe: read the oldest entry and consume it, while every step of the
 * read and of the consume writes into the full ring, which must make room
 * right where the reader is.
 */
static void t_write_inside_read_consuming(void)
{
	struct trace_ring_iter it;
	struct trace_ring_stats st;
	uint8_t buf[256];
	uint64_t lost, got = 0;
	uint32_t n, prev = 0;
	size_t len;

	fill();
	for (int i = 0; i < STRIDE / 2; i++) {
		trace_ring_iter_start(&ring, &it);
		STEPPED(len = trace_ring_next(&ring, &it, buf, sizeof(buf), &lost));
		STEPPED(trace_ring_consume(&ring, &it));
		CHECK(len);	/* the nested writes keep it non-empty */
		if (!len)
			break;
		CHECK(intact(buf, len, &n));
		CHECK_EQ(len, nested_len(n));
		if (got)
			CHECK(n > prev);
		prev = n;
		got++;
	}
	CHECK(total_steps > 1000);
	CHECK(nested_ok > 100);
	st = stats();
	CHECK_EQ(st.written, next_n);
	CHECK_EQ(st.consumed, got);
	/* every write got a number; each number was consumed, lost, or is there */
	CHECK_EQ(st.consumed + st.overrun + st.entries, st.written);
	CHECK(st.overrun > 0);
}

/* `trace`: one iterator walking on without consuming, lapped at every step. */
static void t_write_inside_read_walking(void)
{
	struct trace_ring_iter it;
	uint8_t buf[256];
	uint64_t lost, got = 0, lost_sum = 0;
	uint32_t n, prev = 0;
	size_t len;

	fill();
	trace_ring_iter_start(&ring, &it);
	for (int i = 0; i < STRIDE / 2; i++) {
		STEPPED(len = trace_ring_next(&ring, &it, buf, sizeof(buf), &lost));
		CHECK(len);
		if (!len)
			break;
		CHECK(intact(buf, len, &n));
		CHECK_EQ(len, nested_len(n));
		if (got)
			CHECK_EQ(n, prev + 1 + lost);	/* the loss is exact */
		else
			CHECK_EQ(n, lost);
		prev = n;
		got++;
		lost_sum += lost;
	}
	CHECK_EQ(got, STRIDE / 2);
	CHECK(lost_sum > 0);
	CHECK_EQ(nested_refused, 0);	/* a reader never holds a writer off */
}

/*
 * A write with a write after each of its instructions: before the claim the
 * nested one goes first and the outer one claims again; inside it, the
 * nested one is refused. Everything that went in reads back whole.
 */
static void t_write_inside_write(void)
{
	struct trace_ring_iter it;
	uint8_t buf[200], out[256];
	uint64_t lost, outer_ok = 0, nested_seen = 0, outer_seen = 0;
	uint32_t n, prev_outer = 0, prev_nested = 0;
	size_t len;
	int err;

	trace_ring_init(&ring, mem, sizeof(mem));
	next_n = 0;
	nested_ok = nested_refused = total_steps = 0;
	for (uint32_t i = 0; i < STRIDE / 2; i++) {
		make(buf, OUTER | i, 64);
		STEPPED(err = trace_ring_write(&ring, buf, 64));
		CHECK_EQ(err, 0);
		outer_ok += !err;
	}
	CHECK(nested_refused > 0);
	CHECK(nested_ok > 0);
	CHECK_EQ(stats().refused, nested_refused);
	CHECK_EQ(stats().written, outer_ok + nested_ok);
	CHECK_EQ(stats().overrun, 0);
	trace_ring_iter_start(&ring, &it);
	while ((len = trace_ring_next(&ring, &it, out, sizeof(out), &lost))) {
		CHECK_EQ(lost, 0);
		CHECK(intact(out, len, &n));
		if (n & OUTER) {
			CHECK_EQ(len, 64);
			CHECK(!outer_seen || (n & ~OUTER) == prev_outer + 1);
			prev_outer = n & ~OUTER;
			outer_seen++;
		} else {
			CHECK_EQ(len, nested_len(n));
			CHECK(!nested_seen || n == prev_nested + 1);
			prev_nested = n;
			nested_seen++;
		}
	}
	CHECK_EQ(outer_seen, outer_ok);
	CHECK_EQ(nested_seen, nested_ok);
	/* not busy afterwards */
	CHECK_EQ(trace_ring_write(&ring, buf, make(buf, 2, 48)), 0);
}

/* A clear with writes inside it: what came after the clear's snapshot stays, counted. */
static void t_write_inside_clear(void)
{
	struct trace_ring_stats st;
	struct trace_ring_iter it;
	uint8_t out[256];
	uint64_t lost, got = 0;
	uint32_t n;
	size_t len;

	fill();
	STEPPED(trace_ring_clear(&ring));
	CHECK(total_steps > 10);
	st = stats();
	CHECK(st.written <= total_steps);
	CHECK_EQ(st.overrun + st.entries, st.written);
	trace_ring_iter_start(&ring, &it);
	while ((len = trace_ring_next(&ring, &it, out, sizeof(out), &lost))) {
		CHECK(intact(out, len, &n));
		CHECK_EQ(len, nested_len(n));
		got++;
	}
	CHECK_EQ(got, st.entries);
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, NULL);
	RUN(t_write_inside_read_consuming);
	RUN(t_write_inside_read_walking);
	RUN(t_write_inside_write);
	RUN(t_write_inside_clear);
	return check_done();
}
