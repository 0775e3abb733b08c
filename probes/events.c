/*
 * The kprobe_events registry: definitions typed at the console become
 * registered kprobes (p) or kretprobes (r), created disabled as in Linux,
 * kept in creation order (the order kprobe_events lists them).
 *
 * A glob symbol defines one event per matching function, all registered
 * before any is added, so a failure part-way leaves nothing behind; matches
 * the probe engine refuses (blacklisted code, instructions it cannot run out
 * of line) and names two functions share are skipped and counted instead.
 *
 * Registering a disabled probe does not touch the text; enable arms it.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"
#include "module.h"
#include "kprobe_events.h"
#include "events_internal.h"

#define KERNEL_MODULE	"kprobe64"	/* the only "module": the kernel itself */

static struct kevent **events;
static unsigned int nevents, capacity;
static uint32_t next_id = 1;

/* Parse results are big (~3 KiB): one set, used by the console only. */
static struct trace_event_def parsed, expanded;

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

static bool is_return(const struct kevent *ev)
{
	return ev->def.is_return;
}

unsigned long kevent_hits(const struct kevent *ev)
{
	return is_return(ev) ? kretprobe_nhit(&ev->rp) : kprobe_nhit(&ev->rp.kp);
}

unsigned long kevent_misses(const struct kevent *ev)
{
	return kprobe_nmissed(&ev->rp.kp) + (is_return(ev) ? kretprobe_nmissed(&ev->rp) : 0);
}

/* "GRP/EVENT" patterns; group NULL matches any group. */
static bool names_match(const struct kevent *ev, const char *group, const char *event)
{
	return (!group || glob_match(group, ev->def.group)) &&
	       glob_match(event, ev->def.event);
}

/* Events whose group matches group (NULL: any) and whose name matches event. */
static int iterate(const char *group, const char *event,
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
		return iterate(NULL, "*", fn, arg);
	if (!slash)
		return iterate(NULL, target, fn, arg);
	if ((size_t)(slash - target) >= sizeof(group))
		return 0;
	memcpy(group, target, slash - target);
	group[slash - target] = '\0';
	return iterate(group, slash + 1, fn, arg);
}

static struct kevent *find_event(const char *group, const char *event)
{
	for (unsigned int i = 0; i < nevents; i++)
		if (!strcmp(events[i]->def.group, group) &&
		    !strcmp(events[i]->def.event, event))
			return events[i];
	return NULL;
}

static bool name_taken(const char *group, const char *event)
{
	return find_event(group, event) != NULL;
}

/* Column of fetch-arg idx (0-based) in the parsed line, for the caret. */
static int arg_column(const char *line, unsigned int idx)
{
	const char *s = line;
	unsigned int word = 0;

	for (; *s; s++)
		if (*s == ' ' && ++word == idx + 2)
			return (int)(s + 1 - line);
	return -1;
}

/*
 * A second definition of an existing event: Linux would add it as one more
 * probe point of that event when the types agree, and refuses it with these
 * messages when they do not. We keep one probe point per event, so even
 * a matching one is refused, saying so.
 */
static int check_existing(const struct trace_event_def *def, const char *line,
			  char *msg, size_t len)
{
	const struct kevent *old = find_event(def->group, def->event);
	const struct trace_event_def *o;
	unsigned int i, n;

	if (!old)
		return 0;
	o = &old->def;
	parsed.err_pos = 0;
	if (o->is_return != def->is_return)
		return kevent_msg(msg, len, -EEXIST, "Probe type is different from existing probe");
	n = min(o->nargs, def->nargs);
	for (i = 0; i < n; i++)
		if (o->args[i].type != def->args[i].type ||
		    o->args[i].count != def->args[i].count ||
		    strcmp(o->args[i].name, def->args[i].name))
			break;
	if (i < n || o->nargs != def->nargs) {
		parsed.err_pos = (int16_t)arg_column(line, i);
		return kevent_msg(msg, len, -EEXIST,
				  "Argument type or name is different from existing probe");
	}
	if (o->addr == def->addr || (o->has_symbol && def->has_symbol &&
				     !strcmp(o->symbol, def->symbol) && o->offset == def->offset)) {
		for (i = 0; i < n && !strcmp(o->args[i].text, def->args[i].text); i++)
			;
		if (i == n)
			return kevent_msg(msg, len, -EEXIST, "There is already the exact same probe event");
	}
	return kevent_msg(msg, len, -EEXIST,
			  "Given group/event name is already used by another event (one probe point per event here)");
}

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

static int lookup(const char *name, uint64_t *addr)
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

/* ---- creating ---- */

static size_t kevent_size(unsigned int nargs)
{
	return offsetof(struct kevent, def) + offsetof(struct trace_event_def, args) +
	       nargs * sizeof(struct fetch_arg);
}

static struct kevent *kevent_new(const struct trace_event_def *def)
{
	struct kevent *ev = kzalloc(kevent_size(def->nargs));

	if (!ev)
		return NULL;
	memcpy(&ev->def, def, offsetof(struct trace_event_def, args) +
	       def->nargs * sizeof(struct fetch_arg));
	ev->rp.kp.addr = (uint8_t *)def->addr;
	ev->rp.kp.flags = KPROBE_FLAG_DISABLED;
	if (def->is_return) {
		ev->rp.handler = kevent_ret_handler;
		ev->rp.maxactive = def->maxactive;
		if (def->entry_args) {
			ev->rp.entry_handler = kevent_entry_handler;
			ev->rp.data_size = def->nargs * sizeof(uint64_t);
		}
	} else {
		ev->rp.kp.pre_handler = kevent_pre_handler;
	}
	return ev;
}

static int kevent_register(struct kevent *ev)
{
	return is_return(ev) ? register_kretprobe(&ev->rp) : register_kprobe(&ev->rp.kp);
}

static void kevent_unregister(struct kevent *ev)
{
	if (is_return(ev))
		unregister_kretprobe(&ev->rp);
	else
		unregister_kprobe(&ev->rp.kp);
}

static void kevent_free(struct kevent *ev)
{
	kevent_hist_free(ev);
	kfree(ev->filter);
	kfree(ev);
}

static int reserve(unsigned int more)
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

static int define_one(struct trace_event_def *def, char *msg, size_t len)
{
	const char *sym = def->has_symbol ? strip_module(def->symbol) : NULL;
	char where[TRACE_NAME_MAX + 24];
	const struct ksym *ks;
	struct kevent *ev;
	uint64_t off;
	int err;

	if (def->has_symbol) {
		def->err_pos = (int16_t)def->point_pos;
		if (functions_named(sym) > 1)
			return kevent_msg(msg, len, -EINVAL,
				    "The symbol is not unique (%u functions are named '%s'; probe one by address)",
				    functions_named(sym), sym);
		snprintf(where, sizeof(where), def->offset ? "%s+%u" : "%s", def->symbol,
			 def->offset);
	} else {
		snprintf(where, sizeof(where), "0x%lx", def->addr);
	}
	err = trace_event_resolve(def, lookup, msg, len);
	if (err)
		return err;
	def->err_pos = (int16_t)def->point_pos;
	if (!is_kernel_text(def->addr))
		return kevent_msg(msg, len, -EINVAL, "cannot probe %s: not kernel text", where);
	ks = kallsyms_lookup(def->addr, &off);
	if (def->has_symbol && (!ks || off != def->offset))
		return kevent_msg(msg, len, -EINVAL, "cannot probe %s: offset %u is past the end of %s",
			    where, def->offset, sym);
	if (kprobe_blacklisted(def->addr))
		return kevent_msg(msg, len, -EINVAL,
			    "cannot probe %s: it is on the kprobe blacklist (the probe path runs it)",
			    where);
	if (reserve(1))
		return kevent_msg(msg, len, -ENOMEM, "out of memory");
	ev = kevent_new(def);
	if (!ev)
		return kevent_msg(msg, len, -ENOMEM, "out of memory");
	err = kevent_register(ev);
	if (err) {
		kfree(ev);
		if (err == -EILSEQ)
			return kevent_msg(msg, len, err, "Probe point is not an instruction boundary (%s; see 'insns %s')",
				    where, ks ? ksym_name(ks) : where);
		if (err == -EOPNOTSUPP)
			return kevent_msg(msg, len, err, "cannot probe %s: %s (see 'insns %s')",
				    where, refusal(err), ks ? ksym_name(ks) : where);
		return kevent_msg(msg, len, err, "cannot probe %s: %s", where, refusal(err));
	}
	ev->id = next_id++;
	events[nevents++] = ev;
	return kevent_msg(msg, len, 0, "added %s/%s (disabled; 'enable %s/%s' starts it)",
		    def->group, def->event, def->group, def->event);
}

/* ---- globs: one event per matching function ---- */

struct glob_state {
	const struct trace_event_def *pattern;
	const char *pat;		/* the symbol pattern without "kprobe64:" */
	struct kevent **batch;
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

static int glob_one(const struct ksym *s, void *arg)
{
	struct glob_state *g = arg;
	const char *name = ksym_name(s);
	struct kevent *ev;
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
		err = trace_event_resolve(&expanded, lookup, g->msg, g->len);
	if (err) {
		g->err = err;
		return 1;
	}
	if (name_taken(expanded.group, expanded.event) || batch_has_name(g, expanded.event)) {
		g->err = kevent_msg(g->msg, g->len, -EEXIST,
			      "Given group/event name is already used by another event (%s/%s)",
			      expanded.group, expanded.event);
		return 1;
	}
	if (g->n == g->max) {
		unsigned int max = g->max ? g->max * 2 : 64;
		struct kevent **b = kmalloc(max * sizeof(*b));

		if (!b)
			goto nomem;
		if (g->n)
			memcpy(b, g->batch, g->n * sizeof(*b));
		kfree(g->batch);
		g->batch = b;
		g->max = max;
	}
	ev = kevent_new(&expanded);
	if (!ev)
		goto nomem;
	err = kevent_register(ev);
	if (err == -ENOMEM) {
		kfree(ev);
		goto nomem;
	}
	if (err) {
		kfree(ev);
		g->unprobeable++;
		return 0;
	}
	g->batch[g->n++] = ev;
	return 0;
nomem:
	g->err = kevent_msg(g->msg, g->len, -ENOMEM, "out of memory after %u events", g->n);
	return 1;
}

static int define_glob(struct trace_event_def *def, char *msg, size_t len)
{
	struct glob_state g = { .pattern = def, .msg = msg, .len = len };
	char skipped[120] = "";
	int pos = 0;

	g.pat = strip_module(def->symbol);
	if (!g.pat)
		return kevent_msg(msg, len, -ENOENT, "unknown module in '%s' (only '%s:' names the kernel)",
			    def->symbol, KERNEL_MODULE);
	kallsyms_for_each(glob_one, &g);
	if (!g.err && !g.n)
		g.err = kevent_msg(msg, len, -ENOENT, g.matched ?
			     "no probeable function matches '%s' (%u matched: %u blacklisted, %u unprobeable, %u ambiguous)" :
			     "no function matches '%s'",
			     def->symbol, g.matched, g.blacklisted, g.unprobeable, g.ambiguous);
	if (!g.err && reserve(g.n))
		g.err = kevent_msg(msg, len, -ENOMEM, "out of memory");
	if (g.err) {
		for (unsigned int i = 0; i < g.n; i++) {
			kevent_unregister(g.batch[i]);
			kfree(g.batch[i]);
		}
		kfree(g.batch);
		return g.err;
	}
	for (unsigned int i = 0; i < g.n; i++) {
		g.batch[i]->id = next_id++;
		events[nevents++] = g.batch[i];
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

/* ---- removing ---- */

struct remove_state {
	const char *busy;
	const char *point;	/* "-:ev SYM": only the event probing SYM */
	unsigned int n;
	bool clear;
};

/* "SYM", "SYM+offs" or an address, as the event was defined. */
static bool point_matches(const struct kevent *ev, const char *point)
{
	char buf[TRACE_NAME_MAX + 16];
	uint64_t addr;

	if (!point)
		return true;
	if (ev->def.has_symbol) {
		snprintf(buf, sizeof(buf), ev->def.offset ? "%s+%u" : "%s",
			 ev->def.symbol, ev->def.offset);
		if (!strcmp(buf, point))
			return true;
	}
	return !kstrtou64(point, &addr) && addr == ev->def.addr;
}

static int check_removable(struct kevent *ev, void *arg)
{
	struct remove_state *r = arg;

	if (!point_matches(ev, r->point))
		return 0;
	r->n++;
	if ((ev->enabled || ev->hist) && !r->busy)
		r->busy = ev->def.event;
	return 0;
}

static void remove_at(unsigned int i)
{
	memmove(&events[i], &events[i + 1], (nevents - i - 1) * sizeof(events[0]));
	nevents--;
}

static int remove_one(struct kevent *ev, void *arg)
{
	struct remove_state *r = arg;

	if (!point_matches(ev, r->point))
		return 0;
	for (unsigned int i = 0; i < nevents; i++) {
		if (events[i] == ev) {
			remove_at(i);
			break;
		}
	}
	kevent_unregister(ev);
	r->clear |= ev->was_enabled;
	kevent_free(ev);
	return 0;
}

static int remove_events(const struct trace_event_def *def, char *msg, size_t len)
{
	const char *group = def->group[0] ? def->group : NULL;
	struct remove_state r = { .point = def->has_symbol ? def->symbol : NULL };
	char target[2 * TRACE_NAME_MAX + 2];

	snprintf(target, sizeof(target), "%s%s%s", def->group, group ? "/" : "", def->event);
	iterate(group, def->event, check_removable, &r);
	if (!r.n && r.point)
		return kevent_msg(msg, len, -ENOENT, "no event matches '%s' at %s", target, r.point);
	if (!r.n)
		return kevent_msg(msg, len, -ENOENT, "no event matches '%s'", target);
	if (r.busy)
		return kevent_msg(msg, len, -EBUSY,
			    "event '%s' is in use (enabled, or a hist trigger); 'disable %s' and remove its trigger first",
			    r.busy, target);
	iterate(group, def->event, remove_one, &r);
	fit();
	/* As Linux: no entry may outlive the definition that formats it. */
	if (r.clear)
		trace_buffer_clear();
	if (r.n == 1)
		return kevent_msg(msg, len, 0, "removed %s%s", target,
			    r.clear ? " (trace buffer cleared)" : "");
	return kevent_msg(msg, len, 0, "removed %u events%s", r.n,
		    r.clear ? " (trace buffer cleared)" : "");
}

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

static int define(const char *cmd, char *msg, size_t len)
{
	int err = trace_event_parse(cmd, &parsed, msg, len);

	if (err)
		return err;
	if (parsed.cmd == TRACE_CMD_REMOVE)
		return remove_events(&parsed, msg, len);
	if (parsed.has_symbol && !strip_module(parsed.symbol)) {
		parsed.err_pos = (int16_t)parsed.point_pos;
		return kevent_msg(msg, len, -ENOENT,
			    "Invalid probed address or symbol (no module '%.*s' is loaded; '%s:' names the kernel)",
			    (int)(strchr(parsed.symbol, ':') - parsed.symbol), parsed.symbol,
			    KERNEL_MODULE);
	}
	if (parsed.symbol_glob)
		return define_glob(&parsed, msg, len);
	err = check_existing(&parsed, cmd, msg, len);
	if (err)
		return err;
	return define_one(&parsed, msg, len);
}

int kprobe_events_write(const char *line, char *msg, size_t len)
{
	static char cmd[KEVENT_LINE_MAX];
	size_t n;
	int err;

	squeeze(line, cmd, sizeof(cmd));
	err = define(cmd, msg, len);
	if (err >= 0 || (parsed.cmd == TRACE_CMD_REMOVE && parsed.err_pos < 0))
		return err;
	trace_error_log("trace_kprobe", cmd, parsed.err_pos, msg);
	n = strlen(msg);
	if (parsed.err_pos >= 0 && n + 1 < len)
		snprintf(msg + n, len - n, " (column %d; see error_log)", parsed.err_pos);
	return err;
}
