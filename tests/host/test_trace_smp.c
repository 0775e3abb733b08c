/*
 * Host tests for probes/trace_buffer.c with real concurrency: one thread
 * per "CPU" writes its own ring as fast as it can while the main thread
 * reads all the rings merged by time stamp, consuming as trace -f does, and
 * another pass reads without consuming as `trace` does. Built with
 * ThreadSanitizer (tests/host/events.mk): every byte the two sides share
 * must be accessed as a defined race. The reader must only ever see whole
 * entries, in order per ring, each gap reported as lost, and the books of
 * every ring must balance at the end.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"

#define NCPU		3
#define PER_CPU		100000
#define RING_BYTES	(16 * 1024)

struct entry {
	uint64_t ts;		/* from one clock all writers share */
	uint32_t cpu, n;
	uint8_t fill[40];	/* derived from cpu and n */
};

static struct trace_ring rings[NCPU];
static uint8_t mem[NCPU][RING_BYTES];
static uint64_t clock_now;
static int writers_done;

static void make(struct entry *e, uint32_t cpu, uint32_t n)
{
	e->ts = __atomic_add_fetch(&clock_now, 1, __ATOMIC_SEQ_CST);
	e->cpu = cpu;
	e->n = n;
	for (size_t i = 0; i < sizeof(e->fill); i++)
		e->fill[i] = (uint8_t)(cpu * 31 + n * 7 + i);
}

static int intact(const struct entry *e)
{
	if (e->cpu >= NCPU)
		return 0;
	for (size_t i = 0; i < sizeof(e->fill); i++)
		if (e->fill[i] != (uint8_t)(e->cpu * 31 + e->n * 7 + i))
			return 0;
	return 1;
}

static void *writer(void *arg)
{
	uint32_t cpu = (uint32_t)(uintptr_t)arg;
	struct entry e;

	for (uint32_t n = 0; n < PER_CPU; n++) {
		make(&e, cpu, n);
		trace_ring_write(&rings[cpu], &e, sizeof(e));
	}
	__atomic_fetch_add(&writers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct merge {
	struct trace_ring_iter it[NCPU];
	struct entry peeked[NCPU];
	bool have[NCPU];
};

/* The oldest next entry of any ring, as the kernel's trace_buffer_next(). */
static int merge_next(struct merge *m, struct entry *out, uint64_t *lost)
{
	int best = -1;

	for (int c = 0; c < NCPU; c++) {
		struct trace_ring_iter probe = m->it[c];
		uint64_t l;

		if (!m->have[c] &&
		    trace_ring_next(&rings[c], &probe, &m->peeked[c], sizeof(struct entry), &l))
			m->have[c] = true;
		if (m->have[c] && (best < 0 || m->peeked[c].ts < m->peeked[best].ts))
			best = c;
	}
	if (best < 0)
		return -1;
	m->have[best] = false;
	if (!trace_ring_next(&rings[best], &m->it[best], out, sizeof(*out), lost))
		return -1;	/* cannot happen: a ring never loses its newest entry */
	return best;
}

static void merge_start(struct merge *m)
{
	for (int c = 0; c < NCPU; c++) {
		trace_ring_iter_start(&rings[c], &m->it[c]);
		m->have[c] = false;
	}
}

static void t_writers_and_a_merging_reader(void)
{
	pthread_t th[NCPU];
	struct merge m;
	struct entry e;
	struct trace_ring_stats st;
	uint64_t next[NCPU] = { 0 }, seen[NCPU] = { 0 }, lost, passes = 0, bad = 0;
	uint64_t lost_sum = 0, prev_ts;
	bool running = true;
	int c;

	for (c = 0; c < NCPU; c++)
		trace_ring_init(&rings[c], mem[c], sizeof(mem[c]));
	for (c = 0; c < NCPU; c++)
		pthread_create(&th[c], NULL, writer, (void *)(uintptr_t)c);
	while (running) {
		running = __atomic_load_n(&writers_done, __ATOMIC_ACQUIRE) < NCPU;
		merge_start(&m);
		while ((c = merge_next(&m, &e, &lost)) >= 0) {
			lost_sum += lost;
			if (!intact(&e) || e.cpu != (uint32_t)c || e.n < next[c] ||
			    e.n - next[c] != lost) {
				bad++;
				continue;
			}
			next[c] = e.n + 1;
			seen[c]++;
		}
		for (c = 0; c < NCPU; c++)
			trace_ring_consume(&rings[c], &m.it[c]);
		passes++;
	}
	for (c = 0; c < NCPU; c++)
		pthread_join(th[c], NULL);
	CHECK_EQ(bad, 0);
	CHECK(passes > 1);
	for (c = 0; c < NCPU; c++) {
		trace_ring_stats(&rings[c], &st);
		CHECK_EQ(st.written, PER_CPU);
		CHECK_EQ(st.consumed, seen[c]);
		CHECK_EQ(st.entries, 0);
		CHECK_EQ(st.consumed + st.overrun, PER_CPU);
		CHECK_EQ(next[c], PER_CPU);	/* the newest entry is always there */
		CHECK_EQ(st.refused, 0);	/* no nesting here */
	}
	CHECK(lost_sum > 0);	/* the writers did lap the reader */
	/* quiet now: fill again and the non-consuming merge is in time order */
	for (c = 0; c < NCPU; c++) {
		for (uint32_t n = 0; n < 50; n++) {
			make(&e, (uint32_t)c, n);
			trace_ring_write(&rings[(c * 7 + n) % NCPU], &e, sizeof(e));
		}
	}
	merge_start(&m);
	prev_ts = 0;
	for (int i = 0; i < NCPU * 50; i++) {
		CHECK((c = merge_next(&m, &e, &lost)) >= 0);
		CHECK(e.ts > prev_ts);
		prev_ts = e.ts;
	}
	CHECK(merge_next(&m, &e, &lost) < 0);
}

int main(void)
{
	RUN(t_writers_and_a_merging_reader);
	return check_done();
}
