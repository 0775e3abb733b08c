/*
 * The per-CPU trace rings with several CPUs: each CPU's hits land in its own
 * ring with its own number in the CPU column; reading merges them by time,
 * so hits made one after another on different CPUs read back in the order
 * they happened (which needs the CPUs' clocks to agree: the TSC offsets
 * measured at bring-up); and a reader consuming while every other CPU
 * writes as fast as it can sees only whole entries, in order per CPU, with
 * each loss counted exactly. On one CPU the cases still run, on CPU 0 only.
 */
#include "ktest.h"
#include "arch.h"
#include "kprobe_events.h"

uint64_t kp_target_add(uint64_t a, uint64_t b);
static uint64_t (*volatile add)(uint64_t, uint64_t) = kp_target_add;

#define ROUNDS		64
#define PER_CPU		3000
#define CPU_SHIFT	32
#define PASS_MAX	256

static char msg[KEVENT_MSG_MAX];
static uint8_t hitbuf[TRACE_HIT_MAX] __aligned(16);
static const struct trace_hit *const hit = (const struct trace_hit *)hitbuf;

static int take_id(struct kevent *ev, void *arg)
{
	*(uint32_t *)arg = ev->id;
	return 1;
}

/* Define and enable GROUP/ord on kp_target_add; its event id, 0 on failure. */
static uint32_t start_event(void)
{
	uint32_t id = 0;

	if (kprobe_events_write("p:kts/ord kp_target_add a=%di:u64", msg, sizeof(msg)) < 0)
		return 0;
	kevent_for_each("kts/ord", take_id, &id);
	if (kevent_enable("kts/ord", true, msg, sizeof(msg)) != 1)
		return 0;
	return id;
}

static void stop_event(void)
{
	kevent_enable("kts/ord", false, msg, sizeof(msg));
	kprobe_events_write("-:kts/ord", msg, sizeof(msg));
}

/* The record starts with an 8-byte slot header, then the u64. */
static uint64_t arg_a(void)
{
	uint64_t v;

	memcpy(&v, hit->rec + TRACE_SLOT_HDR, sizeof(v));
	return v;
}

static void add_on_this_cpu(void *arg)
{
	add(*(uint64_t *)arg, 0);
}

KTEST(trace_smp, cpus_merged_in_the_order_they_ran)
{
	struct trace_buffer_iter it;
	unsigned int n = num_cpus(), got = 0;
	uint64_t lost, prev_ts = 0;
	uint32_t id = start_event();

	KT_ASSERT(id);
	trace_buffer_clear();
	/* round i runs on CPU i % n and returns before round i + 1 starts */
	for (uint64_t i = 0; i < ROUNDS; i++) {
		unsigned int c = (unsigned int)(i % n);

		if (c == 0)
			add_on_this_cpu(&i);
		else
			KT_EXPECT_EQ(smp_call_on(c, add_on_this_cpu, &i), 0);
	}
	trace_buffer_pause(true);
	trace_buffer_iter_start(&it);
	while (trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost)) {
		if (hit->event_id != id)
			continue;
		KT_EXPECT_EQ(lost, 0);
		KT_EXPECT_EQ(arg_a(), got);
		KT_EXPECT_EQ(hit->cpu, got % n);
		KT_EXPECT(hit->ts_ns >= prev_ts);
		prev_ts = hit->ts_ns;
		got++;
	}
	trace_buffer_pause(false);
	KT_EXPECT_EQ(got, ROUNDS);
	stop_event();
}

static unsigned long writers_done;

static void writer(void *arg)
{
	uint64_t base = (uint64_t)this_cpu()->cpu << CPU_SHIFT;

	(void)arg;
	for (uint64_t k = 0; k < PER_CPU; k++)
		add(base | k, 0);
	__atomic_fetch_add(&writers_done, 1, __ATOMIC_RELEASE);
}

KTEST(trace_smp, consuming_reader_while_every_cpu_writes)
{
	struct trace_buffer_iter it;
	struct trace_ring_stats st;
	uint64_t next[MAX_CPUS] = { 0 }, seen[MAX_CPUS] = { 0 }, lost_cpu[MAX_CPUS] = { 0 };
	unsigned int n = num_cpus(), c;
	uint64_t lost, a, k;
	uint32_t id = start_event();
	bool running = true;

	KT_ASSERT(id);
	KT_ASSERT(trace_buffer_resize(TRACE_RING_MIN) == 0);	/* small: the writers lap us */
	writers_done = 0;
	for (c = 1; c < n; c++)
		KT_EXPECT_EQ(smp_run_on(c, writer, NULL), 0);
	while (running) {
		unsigned int budget = PASS_MAX;

		/*
		 * Once all are done, one more pass drains what is left, paused:
		 * with probes on the reader's own functions (a user's p:all/ *)
		 * every read writes on this CPU, and a live ring never empties.
		 * For the same reason a live pass stops after PASS_MAX entries.
		 */
		running = __atomic_load_n(&writers_done, __ATOMIC_ACQUIRE) < n - 1;
		if (!running)
			trace_buffer_pause(true);
		trace_buffer_iter_start(&it);
		while ((!running || budget--) &&
		       trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost)) {
			lost_cpu[hit->cpu] += lost;
			seen[hit->cpu]++;	/* other events too: what consume counts */
			if (hit->event_id != id)
				continue;
			a = arg_a();
			c = (unsigned int)(a >> CPU_SHIFT);
			k = a & ((1ULL << CPU_SHIFT) - 1);
			KT_EXPECT_EQ(c, hit->cpu);
			if (c >= MAX_CPUS)
				break;
			/* in order per CPU; whatever was skipped was reported lost */
			KT_EXPECT(k >= next[c]);
			KT_EXPECT(k - next[c] <= lost_cpu[c]);
			lost_cpu[c] -= min(k - next[c], lost_cpu[c]);
			next[c] = k + 1;
		}
		trace_buffer_consume(&it);
	}
	trace_buffer_pause(false);
	for (c = 1; c < n; c++)
		smp_run_wait(c);
	for (c = 1; c < n; c++) {
		trace_buffer_cpu_stats(c, &st);
		/* more when a user's probes sit on the writer's own path */
		KT_EXPECT(st.written >= PER_CPU);
		KT_EXPECT_EQ(st.consumed + st.overrun + st.entries, st.written);
		KT_EXPECT_EQ(st.consumed, seen[c]);
		KT_EXPECT_EQ(st.entries, 0);
		KT_EXPECT_EQ(next[c], PER_CPU);	/* the last one always survives */
	}
	stop_event();
	KT_EXPECT_EQ(trace_buffer_resize(128 * 1024), 0);
}

static void text_on_this_cpu(void *arg)
{
	char text[32];

	snprintf(text, sizeof(text), "hello from %u", this_cpu()->cpu);
	*(int *)arg = trace_write_text("bpf_trace_printk", text);
}

/* trace_write_text (bpf_trace_printk's way in): one line per CPU, Linux's format. */
KTEST(trace_smp, text_lines_from_every_cpu)
{
	struct trace_buffer_iter it;
	char line[256], want[64];
	unsigned int n = num_cpus(), got = 0;
	uint64_t lost;
	size_t len;
	int err;

	trace_buffer_clear();
	for (unsigned int c = 0; c < n; c++) {
		err = -1;
		if (c == 0)
			text_on_this_cpu(&err);
		else
			KT_EXPECT_EQ(smp_call_on(c, text_on_this_cpu, &err), 0);
		KT_EXPECT_EQ(err, 0);
	}
	trace_buffer_pause(true);
	trace_buffer_iter_start(&it);
	while ((len = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost))) {
		if (hit->event_id != TRACE_HIT_TEXT)
			continue;
		kevent_format_hit(hit, len, line, sizeof(line));
		snprintf(want, sizeof(want), "[%03u] ", got);
		KT_EXPECT(strstr(line, want));
		snprintf(want, sizeof(want), ": bpf_trace_printk: hello from %u", got);
		KT_EXPECT(strstr(line, want));
		got++;
	}
	trace_buffer_pause(false);
	KT_EXPECT_EQ(got, n);
}
