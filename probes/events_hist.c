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
 * As in Linux, a trigger arms its event's probes even while the event is
 * disabled; the hits then feed the histogram but not the trace buffer. An
 * event may have several hist triggers, told apart by their keys, as Linux's;
 * hist prints each in the order they were set.
 *
 * Each CPU counts its hits in a part of its own, so the hit path takes no
 * lock and writes no line another CPU writes. Reading (hist), clearing and
 * removing collect: the console swaps a clean spare in for a CPU's part,
 * waits until no CPU can still be in the old one (synchronize_cpus: hits
 * run with interrupts off), merges it into the table it prints and keeps
 * it as the next spare. What hist prints is then a snapshot no hit changes
 * while it prints, whose Totals add up with its entries.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "console.h"
#include "kallsyms.h"
#include "kprobe_events.h"
#include "events_internal.h"

struct kevent_hist {
	struct kevent_hist *next;	/* the event's next trigger; hits follow it */
	struct hist_spec spec;
	unsigned int ncpus;		/* parts[0..ncpus): one per CPU at attach */
	struct hist_part *parts[MAX_CPUS];	/* written by that CPU's hits only */
	struct hist_part *spare;	/* clean, swapped in by collect() */
	struct hist_part merged;	/* the console's: what hist prints */
};

static struct hist_spec spec;	/* parse output: big, console only */

void kevent_hist_hit(struct kevent_hist *h, const struct trace_event_def *def,
		     const void *rec, uint64_t ts_ns)
{
	unsigned int cpu = this_cpu()->cpu;
	struct hist_ctx ctx = { .ts_ns = ts_ns, .cpu = cpu, .pid = KEVENT_PID };
	struct hist_part *part;

	for (; h; h = READ_ONCE(h->next)) {
		part = cpu < h->ncpus ? READ_ONCE(h->parts[cpu]) : NULL;
		if (part)	/* a CPU started after the trigger has no part: not counted */
			hist_update(&h->spec, part, def, rec, &ctx);
	}
}

static size_t part_pages(const struct hist_spec *hs)
{
	return ALIGN_UP(hist_part_bytes(hs), PAGE_SIZE) / PAGE_SIZE;
}

static void part_free(struct kevent_hist *h, struct hist_part *part)
{
	if (!part)
		return;
	free_pages_virt(part->slots, part_pages(&h->spec));
	if (part != &h->merged)
		kfree(part);
}

static int part_alloc(struct kevent_hist *h, struct hist_part *part)
{
	void *slots = alloc_pages_virt(part_pages(&h->spec));

	if (!slots)
		return -ENOMEM;
	hist_part_init(part, &h->spec, slots);
	return 0;
}

static struct hist_part *part_new(struct kevent_hist *h)
{
	struct hist_part *part = kzalloc(sizeof(*part));

	if (part && part_alloc(h, part)) {
		kfree(part);
		return NULL;
	}
	return part;
}

static void hist_free(struct kevent_hist *h)
{
	if (!h)
		return;
	for (unsigned int c = 0; c < h->ncpus; c++)
		part_free(h, h->parts[c]);
	part_free(h, h->spare);
	if (h->merged.slots)
		part_free(h, &h->merged);
	kfree(h);
}

static struct kevent_hist *hist_new(void)
{
	struct kevent_hist *h = kzalloc(sizeof(*h));

	if (!h)
		return NULL;
	h->spec = spec;
	h->spec.paused = spec.cmd == HIST_CMD_PAUSE;
	h->ncpus = min(num_cpus(), (unsigned int)MAX_CPUS);
	if (part_alloc(h, &h->merged) || !(h->spare = part_new(h)))
		goto fail;
	for (unsigned int c = 0; c < h->ncpus; c++)
		if (!(h->parts[c] = part_new(h)))
			goto fail;
	return h;
fail:
	hist_free(h);
	return NULL;
}

/* Fold every CPU's counts into h->merged; each part out of service meanwhile. */
static void collect(struct kevent_hist *h)
{
	for (unsigned int c = 0; c < h->ncpus; c++) {
		struct hist_part *old = h->parts[c];

		if (!READ_ONCE(old->hits) && !READ_ONCE(old->drops))
			continue;	/* nothing yet: a later hit is a later snapshot's */
		WRITE_ONCE(h->parts[c], h->spare);
		synchronize_cpus();	/* no hit is still in old */
		hist_merge(&h->spec, &h->merged, old);
		hist_part_clear(old, &h->spec);
		h->spare = old;
	}
}

void kevent_hist_free(struct kevent *ev)
{
	struct kevent_hist *h, *next;

	for (h = ev->hist; h; h = next) {
		next = h->next;
		hist_free(h);
	}
	ev->hist = NULL;
}

/* The trigger with these keys, and the link that points at it. */
static struct kevent_hist **find_trigger(struct kevent *ev, const char *keys)
{
	struct kevent_hist **pp;

	for (pp = &ev->hist; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->spec.keys_text, keys))
			return pp;
	return pp;
}

/* Take *pp away; the probes stay armed only if the event is enabled or has another. */
static void detach(struct kevent *ev, struct kevent_hist **pp)
{
	struct kevent_hist *h = *pp;

	WRITE_ONCE(*pp, h->next);
	if (!ev->enabled && !ev->hist)
		kevent_disarm(ev);
	/* hits walk the list with interrupts off: after a grace period no
	 * CPU can still be in h */
	synchronize_cpus();
	hist_free(h);
}

/* Publish a new trigger at the end of the list, arming the probes for the first. */
static int attach(struct kevent *ev, struct kevent_hist **tail, char *msg, size_t len)
{
	struct kevent_hist *h = hist_new();
	bool first = !ev->hist;
	int err;

	if (!h)
		return kevent_msg(msg, len, -ENOMEM, "no memory for %u entries", spec.size);
	WRITE_ONCE(*tail, h);	/* complete before a hit can reach it */
	if (first && !ev->enabled) {
		err = kevent_arm(ev);
		if (err) {	/* never armed: no handler can have seen it */
			WRITE_ONCE(*tail, NULL);
			hist_free(h);
			return kevent_msg(msg, len, err, "could not arm '%s' (%d)", ev->def.event, err);
		}
	}
	return 0;
}

/*
 * Keep a refusal in error_log as Linux's hist_err() does: located
 * "hist:GROUP:EVENT", Linux's message, the command as "hist:..." and the
 * caret at Linux's column; the console's line says where to look.
 */
static int log_refusal(struct kevent *ev, const char *text, const struct hist_linux_err *le,
		       int err, const char *reason, char *msg, size_t len)
{
	char cmd[KEVENT_LINE_MAX], loc[TRACE_ERRLOG_LOC_MAX];
	int col;

	if (!le->text)
		return kevent_msg(msg, len, err, "%s", reason);
	hist_error_command(text, cmd, sizeof(cmd));
	col = hist_error_column(cmd, le);
	snprintf(loc, sizeof(loc), "hist:%s:%s", ev->def.group, ev->def.event);
	trace_error_log(loc, cmd, col, le->text);
	return kevent_msg(msg, len, err, "%s (column %d; see error_log)", reason, col);
}

static int set_trigger(struct kevent *ev, const char *text, char *msg, size_t len)
{
	bool remove = *text == '!';
	char err[TRACE_ERR_MAX];
	struct hist_linux_err le;
	struct kevent_hist **pp, *h;

	if (hist_parse(text + remove, &ev->def, &spec, err, sizeof(err), &le))
		return log_refusal(ev, text + remove, &le, -EINVAL, err, msg, len);
	le.token[0] = '\0';	/* what follows points at column 0, as Linux */
	pp = find_trigger(ev, spec.keys_text);
	h = *pp;
	if (remove) {
		if (!h)
			return kevent_msg(msg, len, -ENOENT, "no hist trigger with keys=%s on %s",
					  spec.keys_text, ev->def.event);
		detach(ev, pp);
		return kevent_msg(msg, len, 0, "hist trigger removed from %s/%s",
				  ev->def.group, ev->def.event);
	}
	if (h) {
		switch (spec.cmd) {
		case HIST_CMD_PAUSE:
			WRITE_ONCE(h->spec.paused, true);
			return kevent_msg(msg, len, 0, "hist paused");
		case HIST_CMD_CONT:
			WRITE_ONCE(h->spec.paused, false);
			return kevent_msg(msg, len, 0, "hist continued");
		case HIST_CMD_CLEAR:
			collect(h);	/* every CPU's counts so far go with it */
			hist_part_clear(&h->merged, &h->spec);
			return kevent_msg(msg, len, 0, "hist cleared");
		}
		snprintf(err, sizeof(err), "Hist trigger already exists (%s has keys=%s)",
			 ev->def.event, spec.keys_text);
		le.text = "Hist trigger already exists";
		return log_refusal(ev, text, &le, -EEXIST, err, msg, len);
	}
	if (spec.cmd == HIST_CMD_CONT || spec.cmd == HIST_CMD_CLEAR) {
		snprintf(err, sizeof(err),
			 "Can't clear or continue a nonexistent hist trigger (no keys=%s on %s)",
			 spec.keys_text, ev->def.event);
		le.text = "Can't clear or continue a nonexistent hist trigger";
		return log_refusal(ev, text, &le, -ENOENT, err, msg, len);
	}
	if (attach(ev, pp, msg, len))
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
	return console_line_is(s, "trigger");
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
		for (struct kevent_hist *h = ev->hist; h; h = h->next) {
			hist_trigger_text(&h->spec, &ev->def, text, sizeof(text));
			cprintf("%s [%s]\n", text, h->spec.paused ? "paused" : "active");
		}
		return 0;
	}
	if (set_trigger(ev, s, msg, sizeof(msg)) < 0)
		return cmd_error("%s", msg);
	cprintf("%s\n", msg);
	return 0;
}
CONSOLE_LINE_CMD(trigger, "trigger", match_trigger, run_trigger, "trigger EVENT ['hist:keys=K[,K]..[:vals=V,..][:sort=F[.descending],..][:size=N][:pause|:cont|:clear] [if FILTER]']\n"
	    "  keys/vals are the event's arg names (a :string arg may be a key), and\n"
	    "  common_timestamp, common_cpu (cpu), common_pid; key modifiers .hex .sym\n"
	    "  .sym-offset .log2 .buckets=N, .usecs for common_timestamp, .execname for\n"
	    "  common_pid;\n"
	    "  several per event, told apart by their keys; '!hist:keys=K' removes one;\n"
	    "  no text shows them. Arms the probe even if the\n"
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
	for (struct kevent_hist *h = ev->hist; h; h = h->next) {
		collect(h);
		order = kmalloc((h->merged.entries + 1) * sizeof(*order));
		if (!order)
			return cmd_error("out of memory");
		if (h != ev->hist)	/* as Linux: two blank lines between histograms */
			cprintf("\n\n");
		hist_print(&h->spec, &h->merged, &ev->def, kevent_addr_to_sym, KEVENT_COMM, order,
			   emit, NULL);
		kfree(order);
	}
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
	uint64_t lost, v, neg, n = 0;
	unsigned int type;
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
	type = ev->def.args[idx].type;
	memset(counts, 0, sizeof(counts));
	neg = 0;
	trace_buffer_pause(true);
	trace_buffer_iter_start(&it);
	while ((len = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost))) {
		if (hit->event_id != ev->id || len < sizeof(*hit) + ev->def.rec_size ||
		    fetch_get_value(&ev->def, hit->rec, idx, &v))
			continue;
		/* bpftrace's buckets: (..., 0), [0], [1], [2, 4), [4, 8) ... */
		if (type >= TRACE_TYPE_S8 && type <= TRACE_TYPE_S64 && (int64_t)v < 0)
			neg++;
		else
			counts[v ? 64 - __builtin_clzll(v) : 0]++;
		n++;
	}
	trace_buffer_pause(false);
	cprintf("@%s: %lu values from %s/%s in the trace buffer\n", field, n,
		ev->def.group, ev->def.event);
	hist_bars(neg, counts, emit, NULL);
	return 0;
}
