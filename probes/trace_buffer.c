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
 * Writers nest inside readers. A probe handler writes, and every function
 * here, memcpy included, can carry a probe of its own; disabling interrupts
 * does not hold off an int3, so a reader copying an entry out can have a
 * whole write run in the middle of its copy. In a full ring that write
 * drops the oldest entry, which is exactly the one the reader is at, and
 * puts new bytes over it. So a reader pins the entry it is copying and a
 * writer stops short of a pinned entry: it refuses its own entry instead
 * (counted in refused), as Linux's reader page keeps writers off the page
 * being read. A write, consume or clear nested inside another of them (an
 * NMI-like hit in the middle of an update) is refused the same way, so the
 * positions are only ever changed by one update at a time. Nesting on one
 * CPU means the inner one always finishes before the outer resumes, which
 * is why plain flags and compiler barriers suffice. Readers themselves do
 * not nest: they run in thread context only.
 *
 * Plain C with no kernel dependencies (tests/host/test_trace_buffer.c,
 * tests/host/test_trace_nesting.c).
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

/* Order our accesses against a nested writer's: it runs on this CPU. */
#define ring_barrier()	__asm__ volatile("" : : : "memory")

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

/* Claim the ring for one update; false when another is in progress. */
static bool update_begin(struct trace_ring *r)
{
	if (r->busy)
		return false;
	r->busy = true;
	ring_barrier();
	return true;
}

static void update_end(struct trace_ring *r)
{
	ring_barrier();
	r->busy = false;
}

void trace_ring_clear(struct trace_ring *r)
{
	if (!update_begin(r))
		return;
	r->head = r->tail = 0;
	r->next_seq = r->tail_seq = r->read_seq = 0;
	r->overwritten = r->refused = 0;
	update_end(r);
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

/* Free n bytes at the head; false if that would drop the pinned entry. */
static bool make_room(struct trace_ring *r, size_t n)
{
	while (r->head + n - r->tail > r->size) {
		if (r->pinned == r->tail + 1)
			return false;
		drop_oldest(r);
	}
	ring_barrier();		/* dropped before we write over it */
	return true;
}

static int write_entry(struct trace_ring *r, const void *data, size_t len)
{
	size_t need = ALIGN_UP(HDR + len, (size_t)TRACE_RING_ALIGN);
	size_t off = r->head % r->size, gap = r->size - off;
	struct ring_hdr *h;

	if (gap < need) {
		if (!make_room(r, gap))
			return -EBUSY;
		h = hdr_at(r, r->head);
		h->len = (uint32_t)gap;
		h->plen = RING_PAD;
		h->seq = 0;
		ring_barrier();
		r->head += gap;
	}
	if (!make_room(r, need))
		return -EBUSY;
	h = hdr_at(r, r->head);
	h->len = (uint32_t)need;
	h->plen = (uint32_t)len;
	h->seq = r->next_seq++;
	memcpy(h + 1, data, len);
	ring_barrier();		/* whole before a reader can reach it */
	r->head += need;
	return 0;
}

int trace_ring_write(struct trace_ring *r, const void *data, size_t len)
{
	int err;

	if (!r->buf || !len || len > trace_ring_max_payload(r))
		return -E2BIG;
	if (!update_begin(r)) {
		err = -EBUSY;
	} else {
		err = write_entry(r, data, len);
		update_end(r);
	}
	if (err)	/* one instruction: nothing nests inside it */
		__atomic_fetch_add(&r->refused, 1, __ATOMIC_RELAXED);
	return err;
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

size_t trace_ring_next(struct trace_ring *r, struct trace_ring_iter *it,
		       void *dst, size_t len, uint64_t *lost)
{
	const struct ring_hdr *h;
	uint32_t hlen, plen;
	uint64_t seq;

	*lost = 0;
	if (!r->buf)
		return 0;
	for (;;) {
		/* Overwritten while we were away: the tail is the next whole entry. */
		if (it->pos < r->tail)
			it->pos = r->tail;
		if (it->pos >= r->head)
			return 0;
		r->pinned = it->pos + 1;
		ring_barrier();
		if (it->pos < r->tail) {	/* dropped before the pin held */
			r->pinned = 0;
			continue;
		}
		h = hdr_at(r, it->pos);
		hlen = h->len;
		plen = h->plen;
		seq = h->seq;
		if (plen != RING_PAD)
			memcpy(dst, h + 1, min((size_t)plen, len));
		ring_barrier();
		r->pinned = 0;
		it->pos += hlen;
		if (plen == RING_PAD)
			continue;
		if (seq > it->seq)
			*lost = seq - it->seq;
		it->seq = seq + 1;
		return plen;
	}
}

void trace_ring_consume(struct trace_ring *r, const struct trace_ring_iter *it)
{
	if (!update_begin(r))
		return;
	if (it->pos > r->tail && it->pos <= r->head) {
		r->tail = it->pos;
		r->tail_seq = it->seq;
	}
	if (it->seq > r->read_seq)
		r->read_seq = it->seq;
	update_end(r);
}
