/*
 * When a module goes, remove what it left with the probe engine (Linux
 * does the same): kprobe_events on its code, then every kprobe or
 * kretprobe whose address lies in it or whose handlers are its code. The
 * last removal waits out the hit path (synchronize_kprobes), so the
 * module's memory may be freed when this returns.
 */
#include "kprobes_internal.h"
#include "kprobe_events.h"
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

static int collect_event(struct kevent *ev, void *arg)
{
	struct leftovers *l = arg;

	if (!in_mod(ev->rp.kp.addr, l->mod) && !(ev->def.addr && within_module(ev->def.addr, l->mod)))
		return 0;
	if (l->n < l->max)
		l->kps[l->n] = &ev->rp.kp;
	l->n++;
	return 0;
}

static void drop_events(struct module *mod)
{
	struct leftovers l = { mod, NULL, 0, kevent_count() };
	char line[2 * TRACE_NAME_MAX + 8], msg[KEVENT_MSG_MAX];

	if (!l.max || !(l.kps = kmalloc(l.max * sizeof(*l.kps))))
		return;
	kevent_for_each("all", collect_event, &l);
	for (unsigned int i = 0; i < l.n && i < l.max; i++) {
		struct kevent *ev = container_of(l.kps[i], struct kevent, rp.kp);

		snprintf(line, sizeof(line), "%s/%s", ev->def.group, ev->def.event);
		kevent_enable(line, false, msg, sizeof(msg));
		snprintf(line, sizeof(line), "-:%s/%s", ev->def.group, ev->def.event);
		if (kprobe_events_write(line, msg, sizeof(msg)) < 0)
			pr_err("module %s: event %s left behind: %s\n", mod->name, line + 2, msg);
		else
			pr_info("module %s: removed event %s\n", mod->name, line + 2);
	}
	kfree(l.kps);
}

static void module_going(struct module *mod)
{
	struct leftovers l = { mod, NULL, 0, 0 };

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

static struct module_notifier probes_notifier = { .going = module_going };

static int module_gc_init(void)
{
	register_module_notifier(&probes_notifier);
	return 0;
}
INITCALL(module_gc_init, 3);
