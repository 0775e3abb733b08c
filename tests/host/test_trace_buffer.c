/*
 * Host tests for probes/trace_buffer.c: order, overwrite-oldest with exact
 * lost counts, wrap-around padding, a reader overrun mid-read, trace_pipe
 * consumption, and a randomized run checked against invariants.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"

static uint8_t mem[64 * 1024];

/* Payload: the entry number, then bytes derived from it. */
static size_t make(uint8_t *buf, uint32_t n, size_t len)
{
	memcpy(buf, &n, 4);
	for (size_t i = 4; i < len; i++)
		buf[i] = (uint8_t)(n * 7 + i);
	return len;
}

static int intact(const uint8_t *buf, size_t len, uint32_t *n)
{
	memcpy(n, buf, 4);
	for (size_t i = 4; i < len; i++)
		if (buf[i] != (uint8_t)(*n * 7 + i))
			return 0;
	return 1;
}

static struct trace_ring_stats stats(const struct trace_ring *r)
{
	struct trace_ring_stats st;

	trace_ring_stats(r, &st);
	return st;
}

static void t_in_order(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[256];
	uint64_t lost;
	uint32_t n;
	size_t len;

	trace_ring_init(&r, mem, 4096);
	for (uint32_t i = 0; i < 10; i++)
		CHECK_EQ(trace_ring_write(&r, buf, make(buf, i, 20 + i)), 0);
	CHECK_EQ(trace_ring_entries(&r), 10);
	CHECK_EQ(stats(&r).written, 10);
	trace_ring_iter_start(&r, &it);
	for (uint32_t i = 0; i < 10; i++) {
		len = trace_ring_next(&r, &it, buf, sizeof(buf), &lost);
		CHECK_EQ(len, 20 + i);
		CHECK_EQ(lost, 0);
		CHECK(intact(buf, len, &n));
		CHECK_EQ(n, i);
	}
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 0);
	/* a non-consuming read leaves everything there */
	CHECK_EQ(trace_ring_entries(&r), 10);
}

static void t_overwrite_counts_lost(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[64];
	uint64_t lost;
	uint32_t n;

	trace_ring_init(&r, mem, 1024);	/* 16 entries of 64 bytes */
	for (uint32_t i = 0; i < 100; i++)
		CHECK_EQ(trace_ring_write(&r, buf, make(buf, i, 40)), 0);
	CHECK_EQ(trace_ring_entries(&r), 16);
	CHECK_EQ(stats(&r).overrun, 84);
	CHECK_EQ(stats(&r).written, 100);
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 40);
	CHECK_EQ(lost, 84);
	CHECK(intact(buf, 40, &n));
	CHECK_EQ(n, 84);
	for (uint32_t i = 85; i < 100; i++) {
		CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 40);
		CHECK_EQ(lost, 0);
		CHECK(intact(buf, 40, &n));
		CHECK_EQ(n, i);
	}
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 0);
}

static void t_wrap_pads(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[512];
	uint64_t lost, total = 0;
	uint32_t n, prev = 0;
	size_t len;
	int count = 0;

	/* 208-byte entries do not divide 1024: every wrap leaves a pad */
	trace_ring_init(&r, mem, 1024);
	for (uint32_t i = 0; i < 23; i++)
		CHECK_EQ(trace_ring_write(&r, buf, make(buf, i, 190)), 0);
	trace_ring_iter_start(&r, &it);
	while ((len = trace_ring_next(&r, &it, buf, sizeof(buf), &lost))) {
		CHECK_EQ(len, 190);
		CHECK(intact(buf, len, &n));
		if (count)
			CHECK_EQ(n, prev + 1);
		total += lost;
		prev = n;
		count++;
	}
	CHECK_EQ(prev, 22);
	CHECK_EQ(count, trace_ring_entries(&r));
	CHECK_EQ(total + count, 23);
	CHECK(count >= 3);
}

static void t_reader_overrun(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[64];
	uint64_t lost;
	uint32_t n;

	trace_ring_init(&r, mem, 1024);
	for (uint32_t i = 0; i < 16; i++)
		trace_ring_write(&r, buf, make(buf, i, 40));
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 40);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 40);
	/* the writer laps the reader: entries 2..9 go */
	for (uint32_t i = 16; i < 24; i++)
		trace_ring_write(&r, buf, make(buf, i, 40));
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 40);
	CHECK_EQ(lost, 6);
	CHECK(intact(buf, 40, &n));
	CHECK_EQ(n, 8);
}

static void t_consume(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[64];
	uint64_t lost;
	uint32_t n;

	trace_ring_init(&r, mem, 1024);
	for (uint32_t i = 0; i < 5; i++)
		trace_ring_write(&r, buf, make(buf, i, 10));
	trace_ring_iter_start(&r, &it);
	trace_ring_next(&r, &it, buf, sizeof(buf), &lost);
	trace_ring_next(&r, &it, buf, sizeof(buf), &lost);
	trace_ring_consume(&r, &it);
	CHECK_EQ(trace_ring_entries(&r), 3);
	CHECK_EQ(stats(&r).written, 5);
	CHECK_EQ(stats(&r).consumed, 2);
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 10);
	CHECK(intact(buf, 10, &n));
	CHECK_EQ(n, 2);
	CHECK_EQ(lost, 0);
	/* consumed entries are not "lost" when the ring then overflows */
	for (uint32_t i = 5; i < 40; i++)
		trace_ring_write(&r, buf, make(buf, i, 10));
	trace_ring_iter_start(&r, &it);
	trace_ring_next(&r, &it, buf, sizeof(buf), &lost);
	CHECK(intact(buf, 10, &n));
	CHECK_EQ(lost, n - 2);
	CHECK_EQ(stats(&r).overrun, n - 2);
	/* consume everything: empty */
	while (trace_ring_next(&r, &it, buf, sizeof(buf), &lost))
		;
	trace_ring_consume(&r, &it);
	CHECK_EQ(trace_ring_entries(&r), 0);
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 0);
}

static void t_limits_and_clear(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[600];
	uint64_t lost;

	trace_ring_init(&r, mem, 1030);
	CHECK_EQ(r.size, 1024);
	CHECK_EQ(trace_ring_max_payload(&r), 512 - 16);
	CHECK_EQ(trace_ring_write(&r, buf, 0), -E2BIG);
	CHECK_EQ(trace_ring_write(&r, buf, 497), -E2BIG);
	CHECK_EQ(trace_ring_write(&r, buf, 496), 0);
	CHECK_EQ(trace_ring_write(&r, buf, 496), 0);
	CHECK_EQ(trace_ring_write(&r, buf, 496), 0);
	CHECK_EQ(trace_ring_entries(&r), 2);
	trace_ring_clear(&r);
	CHECK_EQ(trace_ring_entries(&r), 0);
	CHECK_EQ(stats(&r).written, 0);
	CHECK_EQ(stats(&r).overrun, 0);
	CHECK_EQ(stats(&r).bytes, 0);
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 0);
	/* after a clear only what comes next is there, with no loss reported
	 * when the cleared entries are overwritten */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(trace_ring_write(&r, buf, make(buf, 100 + i, 300)), 0);
	CHECK_EQ(stats(&r).written, 5);
	CHECK_EQ(stats(&r).overrun, 2);
	trace_ring_iter_start(&r, &it);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 300);
	CHECK_EQ(lost, 2);
	/* no memory: writes refused, reads empty */
	trace_ring_init(&r, NULL, 0);
	CHECK_EQ(trace_ring_write(&r, buf, 8), -E2BIG);
	CHECK_EQ(trace_ring_next(&r, &it, buf, sizeof(buf), &lost), 0);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

/* Random sizes, reads and consumes: what is read is always intact and in order. */
static void t_random(void)
{
	struct trace_ring r;
	struct trace_ring_iter it;
	uint8_t buf[2048];
	uint64_t lost, seen_lost = 0;
	uint32_t n, i, written = 0, last = 0, readers = 0;
	size_t len, bytes;
	int have_last = 0;
	struct trace_ring_stats st;

	trace_ring_init(&r, mem, 8192);
	trace_ring_iter_start(&r, &it);
	for (i = 0; i < 20000; i++) {
		if (rnd() % 3) {
			len = 4 + rnd() % (rnd() % 8 ? 100 : 2000);
			CHECK_EQ(trace_ring_write(&r, buf, make(buf, written++, len)), 0);
		} else {
			len = trace_ring_next(&r, &it, buf, sizeof(buf), &lost);
			if (len) {
				CHECK(intact(buf, len, &n));
				if (have_last)
					CHECK_EQ(n, last + 1 + lost);
				last = n;
				have_last = 1;
				seen_lost += lost;
			}
			if (rnd() % 5 == 0) {
				trace_ring_consume(&r, &it);
				readers++;
			}
		}
		st = stats(&r);
		/* every entry written is consumed, lost, or still there */
		CHECK_EQ(st.consumed + st.overrun + st.entries, st.written);
		CHECK(st.bytes <= r.size);
	}
	CHECK_EQ(stats(&r).written, written);
	/* everything left reads back, ending with the last entry written */
	trace_ring_iter_start(&r, &it);
	bytes = 0;
	n = 0;
	while ((len = trace_ring_next(&r, &it, buf, sizeof(buf), &lost))) {
		CHECK(intact(buf, len, &n));
		bytes += len;
	}
	if (trace_ring_entries(&r))
		CHECK_EQ(n, written - 1);
	CHECK(bytes <= r.size);
	CHECK(readers > 100);
	CHECK(seen_lost > 0);
}

int main(void)
{
	RUN(t_in_order);
	RUN(t_overwrite_counts_lost);
	RUN(t_wrap_pads);
	RUN(t_reader_overrun);
	RUN(t_consume);
	RUN(t_limits_and_clear);
	RUN(t_random);
	return check_done();
}
