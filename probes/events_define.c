/*
 * Defining events: a "p"/"r" line becomes a new event, one event per
 * matching function for a glob symbol, or, as in Linux 6.x, one more probe
 * point of the event it names when the fetch-args agree in number, names
 * and types ("p:ev sym1 a=%di" then "p:ev sym2 a=%si"). A point added to
 * an armed event (enabled, or with a hist trigger) is armed at once.
 *
 * A glob's events are all registered before any is added, so a failure
 * part-way leaves nothing behind; matches the probe engine refuses
 * (blacklisted code, instructions it cannot run out of line) and names two
 * functions share are skipped and counted instead.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "module.h"
#include "kprobe_events.h"
#include "events_internal.h"

#define KERNEL_MODULE	"kprobe64"	/* the only "module": the kernel itself */

static struct trace_event_def expanded;	/* big: console only */

/* ---- symbols ---- */

/* "kprobe64:sym" -> "sym"; NULL for any other module. */
static const char *strip_module(const char *symbol)
{
	const char *colon = strchr(symbol, ':');
	size_t n = sizeof(KERNEL_MODULE) - 1;

	if (!colon)
		return symbol;
	if ((size_t)(colon - symbol) == n && !memcmp(symbol, KERNEL_MODULE, n))
		return colon + 1;
	/* a loaded module: kallsyms takes "MOD:SYM" whole */
	return module_named(symbol, colon - symbol) ? symbol : NULL;
}

int kevent_lookup(const char *name, uint64_t *addr)
{
	const char *sym = strip_module(name);

	*addr = sym ? kallsyms_lookup_name(sym) : 0;
	return *addr ? 0 : -ENOENT;
}

struct name_count {
	const char *name;
	unsigned int n;
};

static int count_name(const struct ksym *s, void *arg)
{
	struct name_count *c = arg;

	if (s->type == 't' && !strcmp(ksym_name(s), c->name))
		c->n++;
	return 0;
}

static unsigned int functions_named(const char *name)
{
	struct name_count c = { name, 0 };

	kallsyms_for_each(count_name, &c);
	return c.n;
}

/* ---- one more point of an existing event ---- */

/*
 * Column of word idx (0: the "p:..." word) in the squeezed line. Past the
 * last word Linux's caret goes one further than a blank after the line
 * (it counts a separator after every word, the last one too).
 */
static int word_column(const char *line, unsigned int idx)
{
	const char *s = line;
	unsigned int word = 0;

	if (!idx)
		return 0;
	for (; *s; s++)
		if (*s == ' ' && ++word == idx)
			return (int)(s + 1 - line);
	return (int)(s - line) + 1;
}

static bool same_place(const struct trace_event_def *a, const struct trace_event_def *b)
{
	if (a->has_symbol != b->has_symbol)
		return false;
	if (!a->has_symbol)
		return a->addr == b->addr;
	return !strcmp(a->symbol, b->symbol) && a->offset == b->offset;
}

/*
 * Linux's checks before it appends a point, in its order and with its
 * error_log texts: the probe type, then the number of arguments (the caret
 * on the first one only one side has), then each argument's name, type and
 * array size (the caret on the first that differs), then an identical
 * point (same place, same fetch-args as typed).
 */
static int check_append(const struct kevent *ev, struct trace_event_def *def,
			const char *line, char *msg, size_t len)
{
	const struct trace_event_def *o = &ev->def;
	const struct kevent_probe *p;
	unsigned int i, n = min(o->nargs, def->nargs);

	def->err_pos = 0;
	if (o->is_return != def->is_return)
		return kevent_msg(msg, len, -EEXIST, "Probe type is different from existing probe");
	if (o->nargs != def->nargs)
		i = n;
	else
		for (i = 0; i < n; i++)
			if (o->args[i].type != def->args[i].type ||
			    o->args[i].count != def->args[i].count ||
			    strcmp(o->args[i].name, def->args[i].name))
				break;
	if (i < n || o->nargs != def->nargs) {
		def->err_pos = (int16_t)word_column(line, i + 2);
		return kevent_msg(msg, len, -EEXIST,
				  "Argument type or name is different from existing probe");
	}
	for (p = ev->probes; p; p = p->next) {
		if (!same_place(&p->def, def))
			continue;
		for (i = 0; i < n && !strcmp(p->def.args[i].text, def->args[i].text); i++)
			;
		if (i == n) {
			def->err_pos = 0;
			return kevent_msg(msg, len, -EEXIST, "There is already the exact same probe event");
		}
	}
	return 0;
}

/* Why the engine refused an address, as the console says it. */
static const char *refusal(int err)
{
	switch (err) {
	case -EILSEQ:
		return "not on an instruction boundary";
	case -EOPNOTSUPP:
		return "the instruction there cannot be probed";
	case -ENOMEM:
		return "out of memory";
	case -E2BIG:
		return "maxactive too large";
	case -EINVAL:
		return "not probeable kernel text";
	default:
		return "refused by the probe engine";
	}
}

/*
 * Linux's error_log text for a probe the kprobes core refused (blacklisted,
 * not text, an instruction it cannot run); ours goes on to say why.
 */
#define FAIL_REG	"Failed to register probe event"

/* Resolve def, check its place, and register a probe point for it. */
static struct kevent_probe *make_point(struct trace_event_def *def, int *errp,
				       char *msg, size_t len)
{
	const char *sym = def->has_symbol ? strip_module(def->symbol) : NULL;
	char where[TRACE_NAME_MAX + 24];
	const struct ksym *ks;
	struct kevent_probe *p;
	uint64_t off;
	int err;

	*errp = 0;
	if (def->has_symbol && !sym) {
		/* MOD is not loaded: kept, as Linux does, for MOD's load to register */
		p = kevent_probe_new(def);
		if (!p) {
			*errp = kevent_msg(msg, len, -ENOMEM, "out of memory");
			return NULL;
		}
		p->pending = true;
		return p;
	}
	if (def->has_symbol) {
		def->err_pos = (int16_t)def->point_pos;
		if (functions_named(sym) > 1) {
			*errp = kevent_msg(msg, len, -EINVAL,
					   "The symbol is not unique (%u functions are named '%s'; probe one by address)",
					   functions_named(sym), sym);
			return NULL;
		}
		snprintf(where, sizeof(where), def->offset ? "%s+%u" : "%s", def->symbol,
			 def->offset);
	} else {
		snprintf(where, sizeof(where), "0x%lx", def->addr);
	}
	err = trace_event_resolve(def, kevent_lookup, msg, len);
	if (err)
		goto fail;
	def->err_pos = (int16_t)def->point_pos;
	err = -EINVAL;
	if (!is_kernel_text(def->addr)) {
		kevent_msg(msg, len, err, FAIL_REG ": %s is not kernel text", where);
		goto fail;
	}
	/* as Linux, SYM+OFFS may lie past SYM's end, in a function after it */
	ks = kallsyms_lookup(def->addr, &off);
	if (kprobe_blacklisted(def->addr)) {
		kevent_msg(msg, len, err,
			   FAIL_REG ": %s is on the kprobe blacklist (the probe path runs it)",
			   where);
		goto fail;
	}
	err = -ENOMEM;
	p = kevent_probe_new(def);
	if (!p) {
		kevent_msg(msg, len, err, "out of memory");
		goto fail;
	}
	err = kevent_probe_register(p);
	if (!err)
		return p;
	kfree(p);
	if (err == -EILSEQ)
		kevent_msg(msg, len, err, "Probe point is not an instruction boundary (%s; see 'insns %s')",
			   where, ks ? ksym_name(ks) : where);
	else if (err == -EOPNOTSUPP)
		kevent_msg(msg, len, err, FAIL_REG ": %s: %s (see 'insns %s')",
			   where, refusal(err), ks ? ksym_name(ks) : where);
	else
		kevent_msg(msg, len, err, FAIL_REG ": %s: %s", where, refusal(err));
fail:
	*errp = err;
	return NULL;
}

static int define_one(struct trace_event_def *def, const char *line, char *msg, size_t len)
{
	struct kevent *ev = kevent_find(def->group, def->event);
	struct kevent_probe *p, **tail;
	int err;

	if (ev) {
		err = check_append(ev, def, line, msg, len);
		if (err)
			return err;
	} else if (kevent_reserve(1)) {
		return kevent_msg(msg, len, -ENOMEM, "out of memory");
	}
	p = make_point(def, &err, msg, len);
	if (!p)
		return err;
	if (!ev) {
		ev = kevent_new(p);
		if (!ev) {
			kevent_probe_unregister(p);
			kfree(p);
			return kevent_msg(msg, len, -ENOMEM, "out of memory");
		}
		kevent_add(ev);
		if (p->pending)
			return kevent_msg(msg, len, 0,
					  "added %s/%s (disabled; module '%.*s' is not loaded: its probe is registered when it is)",
					  def->group, def->event,
					  (int)(strchr(def->symbol, ':') - def->symbol), def->symbol);
		return kevent_msg(msg, len, 0, "added %s/%s (disabled; 'enable %s/%s' starts it)",
				  def->group, def->event, def->group, def->event);
	}
	p->ev = ev;
	kevent_probe_number(p);
	for (tail = &ev->probes; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	ev->nprobes++;
	/* an armed event's new point fires from now on, as Linux's does */
	if ((ev->enabled || ev->hist) && !p->pending)
		enable_kprobe(&p->rp.kp);
	return kevent_msg(msg, len, 0, "added a probe point to %s/%s (%u points%s)",
			  def->group, def->event, ev->nprobes, ev->enabled ? ", enabled" : "");
}

/* ---- globs: one event per matching function ---- */

struct glob_state {
	const struct trace_event_def *pattern;
	const char *pat;		/* the symbol pattern without "kprobe64:" */
	struct kevent_probe **batch;
	unsigned int n, max;
	unsigned int matched, blacklisted, unprobeable, ambiguous;
	uint64_t lastaddr;
	int err;
	char *msg;
	size_t len;
};

static bool batch_has_name(const struct glob_state *g, const char *event)
{
	for (unsigned int i = 0; i < g->n; i++)
		if (!strcmp(g->batch[i]->def.event, event))
			return true;
	return false;
}

static int grow_batch(struct glob_state *g)
{
	unsigned int max = g->max ? g->max * 2 : 64;
	struct kevent_probe **b = kmalloc(max * sizeof(*b));

	if (!b)
		return -ENOMEM;
	if (g->n)
		memcpy(b, g->batch, g->n * sizeof(*b));
	kfree(g->batch);
	g->batch = b;
	g->max = max;
	return 0;
}

static int glob_one(const struct ksym *s, void *arg)
{
	struct glob_state *g = arg;
	const char *name = ksym_name(s);
	struct kevent_probe *p;
	uint64_t off;
	int err;

	if (s->type != 't' || !is_kernel_text(s->addr) || !glob_match(g->pat, name))
		return 0;
	if (s->addr == g->lastaddr)
		return 0;	/* an alias of a function already taken */
	g->lastaddr = s->addr;
	g->matched++;
	if (kprobe_blacklisted(s->addr)) {
		g->blacklisted++;
		return 0;
	}
	if (kallsyms_lookup_name(name) != s->addr || functions_named(name) > 1) {
		g->ambiguous++;
		return 0;
	}
	if (g->pattern->offset && (!kallsyms_lookup(s->addr + g->pattern->offset, &off) ||
				   off != g->pattern->offset)) {
		g->unprobeable++;	/* the function is shorter than +offs */
		return 0;
	}
	err = trace_event_expand(g->pattern, name, &expanded, g->msg, g->len);
	if (!err)
		err = trace_event_resolve(&expanded, kevent_lookup, g->msg, g->len);
	if (err) {
		g->err = err;
		return 1;
	}
	if (kevent_find(expanded.group, expanded.event) || batch_has_name(g, expanded.event)) {
		g->err = kevent_msg(g->msg, g->len, -EEXIST,
				    "Given group/event name is already used by another event (%s/%s)",
				    expanded.group, expanded.event);
		return 1;
	}
	if (g->n == g->max && grow_batch(g))
		goto nomem;
	p = kevent_probe_new(&expanded);
	if (!p)
		goto nomem;
	err = kevent_probe_register(p);
	if (err == -ENOMEM) {
		kfree(p);
		goto nomem;
	}
	if (err) {
		kfree(p);
		g->unprobeable++;
		return 0;
	}
	g->batch[g->n++] = p;
	return 0;
nomem:
	g->err = kevent_msg(g->msg, g->len, -ENOMEM, "out of memory after %u events", g->n);
	return 1;
}

/* Every point of the batch into an event of its own, or (out of memory) none. */
static int add_batch(struct glob_state *g)
{
	struct kevent **evs = kmalloc((g->n ? g->n : 1) * sizeof(*evs));
	unsigned int i;

	if (!evs || kevent_reserve(g->n))
		goto nomem;
	for (i = 0; i < g->n; i++) {
		evs[i] = kevent_new(g->batch[i]);
		if (!evs[i])
			break;
	}
	if (i < g->n) {
		while (i--) {
			evs[i]->probes = NULL;	/* the batch still owns the points */
			kevent_free(evs[i]);
		}
		goto nomem;
	}
	for (i = 0; i < g->n; i++)
		kevent_add(evs[i]);
	kfree(evs);
	return 0;
nomem:
	kfree(evs);
	return kevent_msg(g->msg, g->len, -ENOMEM, "out of memory");
}

static int define_glob(struct trace_event_def *def, char *msg, size_t len)
{
	struct glob_state g = { .pattern = def, .msg = msg, .len = len };
	char skipped[120] = "";
	int pos = 0;

	g.pat = strip_module(def->symbol);
	kallsyms_for_each(glob_one, &g);
	if (!g.err && !g.n)
		g.err = kevent_msg(msg, len, -ENOENT, g.matched ?
				   "no probeable function matches '%s' (%u matched: %u blacklisted, %u unprobeable, %u ambiguous)" :
				   "no function matches '%s'",
				   def->symbol, g.matched, g.blacklisted, g.unprobeable, g.ambiguous);
	if (!g.err)
		g.err = add_batch(&g);
	if (g.err) {
		for (unsigned int i = 0; i < g.n; i++) {
			kevent_probe_unregister(g.batch[i]);
			kfree(g.batch[i]);
		}
		kfree(g.batch);
		return g.err;
	}
	kfree(g.batch);
	if (g.blacklisted)
		pos += snprintf(skipped + pos, sizeof(skipped) - pos, ", %u blacklisted", g.blacklisted);
	if (g.unprobeable)
		pos += snprintf(skipped + pos, sizeof(skipped) - pos, ", %u unprobeable", g.unprobeable);
	if (g.ambiguous)
		pos += snprintf(skipped + pos, sizeof(skipped) - pos, ", %u with non-unique names", g.ambiguous);
	return kevent_msg(msg, len, 0, "added %u events to group '%s' for '%s' (disabled; 'enable %s/*' starts them)%s%s",
			  g.n, def->group, def->symbol, def->group,
			  pos ? "; skipped" : "", pos ? skipped + 1 : "");
}

int kevent_define(struct trace_event_def *def, const char *line, char *msg, size_t len)
{
	/* one point per function needs the functions: a pending glob has none */
	if (def->has_symbol && def->symbol_glob && !strip_module(def->symbol)) {
		def->err_pos = (int16_t)def->point_pos;
		return kevent_msg(msg, len, -ENOENT,
				  "Invalid probed address or symbol (no module '%.*s' is loaded to match the glob in; '%s:' names the kernel)",
				  (int)(strchr(def->symbol, ':') - def->symbol), def->symbol,
				  KERNEL_MODULE);
	}
	if (def->symbol_glob)
		return define_glob(def, msg, len);
	return define_one(def, line, msg, len);
}
