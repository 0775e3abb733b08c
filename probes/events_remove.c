/*
 * Removing events: "-:[GRP/]EVENT [POINT [NAME=ARG ...]]", as Linux 6.x.
 * Without a point every probe point of the matching events goes; with one,
 * only the points placed there ("SYM", "SYM+OFFS" or an address, written as
 * the listing writes it) whose first fetch-args are the NAME=ARG words
 * given. "-:GRP/" is every event of the group; names may also be globs
 * here ("-:GRP/" then a star).
 *
 * An event whose last point would go must be idle (not enabled, no hist
 * trigger), as in Linux; taking one point off an event that keeps others
 * is allowed while it is enabled. Unlike Linux, a removal is all or
 * nothing: if one event is busy, nothing is removed.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kprobe_events.h"
#include "events_internal.h"

struct remove_state {
	const struct trace_event_def *def;	/* point and args to match, if any */
	const char *busy;
	unsigned int events, points;	/* whole events, and points of events that stay */
	bool clear;
};

/* "SYM", "SYM+offs" or an address, as the point was defined, then the args. */
static bool point_matches(const struct kevent_probe *p, const struct trace_event_def *want)
{
	char buf[TRACE_NAME_MAX + TRACE_ARG_NAME_MAX + TRACE_ARG_TEXT_MAX];
	const struct trace_event_def *d = &p->def;
	uint64_t addr;
	unsigned int i;

	if (!want->has_symbol)
		return true;
	if (d->has_symbol) {
		snprintf(buf, sizeof(buf), d->offset ? "%s+%u" : "%s", d->symbol, d->offset);
		if (strcmp(buf, want->symbol))
			return false;
	} else if (kstrtou64(want->symbol, &addr) || addr != d->addr) {
		return false;
	}
	if (want->nargs > d->nargs)
		return false;
	for (i = 0; i < want->nargs; i++) {
		snprintf(buf, sizeof(buf), "%s=%s", d->args[i].name, d->args[i].text);
		if (strcmp(buf, want->args[i].text))
			return false;
	}
	return true;
}

static unsigned int matching_points(const struct kevent *ev, const struct trace_event_def *want)
{
	unsigned int n = 0;

	for (const struct kevent_probe *p = ev->probes; p; p = p->next)
		n += point_matches(p, want);
	return n;
}

static int check_removable(struct kevent *ev, void *arg)
{
	struct remove_state *r = arg;
	unsigned int n = matching_points(ev, r->def);

	if (!n)
		return 0;
	if (n < ev->nprobes) {
		r->points += n;
		return 0;
	}
	r->events++;
	if ((ev->enabled || ev->hist) && !r->busy)
		r->busy = ev->def.event;
	return 0;
}

static int remove_matching(struct kevent *ev, void *arg)
{
	struct remove_state *r = arg;
	struct kevent_probe **pp, *p;
	unsigned int n = matching_points(ev, r->def);

	if (!n)
		return 0;
	if (n == ev->nprobes) {
		kevent_unlink(ev);
		for (p = ev->probes; p; p = p->next)
			kevent_probe_unregister(p);
		r->clear |= ev->was_enabled;
		kevent_free(ev);
		return 0;
	}
	/* the event stays, with its other points: entries it made still format */
	for (pp = &ev->probes; (p = *pp);) {
		if (!point_matches(p, r->def)) {
			pp = &p->next;
			continue;
		}
		kevent_probe_unregister(p);	/* waits until no handler runs it */
		*pp = p->next;
		ev->nprobes--;
		kfree(p);
	}
	return 0;
}

int kevent_remove(const struct trace_event_def *def, char *msg, size_t len)
{
	const char *group = def->group[0] ? def->group : NULL;
	struct remove_state r = { .def = def };
	char target[2 * TRACE_NAME_MAX + 2];

	snprintf(target, sizeof(target), "%s%s%s", def->group, group ? "/" : "", def->event);
	kevent_iterate(group, def->event, check_removable, &r);
	if (!r.events && !r.points)
		return kevent_msg(msg, len, -ENOENT, def->has_symbol ?
				  "no event matches '%s' at %s" : "no event matches '%s'",
				  target, def->symbol);
	if (r.busy)
		return kevent_msg(msg, len, -EBUSY,
				  "event '%s' is in use (enabled, or a hist trigger); 'disable %s' and remove its trigger first",
				  r.busy, target);
	kevent_iterate(group, def->event, remove_matching, &r);
	/* As Linux: no entry may outlive the definition that formats it. */
	if (r.clear)
		trace_buffer_clear();
	if (!r.events)
		return kevent_msg(msg, len, 0, "removed %u probe point%s of %s", r.points,
				  r.points == 1 ? "" : "s", target);
	if (r.events == 1 && !r.points)
		return kevent_msg(msg, len, 0, "removed %s%s", target,
				  r.clear ? " (trace buffer cleared)" : "");
	return kevent_msg(msg, len, 0, "removed %u event%s%s", r.events, r.events == 1 ? "" : "s",
			  r.clear ? " (trace buffer cleared)" : "");
}
