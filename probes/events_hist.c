/*
 * Hist triggers at the console, as Linux's tracefs has them:
 *
 *   trigger EVENT 'hist:keys=...'    echo 'hist:...' >> events/GRP/EVENT/trigger
 *   trigger EVENT '!hist:keys=...'   remove it
 *   trigger EVENT                    cat .../trigger
 *   hist EVENT                       cat .../hist
 *   trace -H EVENT FIELD             (bpftrace-style) a log2 chart of FIELD
 *                                    over the trace buffer's entries of EVENT
 *
 * As in Linux, a trigger arms its event's probe even while the event is
 * disabled; the hits then feed the histogram but not the trace buffer. One
 * hist trigger per event (Linux allows several with different keys).
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "console.h"
#include "kallsyms.h"
#include "kprobe_events.h"
#include "events_internal.h"

static struct hist_spec spec;	/* parse output: big, console only */

static int addr_to_sym(uint64_t addr, char *name, size_t len, uint64_t *off,
		       uint64_t *size)
{
	const struct ksym *s = kallsyms_lookup(addr, off);

	if (!s)
		return -ENOENT;
	snprintf(name, len, "%s", ksym_name(s));
	*size = s->size;
	return 0;
}

static size_t slot_pages(const struct hist_table *t)
{
	return ALIGN_UP(t->nslots * sizeof(struct hist_entry), PAGE_SIZE) / PAGE_SIZE;
}

static void hist_free(struct hist_table *t)
{
	if (!t)
		return;
	free_pages_virt(t->slots, slot_pages(t));
	kfree(t);
}

void kevent_hist_free(struct kevent *ev)
{
	hist_free(ev->hist);
	ev->hist = NULL;
}

/* Take the trigger away; the probe stays armed only if the event is enabled. */
static void detach(struct kevent *ev)
{
	struct hist_table *t = ev->hist;

	WRITE_ONCE(ev->hist, NULL);
	if (!ev->enabled)
		disable_kprobe(&ev->rp.kp);
	/* handlers read the table with interrupts off: after a grace period
	 * no CPU can still be updating it */
	synchronize_cpus();
	hist_free(t);
}

static int attach(struct kevent *ev, char *msg, size_t len)
{
	struct hist_table *t = kzalloc(sizeof(*t));
	size_t bytes = 2 * spec.size * sizeof(struct hist_entry);
	struct hist_entry *slots;
	int err;

	slots = t ? alloc_pages_virt(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE) : NULL;
	if (!slots) {
		kfree(t);
		return kevent_msg(msg, len, -ENOMEM, "no memory for %u entries", spec.size);
	}
	hist_init(t, &spec, slots);
	t->spec.paused = spec.cmd == HIST_CMD_PAUSE;
	WRITE_ONCE(ev->hist, t);
	if (!ev->enabled) {
		err = enable_kprobe(&ev->rp.kp);
		if (err) {	/* never armed: no handler can have seen it */
			WRITE_ONCE(ev->hist, NULL);
			hist_free(t);
			return kevent_msg(msg, len, err, "could not arm '%s' (%d)", ev->def.event, err);
		}
	}
	return 0;
}

static int set_trigger(struct kevent *ev, const char *text, char *msg, size_t len)
{
	bool remove = *text == '!';
	char err[TRACE_ERR_MAX];
	struct hist_table *t = ev->hist;

	if (hist_parse(text + remove, &ev->def, &spec, err, sizeof(err)))
		return kevent_msg(msg, len, -EINVAL, "%s", err);
	if (remove) {
		if (!t || strcmp(t->spec.keys_text, spec.keys_text))
			return kevent_msg(msg, len, -ENOENT, "no hist trigger with keys=%s on %s",
					  spec.keys_text, ev->def.event);
		detach(ev);
		return kevent_msg(msg, len, 0, "hist trigger removed from %s/%s",
				  ev->def.group, ev->def.event);
	}
	if (t && strcmp(t->spec.keys_text, spec.keys_text))
		return kevent_msg(msg, len, -EBUSY,
				  "%s already has a hist trigger (keys=%s); one per event here",
				  ev->def.event, t->spec.keys_text);
	if (t) {
		switch (spec.cmd) {
		case HIST_CMD_PAUSE:
			WRITE_ONCE(t->spec.paused, true);
			return kevent_msg(msg, len, 0, "hist paused");
		case HIST_CMD_CONT:
			WRITE_ONCE(t->spec.paused, false);
			return kevent_msg(msg, len, 0, "hist continued");
		case HIST_CMD_CLEAR: {
			uint64_t flags = local_irq_save();

			hist_clear(t);
			local_irq_restore(flags);
			return kevent_msg(msg, len, 0, "hist cleared");
		}
		}
		return kevent_msg(msg, len, -EEXIST, "File exists: %s has this hist trigger",
				  ev->def.event);
	}
	if (attach(ev, msg, len))
		return -ENOMEM;
	return kevent_msg(msg, len, 0, "hist trigger set on %s/%s%s", ev->def.group,
			  ev->def.event, ev->enabled ? "" : " (probe armed; the trace buffer stays off)");
}

/* The event a trigger/hist command names: exactly one. */
struct one {
	struct kevent *ev;
	unsigned int n;
};

static int pick(struct kevent *ev, void *arg)
{
	struct one *o = arg;

	o->ev = ev;
	o->n++;
	return 0;
}

static struct kevent *one_event(const char *target)
{
	struct one o = { NULL, 0 };

	kevent_for_each(target, pick, &o);
	if (o.n != 1) {
		cmd_error(o.n ? "'%s' matches %u events; name one (GRP/EVENT)" :
			  "no event matches '%s'", target, o.n);
		return NULL;
	}
	return o.ev;
}

static bool match_trigger(const char *s)
{
	return !strncmp(s, "trigger", 7) && (s[7] == ' ' || s[7] == '\t' || !s[7]);
}

static int run_trigger(char *s)
{
	char msg[KEVENT_MSG_MAX], text[TRACE_FILTER_TEXT_MAX + 128];
	char *target, *end;
	struct kevent *ev;
	size_t n;

	for (s += 7; *s == ' ' || *s == '\t'; s++)
		;
	if (!*s)
		return cmd_error("usage: trigger EVENT ['hist:keys=...'|'!hist:keys=...']");
	target = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	n = (size_t)(end - s);
	if (n >= 2 && (*s == '\'' || *s == '"') && end[-1] == *s) {
		end[-1] = '\0';
		s++;
	}
	ev = one_event(target);
	if (!ev)
		return -1;
	if (!*s) {
		if (!ev->hist) {
			cprintf("# Available triggers:\n# hist\n");
			return 0;
		}
		hist_trigger_text(ev->hist, &ev->def, text, sizeof(text));
		cprintf("%s [%s]\n", text, ev->hist->spec.paused ? "paused" : "active");
		return 0;
	}
	if (set_trigger(ev, s, msg, sizeof(msg)) < 0)
		return cmd_error("%s", msg);
	cprintf("%s\n", msg);
	return 0;
}
CONSOLE_SYNTAX(trigger, match_trigger, run_trigger);

static int cmd_trigger(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_error("internal: trigger is handled as a whole line");
}
CONSOLE_CMD(trigger, cmd_trigger, "trigger EVENT ['hist:keys=K[,K]..[:vals=V,..][:sort=F[.descending],..][:size=N][:pause|:cont|:clear] [if FILTER]']\n"
	    "  keys/vals are the event's arg names (and common_timestamp); key modifiers\n"
	    "  .hex .sym .sym-offset .log2 .buckets=N, .usecs for common_timestamp;\n"
	    "  '!hist:keys=K' removes it; no text shows it. Arms the probe even if the\n"
	    "  event is disabled (hits count, the trace buffer stays off). Read: hist EVENT",
	    "set a hist trigger on an event (Linux's events/GRP/EVENT/trigger)");

static void emit(const char *line, void *arg)
{
	(void)arg;
	cprintf("%s\n", line);
}

static int cmd_hist(int argc, char **argv)
{
	const struct hist_entry **order;
	struct kevent *ev;

	if (argc != 2)
		return cmd_error("usage: hist EVENT|GRP/EVENT");
	ev = one_event(argv[1]);
	if (!ev)
		return -1;
	if (!ev->hist)
		return cmd_error("%s has no hist trigger (trigger %s 'hist:keys=...')",
				 ev->def.event, argv[1]);
	order = kmalloc((ev->hist->entries + 1) * sizeof(*order));
	if (!order)
		return cmd_error("out of memory");
	hist_print(ev->hist, &ev->def, addr_to_sym, order, emit, NULL);
	kfree(order);
	return 0;
}
CONSOLE_CMD(hist, cmd_hist, "hist EVENT|GRP/EVENT\n"
	    "  Linux's hist file: { key: value } hitcount: N, sorted as the trigger says,\n"
	    "  then Totals (Hits, Entries, Dropped: new keys refused when full)",
	    "show an event's hist trigger table");

/* ---- trace -H EVENT FIELD: a distribution of what the buffer holds ---- */

static uint8_t hitbuf[TRACE_HIT_MAX] __aligned(16);

int kevent_trace_hist(const char *target, const char *field)
{
	const struct trace_hit *hit = (const struct trace_hit *)hitbuf;
	static uint64_t counts[65];
	struct trace_buffer_iter it;
	struct kevent *ev;
	unsigned int idx;
	uint64_t lost, v, n = 0;
	size_t len;

	ev = one_event(target);
	if (!ev)
		return -1;
	for (idx = 0; idx < ev->def.nargs; idx++)
		if (!strcmp(ev->def.args[idx].name, field))
			break;
	if (idx == ev->def.nargs || ev->def.args[idx].count ||
	    ev->def.args[idx].type == TRACE_TYPE_STRING)
		return cmd_error("%s has no numeric field '%s'", ev->def.event, field);
	memset(counts, 0, sizeof(counts));
	trace_buffer_pause(true);
	trace_buffer_iter_start(&it);
	while ((len = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost))) {
		if (hit->event_id != ev->id || len < sizeof(*hit) + ev->def.rec_size ||
		    fetch_get_value(&ev->def, hit->rec, idx, &v))
			continue;
		/* bpftrace's buckets: [0], [1], [2, 4), [4, 8) ... */
		counts[v ? 64 - __builtin_clzll(v) : 0]++;
		n++;
	}
	trace_buffer_pause(false);
	cprintf("@%s: %lu values from %s/%s in the trace buffer\n", field, n,
		ev->def.group, ev->def.event);
	hist_bars(counts, emit, NULL);
	return 0;
}
