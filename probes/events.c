/*
 * The kprobe_events registry: the events defined from the console, kept in
 * creation order, each with one or more probe points (registered kprobes,
 * or kretprobes), and the one entry point for kprobe_events lines. What a
 * line does is in events_define.c ("p", "r") and events_remove.c ("-:").
 *
 * Events are created disabled, as in Linux; registering a disabled probe
 * does not touch the text, enabling arms every point of the event.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kprobe_events.h"
#include "events_internal.h"

static struct kevent **events;
static unsigned int nevents, capacity;
static uint32_t next_id = 1;
/* Linux lists probe points in the order they were defined, across events. */
static uint64_t next_seq = 1;

/* Parse results are big (~3 KiB): one, used by the console only. */
static struct trace_event_def parsed;

int kevent_msg(char *msg, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return ret;
}

unsigned int kevent_count(void)
{
	return nevents;
}

struct kevent *kevent_by_id(uint32_t id)
{
	unsigned int lo = 0, hi = nevents;

	while (lo < hi) {	/* ids grow in creation order */
		unsigned int mid = lo + (hi - lo) / 2;

		if (events[mid]->id == id)
			return events[mid];
		if (events[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

unsigned long kevent_probe_hits(const struct kevent_probe *p)
{
	return p->def.is_return ? kretprobe_nhit(&p->rp) : kprobe_nhit(&p->rp.kp);
}

unsigned long kevent_probe_misses(const struct kevent_probe *p)
{
	return kprobe_nmissed(&p->rp.kp) + (p->def.is_return ? kretprobe_nmissed(&p->rp) : 0);
}

unsigned long kevent_hits(const struct kevent *ev)
{
	unsigned long n = 0;

	for (const struct kevent_probe *p = ev->probes; p; p = p->next)
		n += kevent_probe_hits(p);
	return n;
}

unsigned long kevent_misses(const struct kevent *ev)
{
	unsigned long n = 0;

	for (const struct kevent_probe *p = ev->probes; p; p = p->next)
		n += kevent_probe_misses(p);
	return n;
}

int kevent_arm(struct kevent *ev)
{
	struct kevent_probe *p, *q;
	int err;

	/* a pending point has no kprobe yet: its module's load arms it */
	for (p = ev->probes; p; p = p->next) {
		if (p->pending)
			continue;
		err = enable_kprobe(&p->rp.kp);
		if (err) {
			for (q = ev->probes; q != p; q = q->next)
				if (!q->pending)
					disable_kprobe(&q->rp.kp);
			return err;
		}
	}
	return 0;
}

void kevent_disarm(struct kevent *ev)
{
	for (struct kevent_probe *p = ev->probes; p; p = p->next)
		if (!p->pending)
			disable_kprobe(&p->rp.kp);
}

/* ---- finding ---- */

static bool names_match(const struct kevent *ev, const char *group, const char *event)
{
	return (!group || glob_match(group, ev->def.group)) &&
	       (!*event || glob_match(event, ev->def.event));
}

int kevent_iterate(const char *group, const char *event,
		   int (*fn)(struct kevent *ev, void *arg), void *arg)
{
	unsigned int i;
	int ret;

	for (i = 0; i < nevents; i++) {
		struct kevent *ev = events[i];

		if (!names_match(ev, group, event))
			continue;
		ret = fn(ev, arg);
		if (ret)
			return ret;
		if (i < nevents && events[i] != ev)
			i--;	/* fn removed it: the next one moved into its place */
	}
	return 0;
}

int kevent_for_each(const char *target, int (*fn)(struct kevent *ev, void *arg),
		    void *arg)
{
	char group[TRACE_NAME_MAX];
	const char *slash = strchr(target, '/');

	if (!strcmp(target, "all"))
		return kevent_iterate(NULL, "*", fn, arg);
	if (!*target)
		return 0;
	if (!slash)
		return kevent_iterate(NULL, target, fn, arg);
	if ((size_t)(slash - target) >= sizeof(group) || !slash[1])
		return 0;
	memcpy(group, target, slash - target);
	group[slash - target] = '\0';
	return kevent_iterate(group, slash + 1, fn, arg);
}

struct probe_list {
	struct kevent_probe **v;
	unsigned int n, max;
};

static int gather(struct kevent *ev, void *arg)
{
	struct probe_list *l = arg;

	for (struct kevent_probe *p = ev->probes; p && l->n < l->max; p = p->next)
		l->v[l->n++] = p;
	return 0;
}

int kevent_for_each_probe(const char *target,
			  int (*fn)(struct kevent_probe *p, void *arg), void *arg)
{
	struct probe_list l = { NULL, 0, 0 };
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < nevents; i++)
		l.max += events[i]->nprobes;
	if (!l.max)
		return 0;
	l.v = kmalloc(l.max * sizeof(*l.v));
	if (!l.v)
		return -ENOMEM;
	kevent_for_each(target, gather, &l);
	/* events are in creation order; only appended points are out of place */
	for (i = 1; i < l.n; i++) {
		struct kevent_probe *x = l.v[i];

		for (j = i; j && l.v[j - 1]->seq > x->seq; j--)
			l.v[j] = l.v[j - 1];
		l.v[j] = x;
	}
	for (i = 0; i < l.n && !ret; i++)
		ret = fn(l.v[i], arg);
	kfree(l.v);
	return ret;
}

struct kevent *kevent_find(const char *group, const char *event)
{
	for (unsigned int i = 0; i < nevents; i++)
		if (!strcmp(events[i]->def.group, group) &&
		    !strcmp(events[i]->def.event, event))
			return events[i];
	return NULL;
}

/* ---- making and freeing ---- */

static size_t def_size(unsigned int nargs)
{
	return offsetof(struct trace_event_def, args) + nargs * sizeof(struct fetch_arg);
}

struct kevent_probe *kevent_probe_new(const struct trace_event_def *def)
{
	struct kevent_probe *p = kzalloc(offsetof(struct kevent_probe, def) +
					 def_size(def->nargs));

	if (!p)
		return NULL;
	memcpy(&p->def, def, def_size(def->nargs));
	p->rp.kp.addr = (uint8_t *)def->addr;
	p->rp.kp.flags = KPROBE_FLAG_DISABLED;
	if (def->is_return) {
		p->rp.handler = kevent_ret_handler;
		p->rp.maxactive = def->maxactive;
		if (def->entry_args) {
			p->rp.entry_handler = kevent_entry_handler;
			p->rp.data_size = def->nargs * sizeof(uint64_t);
		}
	} else {
		p->rp.kp.pre_handler = kevent_pre_handler;
	}
	return p;
}

int kevent_probe_register(struct kevent_probe *p)
{
	return p->def.is_return ? register_kretprobe(&p->rp) : register_kprobe(&p->rp.kp);
}

void kevent_probe_unregister(struct kevent_probe *p)
{
	if (p->pending)
		return;		/* nothing registered */
	if (p->def.is_return)
		unregister_kretprobe(&p->rp);
	else
		unregister_kprobe(&p->rp.kp);
}

void kevent_probe_number(struct kevent_probe *p)
{
	p->seq = next_seq++;
}

struct kevent *kevent_new(struct kevent_probe *p)
{
	struct kevent *ev = kzalloc(offsetof(struct kevent, def) + def_size(p->def.nargs));

	if (!ev)
		return NULL;
	memcpy(&ev->def, &p->def, def_size(p->def.nargs));
	ev->probes = p;
	ev->nprobes = 1;
	p->ev = ev;
	return ev;
}

void kevent_free(struct kevent *ev)
{
	struct kevent_probe *p, *next;

	kevent_hist_free(ev);
	kfree(ev->filter);
	for (p = ev->probes; p; p = next) {
		next = p->next;
		kfree(p);
	}
	kfree(ev);
}

int kevent_reserve(unsigned int more)
{
	unsigned int cap = capacity ? capacity : 16;
	struct kevent **n;

	while (cap < nevents + more)
		cap *= 2;
	if (cap == capacity)
		return 0;
	n = kmalloc(cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (nevents)
		memcpy(n, events, nevents * sizeof(*n));
	kfree(events);
	events = n;
	capacity = cap;
	return 0;
}

void kevent_add(struct kevent *ev)
{
	ev->id = next_id++;
	kevent_probe_number(ev->probes);
	events[nevents++] = ev;
}

/* After removals: a mostly empty array shrinks (the last event gone, it goes). */
static void fit(void)
{
	unsigned int cap = 16;
	struct kevent **n;

	if (!nevents) {
		kfree(events);
		events = NULL;
		capacity = 0;
		return;
	}
	if (nevents > capacity / 4 || capacity <= 16)
		return;
	while (cap < 2 * nevents)
		cap *= 2;
	n = kmalloc(cap * sizeof(*n));
	if (!n)
		return;		/* keep the bigger one */
	memcpy(n, events, nevents * sizeof(*n));
	kfree(events);
	events = n;
	capacity = cap;
}

void kevent_unlink(struct kevent *ev)
{
	for (unsigned int i = 0; i < nevents; i++) {
		if (events[i] != ev)
			continue;
		memmove(&events[i], &events[i + 1], (nevents - i - 1) * sizeof(events[0]));
		nevents--;
		break;
	}
	fit();
}

/* ---- kprobe_events lines ---- */

/*
 * The line as Linux sees it after splitting it into words: blanks squeezed
 * to one space, no comment. Error columns count in this form.
 */
static void squeeze(const char *line, char *out, size_t len)
{
	size_t n = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	for (; *line && *line != '#' && *line != '\r' && *line != '\n' && n + 1 < len; line++) {
		if (*line == ' ' || *line == '\t') {
			if (n && out[n - 1] == ' ')
				continue;
			out[n++] = ' ';
		} else {
			out[n++] = *line;
		}
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

int kprobe_events_write(const char *line, char *msg, size_t len)
{
	static char cmd[KEVENT_LINE_MAX];
	size_t n;
	int err;

	squeeze(line, cmd, sizeof(cmd));
	err = trace_event_parse(cmd, &parsed, msg, len);
	if (!err)
		err = parsed.cmd == TRACE_CMD_REMOVE ? kevent_remove(&parsed, msg, len) :
		      kevent_define(&parsed, cmd, msg, len);
	/* as Linux, a removal that finds nothing to remove is not logged */
	if (err >= 0 || (parsed.cmd == TRACE_CMD_REMOVE && parsed.err_pos < 0))
		return err;
	trace_error_log("trace_kprobe", cmd, parsed.err_pos, msg);
	n = strlen(msg);
	if (parsed.err_pos >= 0 && n + 1 < len)
		snprintf(msg + n, len - n, " (column %d; see error_log)", parsed.err_pos);
	return err;
}
