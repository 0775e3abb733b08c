/*
 * One CPU's trace ring: variable-length entries in a byte ring, oldest
 * overwritten first, written by its own CPU only and read by any CPU.
 *
 *   | hdr | payload ... | hdr | payload | pad ...... |   (wraps to offset 0)
 *      ^tail                               ^head
 *
 * Positions (head, tail, the reader's read_pos) only ever grow; the offset
 * in the buffer is the position modulo the size. An entry never wraps: when
 * one does not fit before the end, the rest of the buffer becomes a pad
 * entry and the entry starts at offset 0. Each real entry carries a
 * sequence number, so a reader whose entries were overwritten under it
 * learns exactly how many it lost.
 *
 * The writer never waits and never looks at what readers do. It drops the
 * oldest entries by moving the tail *before* it writes over their bytes
 * (a release fence between the two), and publishes an entry by moving the
 * head after the entry is whole. A reader on any CPU copies an entry out
 * and then, after an acquire fence, checks the tail again: if the tail has
 * passed the entry, the writer may have been writing over it during the
 * copy, so the copy is thrown away and the entry counts as lost, exactly as
 * if it had been overwritten before the reader came (a seqlock, with the
 * tail as the sequence). Every byte both sides share is read and written
 * with relaxed atomics, so the race is a defined one (and ThreadSanitizer
 * agrees: tests/host/test_trace_smp.c).
 *
 * The writer's counters (head, tail, next_seq ...) change together inside
 * an update bracketed by wseq going odd and back to even, so a reader can
 * take a consistent snapshot of them (clear needs head and next_seq to
 * match). wseq odd also marks the ring busy for a write nested on the same
 * CPU (a probe inside the ring code, an NMI-like hit): the nested write is
 * refused and counted, never waited for. Claiming is one cmpxchg, so no
 * nested write can slip between the test and the claim. What readers own
 * (how far they consumed, the clear baselines) the writer never touches:
 * consuming and clearing never disturb a writer. Readers do not run
 * concurrently with each other; the caller serialises them.
 *
 * Plain C with no kernel dependencies (tests/host/test_trace_buffer.c,
 * test_trace_nesting.c, test_trace_smp.c).
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"

#define RING_PAD	0xffffffffU
#define HDR		16	/* two words: len | plen << 32, then seq */
#define SNAP_TRIES	(1U << 20)	/* a writer that died mid-update cannot hang a reader */

_Static_assert(HDR == TRACE_RING_ALIGN, "header is one unit");

#define ld(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define st(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
/* The fences order this CPU's accesses for other CPUs; the empty asm keeps
 * the compiler from moving anything across for a write nested on this one. */
#define ring_wmb()	do { __atomic_thread_fence(__ATOMIC_RELEASE); \
			     __asm__ volatile("" : : : "memory"); } while (0)
#define ring_rmb()	do { __atomic_thread_fence(__ATOMIC_ACQUIRE); \
			     __asm__ volatile("" : : : "memory"); } while (0)

static uint64_t *word_at(const struct trace_ring *r, uint64_t pos)
{
	return (uint64_t *)(r->buf + pos % r->size);
}

void trace_ring_init(struct trace_ring *r, void *mem, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = mem;
	r->size = mem ? size & ~(size_t)(TRACE_RING_ALIGN - 1) : 0;
}

size_t trace_ring_max_payload(const struct trace_ring *r)
{
	return r->size / 2 - HDR;
}

/* ---- the writer (the owning CPU only) ---- */

/* Drop the oldest entry (or pad): the tail moves before its bytes are reused. */
static void drop_oldest(struct trace_ring *r)
{
	uint64_t tail = ld(&r->tail), *h = word_at(r, tail), w0 = ld(&h[0]);

	if ((uint32_t)(w0 >> 32) != RING_PAD)
		st(&r->tail_seq, ld(&h[1]) + 1);
	st(&r->tail, tail + (uint32_t)w0);
}

static void make_room(struct trace_ring *r, uint64_t head, size_t n)
{
	while (head + n - ld(&r->tail) > r->size)
		drop_oldest(r);
	ring_wmb();		/* the tail has moved before we write over it */
}

static void put_header(uint64_t *h, size_t len, uint32_t plen, uint64_t seq)
{
	st(&h[0], (uint64_t)len | (uint64_t)plen << 32);
	st(&h[1], seq);
}

static void copy_in(uint64_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;

		memcpy(&w, src + i, min(len - i, (size_t)8));
		st(&dst[i / 8], w);
	}
}

static void write_entry(struct trace_ring *r, const void *data, size_t len)
{
	size_t need = ALIGN_UP(HDR + len, (size_t)TRACE_RING_ALIGN);
	uint64_t head = ld(&r->head), seq = ld(&r->next_seq);
	size_t gap = r->size - head % r->size;

	if (gap < need) {
		make_room(r, head, gap);
		put_header(word_at(r, head), gap, RING_PAD, 0);
		head += gap;
		ring_wmb();
		st(&r->head, head);
	}
	make_room(r, head, need);
	put_header(word_at(r, head), need, (uint32_t)len, seq);
	copy_in(word_at(r, head) + 2, data, len);
	st(&r->next_seq, seq + 1);
	ring_wmb();		/* whole before a reader can reach it */
	st(&r->head, head + need);
}

int trace_ring_write(struct trace_ring *r, const void *data, size_t len)
{
	uint64_t w;

	if (!r->buf || !len || len > trace_ring_max_payload(r))
		return -E2BIG;
	/* a failed claim means a nested write came and went: claim again */
	do {
		w = ld(&r->wseq);
		if (w & 1) {
			/* nested inside this CPU's own update: refuse, never wait */
			__atomic_fetch_add(&r->refused, 1, __ATOMIC_RELAXED);
			return -EBUSY;
		}
	} while (!__atomic_compare_exchange_n(&r->wseq, &w, w + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	ring_wmb();		/* odd before anything it guards changes */
	write_entry(r, data, len);
	ring_wmb();
	st(&r->wseq, w + 2);
	return 0;
}

/* ---- readers (any CPU, one at a time) ---- */

struct snap {
	uint64_t head, tail, next_seq, tail_seq, refused;
};

/* The writer's counters as they were between two updates. */
static void snapshot(const struct trace_ring *r, struct snap *s)
{
	for (unsigned int i = 0; i < SNAP_TRIES; i++) {
		uint64_t w = __atomic_load_n(&r->wseq, __ATOMIC_ACQUIRE);

		s->head = ld(&r->head);
		s->tail = ld(&r->tail);
		s->next_seq = ld(&r->next_seq);
		s->tail_seq = ld(&r->tail_seq);
		s->refused = ld(&r->refused);
		ring_rmb();
		if (!(w & 1) && ld(&r->wseq) == w)
			return;
	}
}

void trace_ring_clear(struct trace_ring *r)
{
	struct snap s;

	snapshot(r, &s);
	st(&r->read_pos, s.head);
	st(&r->read_seq, s.next_seq);
	st(&r->base_seq, s.next_seq);
	st(&r->base_refused, s.refused);
	st(&r->lost, 0);
	st(&r->consumed, 0);
}

void trace_ring_stats(const struct trace_ring *r, struct trace_ring_stats *out)
{
	uint64_t read_seq = ld(&r->read_seq);
	struct snap s;

	snapshot(r, &s);
	out->entries = s.next_seq - max(s.tail_seq, read_seq);
	out->written = s.next_seq - ld(&r->base_seq);
	out->overrun = ld(&r->lost) + (s.tail_seq > read_seq ? s.tail_seq - read_seq : 0);
	out->refused = s.refused - ld(&r->base_refused);
	out->consumed = ld(&r->consumed);
	out->bytes = s.head - max(s.tail, ld(&r->read_pos));
}

uint64_t trace_ring_entries(const struct trace_ring *r)
{
	struct trace_ring_stats s;

	trace_ring_stats(r, &s);
	return s.entries;
}

void trace_ring_iter_start(const struct trace_ring *r, struct trace_ring_iter *it)
{
	it->pos = ld(&r->read_pos);
	it->seq = ld(&r->read_seq);
	it->lost = 0;
	it->read = 0;
}

static void copy_out(uint8_t *dst, const uint64_t *src, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = ld(&src[i / 8]);

		memcpy(dst + i, &w, min(len - i, (size_t)8));
	}
}

/*
 * Lapped during a copy: the writer is at the reader's heels, and the oldest
 * entry is the next one it drops. Resume a quarter of the ring ahead of the
 * tail instead, walking headers only, so that a reader keeps up with a
 * writer that never pauses (the entries skipped count as lost).
 */
static void skip_ahead(const struct trace_ring *r, struct trace_ring_iter *it)
{
	uint64_t start = ld(&r->tail), pos = start, w0;
	uint32_t len;

	while (pos - start < r->size / 4 &&
	       pos < __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) {
		w0 = ld(word_at(r, pos));
		ring_rmb();
		if (ld(&r->tail) > pos) {	/* lapped again: from the new tail */
			start = pos = ld(&r->tail);
			continue;
		}
		len = (uint32_t)w0;
		if (len < HDR || len % TRACE_RING_ALIGN || len > r->size - pos % r->size)
			break;
		pos += len;
	}
	it->pos = pos;
}

size_t trace_ring_next(const struct trace_ring *r, struct trace_ring_iter *it,
		       void *dst, size_t len, uint64_t *lost)
{
	uint64_t head, tail, w0, seq, *h;
	uint32_t hlen, plen;
	size_t off;

	*lost = 0;
	if (!r->buf)
		return 0;
	for (;;) {
		head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		tail = ld(&r->tail);
		/* overwritten while we were away: the tail is the next whole entry */
		if (it->pos < tail)
			it->pos = tail;
		if (it->pos >= head)
			return 0;
		off = it->pos % r->size;
		h = word_at(r, it->pos);
		w0 = ld(&h[0]);
		seq = ld(&h[1]);
		hlen = (uint32_t)w0;
		plen = (uint32_t)(w0 >> 32);
		/* a header torn by an overwrite may say anything: stay inside */
		if (hlen >= HDR && hlen <= r->size - off && plen != RING_PAD)
			copy_out(dst, h + 2, min(min((size_t)plen, len), (size_t)hlen - HDR));
		ring_rmb();
		if (ld(&r->tail) > it->pos) {	/* the writer got here during the copy */
			skip_ahead(r, it);
			continue;
		}
		if (hlen < HDR || hlen > r->size - off || hlen % TRACE_RING_ALIGN ||
		    (plen != RING_PAD && plen > hlen - HDR))
			return 0;	/* cannot happen while the tail says it is whole */
		it->pos += hlen;
		if (plen == RING_PAD)
			continue;
		if (seq > it->seq)
			*lost = seq - it->seq;
		it->lost += *lost;
		it->read++;
		it->seq = seq + 1;
		return plen;
	}
}

void trace_ring_consume(struct trace_ring *r, struct trace_ring_iter *it)
{
	if (it->pos > ld(&r->read_pos)) {
		st(&r->read_pos, it->pos);
		st(&r->read_seq, it->seq);
	}
	st(&r->lost, ld(&r->lost) + it->lost);
	st(&r->consumed, ld(&r->consumed) + it->read);
	it->lost = 0;
	it->read = 0;
}
