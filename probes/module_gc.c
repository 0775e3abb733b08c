/*
 * When a module goes, remove what it left with the probe engine (Linux
 * does the same): MOD:SYM points of kprobe_events become pending again
 * (events_pending.c; they come back when the module does), other
 * kprobe_events points on its code are removed, then every kprobe, kretprobe
 * or jprobe whose address lies in it or whose handlers are its code. The
 * last removal waits out the hit path (synchronize_kprobes), so the
 * module's memory may be freed when this returns.
 */
#include "kprobes_internal.h"
#include "kprobe_events.h"
#include "events_internal.h"
#include "module.h"
#include "mm.h"

struct leftovers {
	struct module *mod;
	struct kprobe **kps;
	unsigned int n, max;
};

static bool in_mod(const void *p, const struct module *mod)
{
	return p && within_module((uint64_t)p, mod);
}

static bool probe_is_modules(const struct kprobe *p, const struct module *mod)
{
	if (in_mod(p->addr, mod) || in_mod(p, mod) || in_mod((const void *)p->pre_handler, mod) ||
	    in_mod((const void *)p->post_handler, mod) || in_mod((const void *)p->fault_handler, mod))
		return true;
	/* a jprobe's pre_handler is the kernel's; the module's code is its entry */
	if (in_mod(jprobe_entry_of(p), mod))
		return true;
	if (p->pre_handler == kretprobe_pre_handler) {
		const struct kretprobe *rp = container_of(p, struct kretprobe, kp);

		return in_mod((const void *)rp->handler, mod) || in_mod((const void *)rp->entry_handler, mod);
	}
	return false;
}

static int collect_probe(struct kprobe *p, void *arg)
{
	struct leftovers *l = arg;

	if (!probe_is_modules(p, l->mod))
		return 0;
	if (l->n < l->max)
		l->kps[l->n] = p;
	l->n++;
	return 0;
}

static int count_probe(struct kprobe *p, void *arg)
{
	(*(unsigned int *)arg)++;
	(void)p;
	return 0;
}

/* "-:GRP/EVENT POINT" for each probe point on the module's code. */
struct doomed {
	struct module *mod;
	char (*lines)[2 * TRACE_NAME_MAX + 32];
	unsigned int n, max;
};

static int collect_point(struct kevent_probe *p, void *arg)
{
	struct doomed *d = arg;
	const struct trace_event_def *def = &p->def;

	if (p->pending)		/* its def.addr is from an earlier load */
		return 0;
	if (!in_mod(p->rp.kp.addr, d->mod) && !(def->addr && within_module(def->addr, d->mod)))
		return 0;
	if (d->n == d->max)
		return 1;
	if (def->has_symbol)
		snprintf(d->lines[d->n++], sizeof(d->lines[0]), def->offset ? "-:%s/%s %s+%u" : "-:%s/%s %s",
			 def->group, def->event, def->symbol, def->offset);
	else
		snprintf(d->lines[d->n++], sizeof(d->lines[0]), "-:%s/%s 0x%lx", def->group, def->event,
			 def->addr);
	return 0;
}

static int count_point(struct kevent *ev, void *arg)
{
	*(unsigned int *)arg += ev->nprobes;
	return 0;
}

static void drop_events(struct module *mod)
{
	struct doomed d = { mod, NULL, 0, 0 };
	char target[2 * TRACE_NAME_MAX + 2], msg[KEVENT_MSG_MAX];

	kevent_for_each("all", count_point, &d.max);
	if (!d.max || !(d.lines = kmalloc(d.max * sizeof(*d.lines))))
		return;
	kevent_for_each_probe("all", collect_point, &d);
	for (unsigned int i = 0; i < d.n; i++) {
		const char *line = d.lines[i];
		int err = kprobe_events_write(line, msg, sizeof(msg));

		if (err == -EBUSY) {	/* its last point: the event goes too */
			snprintf(target, sizeof(target), "%.*s", (int)(strchr(line, ' ') - line - 2),
				 line + 2);
			kevent_enable(target, false, msg, sizeof(msg));
			err = kprobe_events_write(line, msg, sizeof(msg));
		}
		if (err < 0 && err != -ENOENT)	/* ENOENT: an earlier line took it */
			pr_err("module %s: event %s left behind: %s\n", mod->name, line + 2, msg);
		else if (!err)
			pr_info("module %s: removed event %s\n", mod->name, line + 2);
	}
	kfree(d.lines);
}

static void module_going(struct module *mod)
{
	struct leftovers l = { mod, NULL, 0, 0 };

	kevent_module_going(mod);
	drop_events(mod);
	kprobe_for_each(count_probe, &l.max);
	if (!l.max || !(l.kps = kmalloc(l.max * sizeof(*l.kps)))) {
		synchronize_kprobes();
		return;
	}
	kprobe_for_each(collect_probe, &l);
	for (unsigned int i = 0; i < l.n && i < l.max; i++) {
		struct kprobe *p = l.kps[i];
		char sym[96];

		pr_info("module %s: removing its probe at %s\n", mod->name,
			kallsyms_sprint((uint64_t)p->addr, sym, sizeof(sym)));
		if (p->pre_handler == kretprobe_pre_handler)
			unregister_kretprobe(container_of(p, struct kretprobe, kp));
		else
			unregister_kprobe(p);
	}
	kfree(l.kps);
	/* a handler of the module may still be running on another CPU */
	synchronize_kprobes();
}

static struct module_notifier probes_notifier = {
	.coming = kevent_module_coming,
	.going = module_going,
};

static int module_gc_init(void)
{
	register_module_notifier(&probes_notifier);
	return 0;
}
INITCALL(module_gc_init, 3);
