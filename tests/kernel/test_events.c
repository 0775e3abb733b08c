/*
 * The kprobe_events registry and its trace buffer, through their API:
 * definitions create disabled events, enabling records hits with the
 * right fields, return events see $retval and the return site, filters
 * pass and block, globs define batches and count what they skip, enabled
 * events refuse removal, bad lines change nothing, the buffer overwrites
 * its oldest entries and counts them, and nothing leaks.
 *
 * Every case removes its events (groups kt*), even when it fails half-way
 * (KTEST_EXIT), and leaves the trace buffer at its default size. Other
 * events may be defined and enabled meanwhile (a user's `p:all/ *`): the
 * cases count and read only entries of their own events.
 */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "kprobe_events.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
uint64_t kp_target_fib(uint64_t n);
uint64_t kp_target_loop(uint64_t n);

static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;
static uint64_t (*volatile fib)(uint64_t) = kp_target_fib;
static uint64_t (*volatile loop)(uint64_t) = kp_target_loop;

#define DEFAULT_KB	128

static char msg[KEVENT_MSG_MAX];
static uint8_t hitbuf[TRACE_HIT_MAX] __aligned(16);
static const struct trace_hit *const hit = (const struct trace_hit *)hitbuf;

static int define(const char *line)
{
	return kprobe_events_write(line, msg, sizeof(msg));
}

/*
 * Ids at or above first_own_id are this file's events: each case sets it
 * before it defines any (ids only grow). Entries of other events, such as
 * a user's `p:all/ *` left enabled, are skipped and not counted, so a case
 * sees only what it caused; and every read is bounded by what was in the
 * buffer when it began, since reading runs probed code that adds entries.
 *
 * With every function probed, defining or enabling an event fills the
 * buffer many times over, and from then on each read writes several
 * entries and so overwrites the oldest ones, which is where the reader
 * is. A case therefore clears the buffer right before the calls whose
 * entries it reads: they sit near the tail of a buffer that is nowhere
 * near full, and the reader reaches them before anything wraps.
 */
static uint32_t first_own_id;

static int note_id(struct kevent *ev, void *arg)
{
	uint32_t *max = arg;

	if (ev->id >= *max)
		*max = ev->id + 1;
	return 0;
}

static void own_events_start(void)
{
	uint32_t next = 1;

	kevent_for_each("all", note_id, &next);
	first_own_id = next;
}

/* The next entry of this file's events, consuming it and any before it; 0 when none. */
static size_t next_hit(uint64_t *lost)
{
	struct trace_buffer_info info;
	struct trace_buffer_iter it;
	uint64_t l, sum = 0;
	size_t n = 0;

	trace_buffer_info(&info);
	for (uint64_t i = 0; i < info.entries; i++) {
		trace_buffer_iter_start(&it);
		n = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &l);
		trace_buffer_consume(&it);
		sum += l;
		if (!n || hit->event_id >= first_own_id)
			break;
		n = 0;
	}
	if (lost)
		*lost = sum;
	return n;
}

/* Entries of this file's events in the buffer now, without consuming them. */
static unsigned int own_entries(void)
{
	struct trace_buffer_info info;
	struct trace_buffer_iter it;
	unsigned int own = 0;
	uint64_t l;

	trace_buffer_info(&info);
	trace_buffer_iter_start(&it);
	for (uint64_t i = 0; i < info.entries; i++) {
		if (!trace_buffer_next(&it, (struct trace_hit *)hitbuf, &l))
			break;
		own += hit->event_id >= first_own_id;
	}
	return own;
}

static int take_first(struct kevent *ev, void *arg)
{
	*(struct kevent **)arg = ev;
	return 1;
}

static struct kevent *find(const char *target)
{
	struct kevent *found = NULL;

	kevent_for_each(target, take_first, &found);
	return found;
}

static uint64_t arg_value(const struct kevent *ev, unsigned int idx)
{
	uint64_t v = 0xdeadbeef;

	KT_EXPECT_EQ(fetch_get_value(&ev->def, hit->rec, idx, &v), 0);
	return v;
}

/* Remove this file's events (groups kt*), whatever else is defined. */
static void cleanup(void)
{
	kevent_enable("kt*/*", false, msg, sizeof(msg));
	define("-:kt*/*");
	trace_buffer_resize(DEFAULT_KB * 1024);
}

KTEST_EXIT(kevents)
{
	cleanup();
}

KTEST(kevents, entry_event_records_args)
{
	uint64_t text = kernel_text_checksum(), lost;
	struct kevent *ev;

	own_events_start();
	KT_ASSERT(define("p:kt/add kp_target_add a=%di b=%si:u8 c=\\7") == 0);
	ev = find("kt/add");
	KT_ASSERT(ev);
	KT_EXPECT(!ev->enabled);
	KT_EXPECT_EQ(kernel_text_checksum(), text);	/* disabled: no int3 yet */
	trace_buffer_clear();
	add(1, 2);
	KT_EXPECT_EQ(next_hit(NULL), 0);
	KT_EXPECT_EQ(kevent_enable("kt/add", true, msg, sizeof(msg)), 1);
	KT_EXPECT_EQ(*(const uint8_t *)kp_target_add, 0xcc);	/* armed (maybe shared) */
	trace_buffer_clear();
	KT_EXPECT_EQ(add(40, 0x102), 0x12a);
	KT_ASSERT(next_hit(&lost) == sizeof(struct trace_hit) + ev->def.rec_size);
	KT_EXPECT_EQ(lost, 0);
	KT_EXPECT_EQ(hit->event_id, ev->id);
	KT_EXPECT_EQ(hit->ip, (uint64_t)kp_target_add);
	KT_EXPECT_EQ(hit->func, 0);
	KT_EXPECT(hit->flags & TRACE_HIT_IRQS_OFF);
	KT_EXPECT(!(hit->flags & TRACE_HIT_HARDIRQ));
	KT_EXPECT_EQ(hit->depth, 1);
	KT_EXPECT_EQ(arg_value(ev, 0), 40);
	KT_EXPECT_EQ(arg_value(ev, 1), 2);	/* 0x102 as u8 */
	KT_EXPECT_EQ(arg_value(ev, 2), 7);
	KT_EXPECT_EQ(kevent_hits(ev), 1);
	KT_EXPECT_EQ(kevent_misses(ev), 0);
	KT_EXPECT_EQ(next_hit(NULL), 0);
	KT_EXPECT_EQ(kevent_enable("kt/*", false, msg, sizeof(msg)), 1);
	KT_EXPECT_EQ(kernel_text_checksum(), text);
	cleanup();
}

KTEST(kevents, return_event_sees_retval)
{
	struct kevent *ev;

	own_events_start();
	KT_ASSERT(define("r:kt/ret kp_target_add rv=$retval:s64") == 0);
	ev = find("kt/ret");
	KT_ASSERT(ev && ev->def.is_return);
	kevent_enable("kt/ret", true, msg, sizeof(msg));
	trace_buffer_clear();
	KT_EXPECT_EQ(add(5, -12), (uint64_t)-7);
	KT_ASSERT(next_hit(NULL));
	KT_EXPECT_EQ(hit->event_id, ev->id);
	KT_EXPECT_EQ(hit->func, (uint64_t)kp_target_add);
	KT_EXPECT(hit->ip && hit->ip != (uint64_t)kp_target_add);	/* the return site */
	KT_EXPECT_EQ((int64_t)arg_value(ev, 0), -7);
	/* recursion: one return event per call */
	KT_EXPECT_EQ(define("r20:kt/fib kp_target_fib n=$retval"), 0);
	kevent_enable("kt/fib", true, msg, sizeof(msg));
	trace_buffer_clear();
	KT_EXPECT_EQ(fib(6), 8);
	KT_EXPECT_EQ(kevent_hits(find("kt/fib")), 25);
	cleanup();
}

KTEST(kevents, return_event_reads_args_saved_at_entry)
{
	static const uint64_t want[][2] = { { 1, 1 }, { 0, 0 }, { 2, 1 } };	/* n, fib(n) */
	struct kevent *ev;
	unsigned int i;

	own_events_start();
	KT_ASSERT(define("r:kt/fa kp_target_fib n=$arg1 r=$retval") == 0);
	ev = find("kt/fa");
	KT_ASSERT(ev && ev->def.entry_args && ev->probes->rp.entry_handler);
	kevent_enable("kt/fa", true, msg, sizeof(msg));
	trace_buffer_clear();	/* right before the calls: see the file's comment */
	KT_EXPECT_EQ(fib(2), 1);
	/* returns come innermost first: fib(1), fib(0), then fib(2) itself */
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KT_ASSERT(next_hit(NULL));
		KT_EXPECT_EQ(arg_value(ev, 0), want[i][0]);
		KT_EXPECT_EQ(arg_value(ev, 1), want[i][1]);
	}
	KT_EXPECT(!next_hit(NULL));
	cleanup();
}

KTEST(kevents, refusals_carry_linux_columns)
{
	unsigned int n = kevent_count();

	/* the same line, blanks squeezed as Linux's argv split does */
	KT_EXPECT(define("p  kp_target_add   x=%nope") < 0);
	KT_EXPECT(!strcmp(msg, "Invalid register name (column 18; see error_log)"));
	KT_EXPECT(define("r1a111 kp_target_add") < 0);
	KT_EXPECT(!strcmp(msg, "Invalid maxactive number (column 1; see error_log)"));
	KT_EXPECT_EQ(kevent_count(), n);
}

KTEST(kevents, filter_passes_and_blocks)
{
	struct kevent *ev;
	int n = 0;

	own_events_start();
	KT_ASSERT(define("p:kt/f kp_target_add a=%di b=%si") == 0);
	ev = find("kt/f");
	kevent_enable("kt/f", true, msg, sizeof(msg));
	KT_EXPECT_EQ(kevent_set_filter("kt/f", "a == 3 || (b > 10 && !(b & 1))", msg,
				       sizeof(msg)), 1);
	KT_EXPECT(ev->filter != NULL);
	trace_buffer_clear();
	add(3, 0);	/* pass */
	add(4, 11);	/* block: odd */
	add(4, 12);	/* pass */
	add(5, 5);	/* block */
	while (next_hit(NULL)) {
		n++;
		KT_EXPECT_OR_BREAK(hit->event_id == ev->id);
		KT_EXPECT_OR_BREAK(arg_value(ev, 0) == 3 || arg_value(ev, 1) == 12);
	}
	KT_EXPECT_EQ(n, 2);
	KT_EXPECT_EQ(kevent_hits(ev), 4);	/* hits count before the filter */
	/* a bad filter leaves the old one */
	KT_EXPECT(kevent_set_filter("kt/f", "nosuch == 1", msg, sizeof(msg)) < 0);
	KT_EXPECT(strstr(msg, "nosuch") != NULL);
	KT_EXPECT(ev->filter && !strcmp(ev->filter->text, "a == 3 || (b > 10 && !(b & 1))"));
	KT_EXPECT_EQ(kevent_set_filter("kt/f", "0", msg, sizeof(msg)), 1);
	KT_EXPECT(ev->filter == NULL);
	trace_buffer_clear();
	add(5, 5);
	KT_EXPECT(next_hit(NULL) != 0);
	cleanup();
}

KTEST(kevents, glob_defines_one_batch)
{
	unsigned int before = kevent_count();

	own_events_start();
	KT_ASSERT(define("p:ktg/ kp_target_*") == 0);
	KT_EXPECT(strstr(msg, "added") != NULL);
	KT_EXPECT(kevent_count() - before >= 5);
	KT_EXPECT(find("ktg/p_kp_target_add_0") != NULL);
	KT_EXPECT(find("ktg/p_kp_target_fib_0") != NULL);
	/* the same batch again collides and adds nothing */
	KT_EXPECT_EQ(define("p:ktg/ kp_target_*"), -EEXIST);
	KT_EXPECT(kevent_count() - before >= 5);
	/* blacklisted matches are skipped and counted */
	KT_ASSERT(define("p:ktb/ kprobe_*") == 0 || strstr(msg, "blacklisted"));
	KT_EXPECT(strstr(msg, "blacklisted") != NULL);
	KT_EXPECT_EQ(define("p:ktn/ no_such_function_*"), -ENOENT);
	cleanup();
	KT_EXPECT_EQ(kevent_count(), before);
}

KTEST(kevents, enabled_event_is_not_removed)
{
	own_events_start();
	KT_ASSERT(define("p:kt/busy kp_target_add") == 0);
	kevent_enable("kt/busy", true, msg, sizeof(msg));
	KT_EXPECT_EQ(define("-:kt/busy"), -EBUSY);
	KT_EXPECT(find("kt/busy") != NULL);
	kevent_enable("kt/busy", false, msg, sizeof(msg));
	KT_EXPECT_EQ(define("-:kt/busy"), 0);
	KT_EXPECT(find("kt/busy") == NULL);
	KT_EXPECT_EQ(define("-:kt/busy"), -ENOENT);
	cleanup();
}

KTEST(kevents, bad_lines_change_nothing)
{
	static const char *const bad[] = {
		"p", "p:", "q:x kp_target_add", "p kp_target_add+1", "p no_such_fn",
		"p kp_target_add x=+0rdi)", "r kp_target_add+4", "p kprobe_int3",
		"p:kt/dup kp_target_add", "-:kt/nosuch", "p 0x10", "p:kt/ other:kp_target_*",
		"p kp_target_add a=%di a=%si",
	};
	unsigned int before;

	own_events_start();
	KT_ASSERT(define("p:kt/dup kp_target_add") == 0);
	before = kevent_count();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msg[0] = '\0';
		KT_EXPECT(define(bad[i]) < 0);
		KT_EXPECT(msg[0] != '\0');
		KT_EXPECT_EQ(kevent_count(), before);
	}
	cleanup();
}

KTEST(kevents, buffer_overwrites_and_counts)
{
	struct trace_buffer_info info;
	struct kevent *ev;
	uint64_t lost, total = 0, entries = 0;

	own_events_start();
	KT_ASSERT(trace_buffer_resize(16 * 1024) == 0);
	KT_ASSERT(define("p:kt/loop kp_target_add a=%di") == 0);
	ev = find("kt/loop");
	KT_ASSERT(ev);
	kevent_enable("kt/loop", true, msg, sizeof(msg));
	loop(2000);
	kevent_enable("kt/loop", false, msg, sizeof(msg));
	KT_EXPECT_EQ(kevent_hits(ev), 2000);
	/* other events may write too: the buffer's own books must still balance */
	trace_buffer_info(&info);
	KT_EXPECT(info.written >= 2000);
	KT_EXPECT(info.entries < 2000 && info.entries > 100);
	KT_EXPECT_EQ(info.overwritten, info.written - info.entries);
	/* what was there reads back, with the loss reported before it */
	for (uint64_t i = 0; i < info.entries; i++) {
		struct trace_buffer_iter it;

		trace_buffer_iter_start(&it);
		KT_EXPECT_OR_BREAK(trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost));
		trace_buffer_consume(&it);
		total += lost;
		entries++;
	}
	KT_EXPECT_EQ(entries, info.entries);
	KT_EXPECT(total >= info.overwritten);
	cleanup();
	trace_buffer_info(&info);
	KT_EXPECT_EQ(info.size, DEFAULT_KB * 1024);
	KT_EXPECT_EQ(trace_buffer_resize(1024), -EINVAL);
}

KTEST(kevents, removal_clears_buffer_and_leaks_nothing)
{
	struct heap_stats before, after;

	own_events_start();
	for (int round = 0; round < 3; round++) {
		if (round == 1)
			heap_stats(&before);	/* after one warm-up round */
		KT_ASSERT(define("p:ktl/ kp_target_*") == 0);
		KT_ASSERT(define("r:ktl/r kp_target_add v=$retval") == 0);
		KT_ASSERT(kevent_set_filter("ktl/r", "v != 1", msg, sizeof(msg)) == 1);
		kevent_enable("ktl/*", true, msg, sizeof(msg));
		trace_buffer_clear();
		add(2, 3);
		KT_EXPECT(own_entries() >= 2);
		kevent_enable("ktl/*", false, msg, sizeof(msg));
		KT_EXPECT_EQ(define("-:ktl/*"), 0);
		KT_EXPECT_EQ(own_entries(), 0);	/* its entries went with it */
	}
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
	cleanup();
}

KTEST(kevents, probe_points_share_one_event)
{
	uint64_t text = kernel_text_checksum();
	struct kevent *ev;
	unsigned int before = kevent_count();

	own_events_start();
	KT_ASSERT(define("p:kt/two kp_target_add a=%di") == 0);
	KT_ASSERT(define("p:kt/two kp_target_fib a=%di") == 0);
	KT_EXPECT_EQ(kevent_count(), before + 1);
	ev = find("kt/two");
	KT_ASSERT(ev && ev->nprobes == 2);
	/* Linux's refusals: another type, other args, the same point again */
	KT_EXPECT_EQ(define("r:kt/two kp_target_loop"), -EEXIST);
	KT_EXPECT_EQ(define("p:kt/two kp_target_loop a=%di:u8"), -EEXIST);
	KT_EXPECT_EQ(define("p:kt/two kp_target_fib a=%di"), -EEXIST);
	KT_EXPECT_EQ(ev->nprobes, 2);
	KT_EXPECT_EQ(kevent_enable("kt/two", true, msg, sizeof(msg)), 1);
	trace_buffer_clear();
	add(5, 0);
	fib(1);
	KT_ASSERT(next_hit(NULL));
	KT_EXPECT_EQ(hit->event_id, ev->id);
	KT_EXPECT_EQ(hit->ip, (uint64_t)kp_target_add);
	KT_EXPECT_EQ(arg_value(ev, 0), 5);
	KT_ASSERT(next_hit(NULL));
	KT_EXPECT_EQ(hit->event_id, ev->id);
	KT_EXPECT_EQ(hit->ip, (uint64_t)kp_target_fib);
	KT_EXPECT_EQ(kevent_hits(ev), 2);
	/* one point off an enabled event; the last one stays until it is disabled */
	KT_EXPECT_EQ(define("-:kt/two kp_target_add"), 0);
	KT_EXPECT_EQ(ev->nprobes, 1);
	KT_EXPECT_EQ(define("-:kt/two kp_target_fib"), -EBUSY);
	kevent_enable("kt/two", false, msg, sizeof(msg));
	KT_EXPECT_EQ(define("-:kt/two kp_target_fib"), 0);
	KT_EXPECT(find("kt/two") == NULL);
	KT_EXPECT_EQ(kernel_text_checksum(), text);
	cleanup();
}
