/*
 * The trace ring buffer: variable-length entries in one byte ring, oldest
 * overwritten first, every overwritten entry counted.
 *
 *   | hdr | payload ... | hdr | payload | pad ...... |   (wraps to offset 0)
 *      ^tail                               ^head
 *
 * Positions (head, tail) only ever grow; the offset in the buffer is the
 * position modulo the size. An entry never wraps: when one does not fit
 * before the end, the rest of the buffer becomes a pad entry and the entry
 * starts at offset 0. Each real entry carries a sequence number, so a reader
 * whose entries were overwritten under it learns exactly how many it lost,
 * and trace_pipe-style consumption is just moving the tail.
 *
 * Plain C with no kernel dependencies (tests/host/test_trace_buffer.c). Probe
 * handlers write here; a probe placed in here is hit as a reentry then.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"

struct ring_hdr {
	uint32_t len;		/* whole entry, header included, aligned */
	uint32_t plen;		/* payload bytes; RING_PAD for padding */
	uint64_t seq;
};

#define RING_PAD	0xffffffffU
#define HDR		sizeof(struct ring_hdr)

_Static_assert(sizeof(struct ring_hdr) == TRACE_RING_ALIGN, "header is one unit");

static struct ring_hdr *hdr_at(const struct trace_ring *r, uint64_t pos)
{
	return (struct ring_hdr *)(r->buf + pos % r->size);
}

void trace_ring_init(struct trace_ring *r, void *mem, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = mem;
	r->size = size & ~(size_t)(TRACE_RING_ALIGN - 1);
}

void trace_ring_clear(struct trace_ring *r)
{
	r->head = r->tail = 0;
	r->next_seq = r->tail_seq = r->read_seq = 0;
	r->overwritten = 0;
}

size_t trace_ring_max_payload(const struct trace_ring *r)
{
	return r->size / 2 - HDR;
}

/* Drop the oldest entry (or pad). */
static void drop_oldest(struct trace_ring *r)
{
	const struct ring_hdr *h = hdr_at(r, r->tail);

	if (h->plen != RING_PAD) {
		r->tail_seq = h->seq + 1;
		r->overwritten++;
	}
	r->tail += h->len;
}

static void make_room(struct trace_ring *r, size_t n)
{
	while (r->head + n - r->tail > r->size)
		drop_oldest(r);
}

int trace_ring_write(struct trace_ring *r, const void *data, size_t len)
{
	size_t need = ALIGN_UP(HDR + len, (size_t)TRACE_RING_ALIGN);
	size_t off, gap;
	struct ring_hdr *h;

	if (!r->buf || !len || len > trace_ring_max_payload(r))
		return -E2BIG;
	off = r->head % r->size;
	gap = r->size - off;
	if (gap < need) {
		make_room(r, gap);
		h = hdr_at(r, r->head);
		h->len = (uint32_t)gap;
		h->plen = RING_PAD;
		h->seq = 0;
		r->head += gap;
	}
	make_room(r, need);
	h = hdr_at(r, r->head);
	h->len = (uint32_t)need;
	h->plen = (uint32_t)len;
	h->seq = r->next_seq++;
	memcpy(h + 1, data, len);
	r->head += need;
	return 0;
}

uint64_t trace_ring_entries(const struct trace_ring *r)
{
	return r->next_seq - r->tail_seq;
}

void trace_ring_iter_start(const struct trace_ring *r, struct trace_ring_iter *it)
{
	it->pos = r->tail;
	it->seq = r->read_seq;
}

size_t trace_ring_next(const struct trace_ring *r, struct trace_ring_iter *it,
		       void *dst, size_t len, uint64_t *lost)
{
	const struct ring_hdr *h;
	size_t n;

	*lost = 0;
	if (!r->buf)
		return 0;
	/* Overwritten while we were away: the tail is the next whole entry. */
	if (it->pos < r->tail)
		it->pos = r->tail;
	while (it->pos < r->head) {
		h = hdr_at(r, it->pos);
		it->pos += h->len;
		if (h->plen == RING_PAD)
			continue;
		if (h->seq > it->seq)
			*lost = h->seq - it->seq;
		it->seq = h->seq + 1;
		n = min((size_t)h->plen, len);
		memcpy(dst, h + 1, n);
		return h->plen;
	}
	return 0;
}

void trace_ring_consume(struct trace_ring *r, const struct trace_ring_iter *it)
{
	if (it->pos > r->tail && it->pos <= r->head) {
		r->tail = it->pos;
		r->tail_seq = it->seq;
	}
	if (it->seq > r->read_seq)
		r->read_seq = it->seq;
}
