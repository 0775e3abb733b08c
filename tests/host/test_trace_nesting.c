/*
 * Host tests for probes/trace_buffer.c under nesting: a write that runs in
 * the middle of a read's copy, or of another write, as a probe on memcpy
 * makes happen in the kernel (`p:all/ *`). The binary is linked with
 * --wrap=memcpy, so every memcpy the ring makes comes through ring_memcpy
 * below, which runs the armed nested write first, like a probe handler on
 * memcpy's entry. Readers must never see a damaged entry, never spin, and
 * the books (written, overwritten, refused) must balance.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"

void *__real_memcpy(void *dst, const void *src, size_t n);
void *__wrap_memcpy(void *dst, const void *src, size_t n);

static uint8_t mem[16 * 1024];
static struct trace_ring ring;
static bool armed, in_hook;
static uint32_t next_n;		/* number the next nested entry carries */
static int nested_err;

/* Payload: the entry number, then bytes derived from it. */
static size_t make(uint8_t *buf, uint32_t n, size_t len)
{
	__real_memcpy(buf, &n, 4);
	for (size_t i = 4; i < len; i++)
		buf[i] = (uint8_t)(n * 13 + i);
	return len;
}

static int intact(const uint8_t *buf, size_t len, uint32_t *n)
{
	__real_memcpy(n, buf, 4);
	for (size_t i = 4; i < len; i++)
		if (buf[i] != (uint8_t)(*n * 13 + i))
			return 0;
	return 1;
}

/* The probe handler: one write of a fresh entry into the same ring. */
static void nested_write(void)
{
	uint8_t buf[200];

	nested_err = trace_ring_write(&ring, buf, make(buf, next_n, 40 + next_n % 150));
	if (!nested_err)
		next_n++;
}

void *__wrap_memcpy(void *dst, const void *src, size_t n)
{
	if (armed && !in_hook) {
		in_hook = true;
		nested_write();
		in_hook = false;
	}
	return __real_memcpy(dst, src, n);
}

static void fill(void)
{
	trace_ring_init(&ring, mem, sizeof(mem));
	next_n = 0;
	/* many times the ring: it is full and has wrapped, with pads */
	for (int i = 0; i < 500; i++)
		nested_write();
}

/*
 * trace_pipe: read the oldest entry and consume it, while each read's copy
 * runs a write into the full ring, which must make room right where the
 * reader is.
 */
static void t_write_inside_read_consuming(void)
{
	struct trace_ring_iter it;
	uint8_t buf[256];
	uint64_t lost, got = 0, lost_sum = 0;
	uint32_t n, prev = 0;
	size_t len;
	int reads = 0;

	fill();
	armed = true;
	for (int i = 0; i < 300; i++) {
		trace_ring_iter_start(&ring, &it);
		len = trace_ring_next(&ring, &it, buf, sizeof(buf), &lost);
		trace_ring_consume(&ring, &it);
		CHECK(len);	/* the nested writes keep it non-empty */
		if (!len)
			break;
		reads++;
		CHECK(intact(buf, len, &n));
		CHECK_EQ(len, 40 + n % 150);
		if (got)
			CHECK(n > prev);
		prev = n;
		got++;
		lost_sum += lost;
	}
	armed = false;
	CHECK_EQ(reads, 300);
	CHECK(ring.refused > 0);	/* some writes needed the pinned entry */
	/* every write either got a number or was refused; each number was
	 * read, reported lost, or is still there */
	CHECK_EQ(ring.next_seq, next_n);
	CHECK_EQ(got + lost_sum + trace_ring_entries(&ring), ring.next_seq);
	CHECK_EQ(ring.overwritten, ring.next_seq - trace_ring_entries(&ring) - got);
}

/* `trace`: one iterator walking on without consuming, lapped all the time. */
static void t_write_inside_read_walking(void)
{
	struct trace_ring_iter it;
	uint8_t buf[256];
	uint64_t lost, got = 0, lost_sum = 0;
	uint32_t n, prev = 0;
	size_t len;

	fill();
	armed = true;
	trace_ring_iter_start(&ring, &it);
	for (int i = 0; i < 300; i++) {
		len = trace_ring_next(&ring, &it, buf, sizeof(buf), &lost);
		CHECK(len);
		if (!len)
			break;
		CHECK(intact(buf, len, &n));
		CHECK_EQ(len, 40 + n % 150);
		if (got)
			CHECK_EQ(n, prev + 1 + lost);	/* the loss is exact */
		else
			CHECK_EQ(n, lost);
		prev = n;
		got++;
		lost_sum += lost;
	}
	armed = false;
	CHECK_EQ(got, 300);
	CHECK(lost_sum > 0);
	CHECK_EQ(ring.pinned, 0);
}

/* A write whose own copy runs another write (an NMI-like hit): refused. */
static void t_write_inside_write(void)
{
	struct trace_ring_iter it;
	uint8_t buf[64], out[64];
	uint64_t lost;
	uint32_t n;

	trace_ring_init(&ring, mem, sizeof(mem));
	next_n = 7;
	armed = true;
	CHECK_EQ(trace_ring_write(&ring, buf, make(buf, 1, 48)), 0);
	armed = false;
	CHECK_EQ(nested_err, -EBUSY);
	CHECK_EQ(ring.refused, 1);
	CHECK_EQ(trace_ring_entries(&ring), 1);
	trace_ring_iter_start(&ring, &it);
	CHECK_EQ(trace_ring_next(&ring, &it, out, sizeof(out), &lost), 48);
	CHECK(intact(out, 48, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(trace_ring_next(&ring, &it, out, sizeof(out), &lost), 0);
	/* not busy afterwards, and a clear forgets the count */
	CHECK_EQ(trace_ring_write(&ring, buf, make(buf, 2, 48)), 0);
	trace_ring_clear(&ring);
	CHECK_EQ(ring.refused, 0);
	CHECK_EQ(trace_ring_entries(&ring), 0);
}

int main(void)
{
	RUN(t_write_inside_read_consuming);
	RUN(t_write_inside_read_walking);
	RUN(t_write_inside_write);
	return check_done();
}
