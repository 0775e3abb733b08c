/*
 * Pending module probes: a "p:ev MOD:SYM" point whose module is not loaded
 * is defined and listed like any other, but has no kprobe behind it. When
 * MOD comes (before its init runs, so init can be traced) the point is
 * resolved and registered, and armed if its event is enabled or has a hist
 * trigger; when MOD goes, its points are unregistered (no int3 may stay in
 * memory about to be freed) and wait for the next load. The event itself
 * is never touched: its filter, trigger and enable state survive.
 *
 * Only points written as MOD:SYM follow their module; one given by address
 * (or by a bare SYM that happened to resolve into a module) goes with it,
 * in module_gc.c, since nothing names what it should wait for.
 */
#include "kernel.h"
#include "mm.h"
#include "module.h"
#include "kprobe_events.h"
#include "events_internal.h"

/* Does def's point name mod ("mod:SYM")? */
static bool names_module(const struct trace_event_def *def, const struct module *mod)
{
	const char *colon;
	size_t n = strlen(mod->name);

	if (!def->has_symbol || !(colon = strchr(def->symbol, ':')))
		return false;
	return (size_t)(colon - def->symbol) == n && !memcmp(def->symbol, mod->name, n);
}

/* Register one pending point of mod; on failure it stays pending and says why. */
static void attach(struct kevent_probe *p, struct module *mod)
{
	struct trace_event_def *def = &p->def;
	char msg[KEVENT_MSG_MAX];
	int err;

	err = trace_event_resolve(def, kevent_lookup, msg, sizeof(msg));
	if (!err && !is_kernel_text(def->addr)) {
		err = -EINVAL;
		snprintf(msg, sizeof(msg), "not kernel text");
	}
	if (!err) {
		/* a fresh start for the kprobe; its folded hit counts stay */
		p->rp.kp.addr = (uint8_t *)def->addr;
		p->rp.kp.flags = KPROBE_FLAG_DISABLED;
		err = kevent_probe_register(p);
		if (err)
			snprintf(msg, sizeof(msg), "refused by the probe engine (%d)", err);
	}
	if (err) {
		pr_err("module %s: event %s/%s stays pending: %s: %s\n", mod->name,
		       def->group, def->event, def->symbol, msg);
		return;
	}
	p->pending = false;
	if (p->ev->enabled || p->ev->hist)
		enable_kprobe(&p->rp.kp);
	pr_info("module %s: registered event %s/%s at %s%s\n", mod->name, def->group,
		def->event, def->symbol, p->ev->enabled ? " (enabled)" : "");
}

static int coming_one(struct kevent *ev, void *arg)
{
	for (struct kevent_probe *p = ev->probes; p; p = p->next)
		if (p->pending && names_module(&p->def, arg))
			attach(p, arg);
	return 0;
}

static int going_one(struct kevent *ev, void *arg)
{
	struct module *mod = arg;

	for (struct kevent_probe *p = ev->probes; p; p = p->next) {
		if (p->pending || !names_module(&p->def, mod))
			continue;
		kevent_probe_unregister(p);	/* waits until no handler runs it */
		p->pending = true;
		pr_info("module %s: event %s/%s waits for it to load again\n", mod->name,
			p->def.group, p->def.event);
	}
	return 0;
}

/* The registry is walked without allocating: rmmod must not fail here. */
void kevent_module_coming(struct module *mod)
{
	kevent_iterate(NULL, "", coming_one, mod);
}

void kevent_module_going(struct module *mod)
{
	kevent_iterate(NULL, "", going_one, mod);
}
