/*
 * Hist triggers, Linux's "hist:keys=...:vals=...:sort=...:size=..." on a
 * probe event: hash tables of keys (numbers or strings) with a hit count
 * and running sums, updated at every hit, printed as Linux's
 * events/.../hist file.
 *
 * A part is open-addressed over twice the entry limit, so a probe always
 * finds its key or a free slot in a few steps. Each part has one writer:
 * the hit path writes only the part of the CPU it runs on (the caller picks
 * it, with interrupts off), allocates nothing and takes no lock; the
 * console merges parts it has taken out of service into its own and prints
 * that. Parsing, merging, sorting and printing happen at the console.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "trace_internal.h"

static const char *const mod_names[] = {
	[HIST_MOD_NONE] = "", [HIST_MOD_HEX] = "hex", [HIST_MOD_SYM] = "sym",
	[HIST_MOD_SYM_OFFSET] = "sym-offset", [HIST_MOD_LOG2] = "log2",
	[HIST_MOD_BUCKETS] = "buckets", [HIST_MOD_USECS] = "usecs",
	[HIST_MOD_EXECNAME] = "execname",
};

/* Where a parse error goes: the console's line, and what Linux would log. */
struct perr {
	char *msg;
	size_t len;
	struct hist_linux_err *le;
};

static int vherr(struct perr *pe, const char *fmt, va_list ap)
{
	if (pe->msg && pe->len)
		vsnprintf(pe->msg, pe->len, fmt, ap);
	return -EINVAL;
}

/* A refusal Linux makes silently (or cannot make): the console's line only. */
static int herr(struct perr *pe, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int herr(struct perr *pe, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vherr(pe, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * A refusal Linux logs: its message, and the text [tok, tok + n) whose first
 * occurrence in the command Linux's caret points at.
 */
static int lerr(struct perr *pe, const char *linux_text, const char *tok, size_t n,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int lerr(struct perr *pe, const char *linux_text, const char *tok, size_t n,
		const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (pe->le) {
		pe->le->text = linux_text;
		if (n >= sizeof(pe->le->token))
			n = sizeof(pe->le->token) - 1;
		memcpy(pe->le->token, tok, n);
		pe->le->token[n] = '\0';
	}
	va_start(ap, fmt);
	ret = vherr(pe, fmt, ap);
	va_end(ap);
	return ret;
}

/* Linux's texts (kernel/trace/trace_events_hist.c's err_text) */
#define L_FIELD_NOT_FOUND	"Couldn't find field"
#define L_BAD_MODIFIER		"Invalid field modifier"
#define L_EMPTY_ASSIGNMENT	"Empty assignment"
#define L_SORT_MODIFIER		"Invalid sort modifier"
#define L_EMPTY_SORT		"Empty sort field"
#define L_TOO_MANY_SORT		"Too many sort fields (Max = 2)"
#define L_SORT_FIELD		"Sort field must be a key or a val"

/*
 * "NAME[.MOD[=N]]" -> field; hitcount, common_timestamp, common_cpu (cpu)
 * and common_pid are Linux's pseudo-fields. A key may be a string.
 */
static int parse_field(const char *s, const char *e, const struct trace_event_def *def,
		       struct hist_field *f, bool key, struct perr *pe)
{
	const char *dot = find(s, e, '.'), *ne = dot ? dot : e, *me, *stop;
	const struct fetch_arg *a;
	unsigned int i;
	uint64_t n;

	memset(f, 0, sizeof(*f));
	if (word_is(s, ne, "hitcount")) {
		f->arg = HIST_FIELD_HITCOUNT;
	} else if (word_is(s, ne, "common_timestamp")) {
		f->arg = HIST_FIELD_TIMESTAMP;
	} else if (word_is(s, ne, "common_cpu") || word_is(s, ne, "cpu")) {
		f->arg = HIST_FIELD_CPU;
	} else if (word_is(s, ne, "common_pid")) {
		f->arg = HIST_FIELD_PID;
	} else {
		for (i = 0; i < def->nargs; i++)
			if (word_is(s, ne, def->args[i].name))
				break;
		if (i == def->nargs)
			return lerr(pe, L_FIELD_NOT_FOUND, s, (size_t)(ne - s),
				    "Couldn't find field: %.*s", (int)(ne - s), s);
		a = &def->args[i];
		if (a->count)
			return herr(pe, "field '%s' is an array: a key or value is one number or string",
				    a->name);
		if (a->type == TRACE_TYPE_SYMSTR)
			return herr(pe, "field '%s' is a symstr, made when the trace is read: key on the address with .sym-offset",
				    a->name);
		if (a->type == TRACE_TYPE_STRING && !key)
			return herr(pe, "field '%s' is a string: a value must be a number",
				    a->name);
		f->is_string = a->type == TRACE_TYPE_STRING;
		f->arg = (uint8_t)i;
	}
	if (!dot)
		return 0;
	me = find(dot + 1, e, '=');
	for (i = 1; i < ARRAY_SIZE(mod_names); i++)
		if (word_is(dot + 1, me ? me : e, mod_names[i]))
			break;
	/* Linux's caret goes under everything after the first '.' */
	if (i == ARRAY_SIZE(mod_names))
		return lerr(pe, L_BAD_MODIFIER, dot + 1, (size_t)(e - dot - 1),
			    "Invalid field modifier: %.*s", (int)(e - dot - 1), dot + 1);
	f->mod = (uint8_t)i;
	if (i == HIST_MOD_BUCKETS) {
		if (!me || trace_parse_num(me + 1, e, &stop, &n) || stop != e || n < 2 ||
		    n > UINT32_MAX) {
			/* Linux refuses a size of 0 or none, pointing past "buckets=" */
			if (me && !trace_parse_num(me + 1, e, &stop, &n) && stop == e && n)
				return herr(pe, "buckets needs a size of at least 2: %.*s",
					    (int)(e - s), s);
			return lerr(pe, L_BAD_MODIFIER, me ? me + 1 : e, me ? (size_t)(e - me - 1) : 0,
				    "buckets needs a size of at least 2: %.*s", (int)(e - s), s);
		}
		f->buckets = n;
	} else if (me) {
		return lerr(pe, L_BAD_MODIFIER, dot + 1, (size_t)(e - dot - 1),
			    "Invalid field modifier: %.*s", (int)(e - dot - 1), dot + 1);
	}
	if (i == HIST_MOD_USECS && f->arg != HIST_FIELD_TIMESTAMP)
		return herr(pe, "usecs is only for common_timestamp");
	if (i == HIST_MOD_EXECNAME && f->arg != HIST_FIELD_PID)
		return lerr(pe, L_BAD_MODIFIER, dot + 1, (size_t)(e - dot - 1),
			    "execname is only for common_pid");
	if (f->is_string)
		return herr(pe, "a string key takes no modifier: %.*s", (int)(e - s), s);
	return 0;
}

/* "a,b.hex,c" into fields; returns how many, or -EINVAL. */
static int parse_list(const char *s, const char *e, const struct trace_event_def *def,
		      struct hist_field *out, unsigned int max, const char *what,
		      bool key, struct perr *pe)
{
	const char *c;
	unsigned int n = 0;
	int ret;

	for (; s <= e; s = c + 1) {
		c = find(s, e, ',');
		if (!c)
			c = e;
		/* Linux looks an empty name up, finds nothing, and points at column 0 */
		if (c == s)
			return lerr(pe, L_FIELD_NOT_FOUND, "", 0, "empty %s field", what);
		if (n == max)
			return herr(pe, "too many %s (at most %u)", what, max);
		ret = parse_field(s, c, def, &out[n], key, pe);
		if (ret)
			return ret;
		n++;
	}
	return (int)n;
}

static bool same_field(const struct hist_field *a, const struct hist_field *b)
{
	return a->arg == b->arg;
}

/*
 * "sort=a[.descending],b": each a key or a value (hitcount included), named
 * without its modifiers, as Linux matches them.
 */
static int parse_sort(struct hist_spec *hs, const char *s, const char *e,
		      const struct trace_event_def *def, const char *sort_tok, struct perr *pe)
{
	struct perr quiet = { NULL, 0, NULL };
	struct hist_field f;
	const char *c, *fe;
	unsigned int i;

	hs->nsort = 0;
	for (; s <= e; s = c + 1) {
		struct hist_sort *so = &hs->sort[hs->nsort];

		c = find(s, e, ',');
		if (!c)
			c = e;
		if (hs->nsort == HIST_MAX_SORT)
			return lerr(pe, L_TOO_MANY_SORT, sort_tok, 5,
				    "Too many sort fields (Max = %u)", HIST_MAX_SORT);
		fe = find(s, c, '.');
		if (!fe)
			fe = c;
		if (fe == s)
			return lerr(pe, L_EMPTY_SORT, sort_tok, 5, "Empty sort field");
		so->descending = false;
		if (fe != c) {
			if (!word_is(fe, c, ".descending") && !word_is(fe, c, ".ascending"))
				return lerr(pe, L_SORT_MODIFIER, fe + 1, (size_t)(c - fe - 1),
					    "Invalid sort modifier: %.*s", (int)(c - fe - 1), fe + 1);
			so->descending = fe[1] == 'd';
		}
		so->is_key = false;
		so->idx = 0xff;
		if (!parse_field(s, fe, def, &f, true, &quiet)) {
			if (f.arg == HIST_FIELD_HITCOUNT)
				so->idx = 0;
			for (i = 0; i < hs->nvals && so->idx == 0xff; i++)
				if (same_field(&hs->vals[i], &f))
					so->idx = (uint8_t)(i + 1);
			for (i = 0; i < hs->nkeys && so->idx == 0xff; i++)
				if (same_field(&hs->keys[i], &f)) {
					so->idx = (uint8_t)i;
					so->is_key = true;
				}
		}
		if (so->idx == 0xff)
			return lerr(pe, L_SORT_FIELD, s, (size_t)(fe - s),
				    "Sort field must be a key or a val: %.*s", (int)(fe - s), s);
		hs->nsort++;
	}
	return 0;
}

int hist_parse(const char *text, const struct trace_event_def *def,
	       struct hist_spec *hs, char *err, size_t len, struct hist_linux_err *le)
{
	const char *s = text, *e, *end, *iff, *sort = NULL, *sort_end = NULL, *sort_tok = NULL;
	const char *stop, *eq;
	struct perr pe = { err, len, le };
	uint64_t n;
	int ret;

	memset(hs, 0, sizeof(*hs));
	if (le) {
		le->text = NULL;
		le->token[0] = '\0';
	}
	hs->size = HIST_DEFAULT_SIZE;
	if (strncmp(s, "hist", 4) || (s[4] && s[4] != ':' && s[4] != ' '))
		return herr(&pe, "a trigger here is hist:keys=... (no other trigger commands)");
	end = s + strlen(s);
	iff = strstr(s, " if ");
	if (iff) {
		ret = trace_filter_compile(&hs->filter, iff + 4, def, err, len);
		if (ret)
			return ret;
		end = iff;
	}
	while (end > s && end[-1] == ' ')
		end--;
	for (s += 4; s < end; s = e) {
		s++;		/* the ':' */
		e = find(s, end, ':');
		if (!e)
			e = end;
		/* Linux refuses "NAME=" with nothing after, pointing at NAME */
		eq = find(s, e, '=');
		if (eq && eq + 1 == e)
			return lerr(&pe, L_EMPTY_ASSIGNMENT, s, (size_t)(e - s),
				    "Empty assignment: %.*s", (int)(e - s), s);
		if (!strncmp(s, "keys=", 5) || !strncmp(s, "key=", 4)) {
			s += s[3] == '=' ? 4 : 5;
			ret = parse_list(s, e, def, hs->keys, HIST_MAX_KEYS, "keys", true, &pe);
			if (ret < 0)
				return ret;
			hs->nkeys = (unsigned int)ret;
			copy_str(hs->keys_text, s, min(e, s + sizeof(hs->keys_text) - 1));
		} else if (!strncmp(s, "val=", 4) || !strncmp(s, "vals=", 5) ||
			   !strncmp(s, "values=", 7)) {
			s = strchr(s, '=') + 1;
			ret = parse_list(s, e, def, hs->vals, HIST_MAX_VALS, "values", false, &pe);
			if (ret < 0)
				return ret;
			hs->nvals = (unsigned int)ret;
		} else if (!strncmp(s, "sort=", 5)) {
			sort_tok = s;
			sort = s + 5;
			sort_end = e;
		} else if (!strncmp(s, "size=", 5)) {
			/* Linux refuses what rounds up below its smallest map, 2^7 */
			if (trace_parse_num(s + 5, e, &stop, &n) || stop != e ||
			    n <= HIST_MIN_SIZE / 2 || n > HIST_MAX_SIZE)
				return herr(&pe, "size must be from %u to %u", HIST_MIN_SIZE / 2 + 1,
					    HIST_MAX_SIZE);
			for (hs->size = HIST_MIN_SIZE; hs->size < n; hs->size *= 2)
				;
		} else if (word_is(s, e, "pause")) {
			hs->cmd = HIST_CMD_PAUSE;
		} else if (word_is(s, e, "cont") || word_is(s, e, "continue")) {
			hs->cmd = HIST_CMD_CONT;
		} else if (word_is(s, e, "clear")) {
			hs->cmd = HIST_CMD_CLEAR;
		} else {
			return herr(&pe, "Unknown hist command: %.*s", (int)(e - s), s);
		}
	}
	if (!hs->nkeys)
		return herr(&pe, "hist trigger needs keys=");
	for (unsigned int i = 0; i < hs->nkeys; i++) {
		hs->keys[i].offset = (uint16_t)hs->key_size;
		hs->key_size += hs->keys[i].is_string ? HIST_STRING_MAX : 8;
	}
	hs->stride = (unsigned int)(sizeof(struct hist_entry) + hs->key_size);
	/* hitcount is always the first value; naming it again adds nothing */
	for (unsigned int i = 0; i < hs->nvals; i++) {
		if (hs->vals[i].arg != HIST_FIELD_HITCOUNT)
			continue;
		memmove(&hs->vals[i], &hs->vals[i + 1], (hs->nvals - i - 1) * sizeof(hs->vals[0]));
		hs->nvals--;
		i--;
	}
	for (unsigned int i = 0; i < hs->nvals; i++)
		if (hs->vals[i].mod != HIST_MOD_NONE && hs->vals[i].mod != HIST_MOD_HEX &&
		    hs->vals[i].mod != HIST_MOD_USECS)
			return herr(&pe, "a value takes only .hex or .usecs");
	if (sort)
		return parse_sort(hs, sort, sort_end, def, sort_tok, &pe);
	hs->nsort = 1;		/* by hitcount, ascending */
	return 0;
}

void hist_error_command(const char *text, char *cmd, size_t len)
{
	const char *rest = text + (strlen(text) > 4 ? 5 : strlen(text));

	while (*rest == ' ' || *rest == '\t')
		rest++;
	snprintf(cmd, len, "hist:%s", rest);
}

int hist_error_column(const char *cmd, const struct hist_linux_err *le)
{
	const char *at = strstr(cmd, le->token);

	return at ? (int)(at - cmd) : 0;
}

size_t hist_part_bytes(const struct hist_spec *hs)
{
	return (size_t)2 * hs->size * hs->stride;
}

void hist_part_init(struct hist_part *p, const struct hist_spec *hs, void *slots)
{
	p->slots = slots;
	p->nslots = 2 * hs->size;
	hist_part_clear(p, hs);
}

void hist_part_clear(struct hist_part *p, const struct hist_spec *hs)
{
	memset(p->slots, 0, hist_part_bytes(hs));
	p->entries = 0;
	p->hits = p->drops = 0;
}

static uint64_t ilog2_up(uint64_t v)
{
	uint64_t r = 0;

	while (r < 64 && (1ULL << r) < v)	/* Linux's log2 key: ilog2(roundup_pow_of_two(v)) */
		r++;
	return r;
}

/* A number's value at this hit, after its modifier. */
static uint64_t field_value(const struct hist_field *f, const struct trace_event_def *def,
			    const void *rec, const struct hist_ctx *ctx)
{
	uint64_t v = 0;

	switch (f->arg) {
	case HIST_FIELD_HITCOUNT:
		return 1;
	case HIST_FIELD_TIMESTAMP:
		v = ctx->ts_ns;
		break;
	case HIST_FIELD_CPU:
		return ctx->cpu;
	case HIST_FIELD_PID:
		return ctx->pid;
	default:
		if (fetch_get_value(def, rec, f->arg, &v))
			v = 0;		/* a faulted read counts as 0 */
	}
	switch (f->mod) {
	case HIST_MOD_LOG2:
		return ilog2_up(v);
	case HIST_MOD_BUCKETS:
		return v - v % f->buckets;
	case HIST_MOD_USECS:
		return v / 1000;
	}
	return v;
}

static uint64_t hash(const uint8_t *key, unsigned int n)
{
	uint64_t h = 0, v;

	for (unsigned int i = 0; i < n; i += 8) {
		memcpy(&v, key + i, 8);
		h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
		h *= 0xff51afd7ed558ccdULL;
	}
	return h;
}

static struct hist_entry *slot(const struct hist_spec *hs, const struct hist_part *p,
			       unsigned int i)
{
	return (struct hist_entry *)(p->slots + (size_t)i * hs->stride);
}

/* key's entry in p, made if there is room; NULL (and a drop) when p is full. */
static struct hist_entry *lookup(const struct hist_spec *hs, struct hist_part *p,
				 const uint8_t *key)
{
	unsigned int idx = (unsigned int)(hash(key, hs->key_size) % p->nslots);
	struct hist_entry *en;

	for (;; idx = idx + 1 == p->nslots ? 0 : idx + 1) {
		en = slot(hs, p, idx);
		if (!en->used)
			break;
		if (!memcmp(en->key, key, hs->key_size))
			return en;
	}
	if (p->entries >= hs->size)
		return NULL;
	memcpy(en->key, key, hs->key_size);
	en->used = 1;
	p->entries++;
	return en;
}

void hist_update(const struct hist_spec *hs, struct hist_part *p,
		 const struct trace_event_def *def, const void *rec,
		 const struct hist_ctx *ctx)
{
	uint8_t key[HIST_MAX_KEYS * HIST_STRING_MAX];
	const struct hist_field *f;
	struct hist_entry *en;
	unsigned int i;
	uint64_t v;

	if (*(const volatile bool *)&hs->paused)	/* the console flips it */
		return;
	if (hs->filter.nnodes && !trace_filter_match(&hs->filter, def, rec))
		return;
	memset(key, 0, hs->key_size);
	for (i = 0; i < hs->nkeys; i++) {
		f = &hs->keys[i];
		if (f->is_string) {
			const char *str = fetch_get_string(def, rec, f->arg);

			if (str)	/* a faulted read keys as "" */
				memcpy(key + f->offset, str, strnlen(str, HIST_STRING_MAX - 1));
			continue;
		}
		v = field_value(f, def, rec, ctx);
		memcpy(key + f->offset, &v, 8);
	}
	en = lookup(hs, p, key);
	if (!en) {
		p->drops++;
		return;
	}
	p->hits++;
	en->hitcount++;
	for (i = 0; i < hs->nvals; i++)
		en->sum[i] += field_value(&hs->vals[i], def, rec, ctx);
}

void hist_merge(const struct hist_spec *hs, struct hist_part *into,
		const struct hist_part *from)
{
	struct hist_entry *src, *dst;
	unsigned int i, j;

	into->drops += from->drops;
	for (i = 0; i < from->nslots; i++) {
		src = slot(hs, from, i);
		if (!src->used)
			continue;
		dst = lookup(hs, into, src->key);
		if (!dst) {
			into->drops += src->hitcount;
			continue;
		}
		into->hits += src->hitcount;
		dst->hitcount += src->hitcount;
		for (j = 0; j < hs->nvals; j++)
			dst->sum[j] += src->sum[j];
	}
}
