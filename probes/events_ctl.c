/*
 * Turning events on and off, and their filters: everything the console does
 * to events that already exist, through the registry's kevent_for_each().
 * Both act on the event, so on every probe point it has.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kprobe_events.h"
#include "events_internal.h"

struct enable_state {
	bool on;
	unsigned int n;
	int err;
};

/* A point whose handler faulted was taken out of service: enable re-arms it. */
static bool any_gone(const struct kevent *ev)
{
	for (const struct kevent_probe *p = ev->probes; p; p = p->next)
		if (p->rp.kp.flags & KPROBE_FLAG_GONE)
			return true;
	return false;
}

static int enable_one(struct kevent *ev, void *arg)
{
	struct enable_state *e = arg;

	e->n++;
	if (ev->enabled == e->on && !(e->on && any_gone(ev)))
		return 0;
	if (e->on) {
		WRITE_ONCE(ev->enabled, true);
		ev->was_enabled = true;
		e->err = kevent_arm(ev);
		if (e->err) {
			WRITE_ONCE(ev->enabled, false);
			return 1;
		}
	} else {
		if (!ev->hist)	/* a hist trigger keeps it armed */
			kevent_disarm(ev);
		WRITE_ONCE(ev->enabled, false);
	}
	return 0;
}

int kevent_enable(const char *target, bool enable, char *msg, size_t len)
{
	struct enable_state e = { .on = enable };

	kevent_for_each(target, enable_one, &e);
	if (e.err)
		return kevent_msg(msg, len, e.err, "could not enable '%s' (%d)", target, e.err);
	if (!e.n)
		return kevent_msg(msg, len, -ENOENT, "no event matches '%s'", target);
	return kevent_msg(msg, len, (int)e.n, "%s %u event%s", enable ? "enabled" : "disabled",
		    e.n, e.n == 1 ? "" : "s");
}

struct filter_state {
	const char *expr;
	struct trace_filter **compiled;	/* one per matching event, in order */
	unsigned int n, max;
	int err;
	char *msg;
	size_t len;
};

static int compile_one(struct kevent *ev, void *arg)
{
	struct filter_state *f = arg;
	struct trace_filter *tf;
	char err[TRACE_ERR_MAX];

	if (f->n == f->max) {
		f->err = kevent_msg(f->msg, f->len, -ENOMEM, "too many events");
		return 1;
	}
	tf = kzalloc(sizeof(*tf));
	if (!tf) {
		f->err = kevent_msg(f->msg, f->len, -ENOMEM, "out of memory");
		return 1;
	}
	f->compiled[f->n++] = tf;
	if (trace_filter_compile(tf, f->expr, &ev->def, err, sizeof(err))) {
		f->err = kevent_msg(f->msg, f->len, -EINVAL, "%s/%s: %s", ev->def.group,
			      ev->def.event, err);
		return 1;
	}
	return 0;
}

static int install_one(struct kevent *ev, void *arg)
{
	struct filter_state *f = arg;
	struct trace_filter *tf = f->compiled[f->n], *old = ev->filter;

	f->compiled[f->n++] = NULL;
	if (!tf->nnodes) {	/* "0": no filter */
		kfree(tf);
		tf = NULL;
	}
	/* handlers read the filter with interrupts off: after a grace
	 * period no CPU can still be reading old */
	WRITE_ONCE(ev->filter, tf);
	if (old)
		synchronize_cpus();
	kfree(old);
	return 0;
}

int kevent_set_filter(const char *target, const char *expr, char *msg, size_t len)
{
	struct filter_state f = { .expr = expr, .msg = msg, .len = len };
	unsigned int i;

	f.max = kevent_count();
	f.compiled = kzalloc((f.max ? f.max : 1) * sizeof(*f.compiled));
	if (!f.compiled)
		return kevent_msg(msg, len, -ENOMEM, "out of memory");
	kevent_for_each(target, compile_one, &f);
	if (!f.err && !f.n)
		f.err = kevent_msg(msg, len, -ENOENT, "no event matches '%s'", target);
	if (!f.err) {
		f.n = 0;
		kevent_for_each(target, install_one, &f);
		kevent_msg(msg, len, 0, "%s on %u event%s", strcmp(expr, "0") ? "filter set" :
		     "filter cleared", f.n, f.n == 1 ? "" : "s");
	}
	for (i = 0; i < f.max; i++)
		kfree(f.compiled[i]);
	kfree(f.compiled);
	return f.err ? f.err : (int)f.n;
}
