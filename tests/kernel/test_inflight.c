/*
 * Return probes taken away while calls they caught are still running: the
 * function, called from here, calls back into the case before it returns,
 * and the callback unregisters the kretprobe, or disables or removes the
 * kprobe event. Each return must still reach its real caller with its
 * value, no handler may run for what is gone (freed memory is poisoned, so
 * one that did would read garbage), and the instances must be freed once
 * the last of them is back.
 */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "probes.h"
#include "kprobe_events.h"

uint64_t kt_inflight_fn(uint64_t depth);

static void (*volatile inflight_cb)(void);
static uint64_t (*volatile inflight)(uint64_t) = kt_inflight_fn;
static struct kretprobe rp;
static int returns;
static char msg[KEVENT_MSG_MAX];

/* depth levels of recursion, each one adding 1; the innermost calls back */
__noinline uint64_t kt_inflight_fn(uint64_t depth)
{
	if (depth)
		return inflight(depth - 1) + 1;
	inflight_cb();
	return 100;
}

static int count_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	(void)regs;
	returns++;
	return 0;
}

static void unregister_rp(void)
{
	unregister_kretprobe(&rp);
}

static void nothing(void)
{
}

static void unregister_in_flight(uint64_t depth)
{
	struct heap_stats before, after;

	heap_stats(&before);
	rp = (struct kretprobe){ .kp.symbol_name = "kt_inflight_fn", .handler = count_return };
	returns = 0;
	KT_ASSERT(register_kretprobe(&rp) == 0);
	inflight_cb = nothing;
	KT_EXPECT_EQ(inflight(depth), 100 + depth);
	KT_EXPECT_EQ(returns, depth + 1);	/* probed as usual first */
	returns = 0;
	inflight_cb = unregister_rp;
	KT_EXPECT_EQ(inflight(depth), 100 + depth);
	KT_EXPECT_EQ(returns, 0);
	KT_EXPECT(rp.pool == NULL);
	heap_stats(&after);			/* the pool went with the last instance */
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
	KT_EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
	inflight_cb = nothing;
	KT_EXPECT_EQ(inflight(depth), 100 + depth);
	KT_EXPECT_EQ(returns, 0);
}

KTEST(inflight, kretprobe_unregistered_in_flight)
{
	unregister_in_flight(0);
}

KTEST(inflight, kretprobe_unregistered_under_recursion)
{
	unregister_in_flight(4);
}

/* ---- kprobe events ---- */

static int pick(struct kevent *ev, void *arg)
{
	*(struct kevent **)arg = ev;
	return 1;
}

/* The event's handler runs (~0 when there is no such event). */
static unsigned long event_hits(const char *target)
{
	struct kevent *ev = NULL;

	kevent_for_each(target, pick, &ev);
	return ev ? kevent_hits(ev) : ~0UL;
}

static void disable_event(void)
{
	KT_EXPECT_EQ(kevent_enable("ktf/ret", false, msg, sizeof(msg)), 1);
}

static void remove_event(void)
{
	disable_event();
	KT_EXPECT_EQ(kprobe_events_write("-:ktf/ret", msg, sizeof(msg)), 0);
}

KTEST(inflight, event_disabled_in_flight)
{
	KT_ASSERT(kprobe_events_write("r:ktf/ret kt_inflight_fn v=$retval", msg, sizeof(msg)) == 0);
	KT_ASSERT(kevent_enable("ktf/ret", true, msg, sizeof(msg)) == 1);
	inflight_cb = nothing;
	KT_EXPECT_EQ(inflight(2), 102);
	KT_EXPECT_EQ(event_hits("ktf/ret"), 3);
	inflight_cb = disable_event;
	KT_EXPECT_EQ(inflight(2), 102);
	/* the returns after the disable count as hits, as Linux's kprobe_profile
	 * counts them, but record nothing */
	KT_EXPECT_EQ(event_hits("ktf/ret"), 6);
	KT_EXPECT_EQ(kprobe_events_write("-:ktf/ret", msg, sizeof(msg)), 0);
}

KTEST(inflight, event_removed_in_flight)
{
	struct heap_stats before, after;
	void *reuse[8];

	KT_ASSERT(kprobe_events_write("r:ktf/ret kt_inflight_fn v=$retval", msg, sizeof(msg)) == 0);
	KT_ASSERT(kevent_enable("ktf/ret", true, msg, sizeof(msg)) == 1);
	heap_stats(&before);
	inflight_cb = remove_event;
	KT_EXPECT_EQ(inflight(2), 102);
	KT_EXPECT(event_hits("ktf/ret") == ~0UL);	/* gone */
	/* whatever the event's memory holds now, no return handler reads it */
	for (int i = 0; i < 8; i++)
		reuse[i] = kmalloc(64 << i);
	inflight_cb = nothing;
	KT_EXPECT_EQ(inflight(2), 102);
	for (int i = 0; i < 8; i++)
		kfree(reuse[i]);
	heap_stats(&after);
	KT_EXPECT(after.objects_in_use < before.objects_in_use);	/* event and pool freed */
}

KTEST_EXIT(inflight)
{
	inflight_cb = nothing;
	unregister_kretprobe(&rp);
	kevent_enable("ktf/*", false, msg, sizeof(msg));
	kprobe_events_write("-:ktf/*", msg, sizeof(msg));
}
