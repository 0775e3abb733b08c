/*
 * Reading a hist trigger: the events/GRP/EVENT/hist file as Linux prints
 * it (trigger info header, one line per entry in sort order, Totals), and
 * a log2 distribution drawn as bpftrace's hist() draws one.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "trace_internal.h"

/* snprintf into a line, remembering how much fits. */
struct line {
	char buf[512];
	size_t pos;
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->pos >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->pos, sizeof(l->buf) - l->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->pos = min(l->pos + (size_t)n, sizeof(l->buf) - 1);
}

static const char *field_name(const struct hist_field *f, const struct trace_event_def *def)
{
	if (f->arg == HIST_FIELD_HITCOUNT)
		return "hitcount";
	if (f->arg == HIST_FIELD_TIMESTAMP)
		return "common_timestamp";
	if (f->arg == HIST_FIELD_CPU)
		return "common_cpu";
	if (f->arg == HIST_FIELD_PID)
		return "common_pid";
	return def->args[f->arg].name;
}

static const char *const mod_text[] = {
	[HIST_MOD_NONE] = "", [HIST_MOD_HEX] = ".hex", [HIST_MOD_SYM] = ".sym",
	[HIST_MOD_SYM_OFFSET] = ".sym-offset", [HIST_MOD_LOG2] = ".log2",
	[HIST_MOD_BUCKETS] = ".buckets", [HIST_MOD_USECS] = ".usecs",
	[HIST_MOD_EXECNAME] = ".execname",
};

static void put_field(struct line *l, const struct hist_field *f,
		      const struct trace_event_def *def)
{
	put(l, "%s%s", field_name(f, def), mod_text[f->mod]);
	if (f->mod == HIST_MOD_BUCKETS)
		put(l, "=%llu", (unsigned long long)f->buckets);
}

static void put_trigger(struct line *l, const struct hist_spec *hs,
			const struct trace_event_def *def)
{
	unsigned int i;

	put(l, "hist:keys=");
	for (i = 0; i < hs->nkeys; i++) {
		put(l, i ? "," : "");
		put_field(l, &hs->keys[i], def);
	}
	put(l, ":vals=hitcount");
	for (i = 0; i < hs->nvals; i++) {
		put(l, ",");
		put_field(l, &hs->vals[i], def);
	}
	put(l, ":sort=");
	for (i = 0; i < hs->nsort; i++) {
		const struct hist_sort *so = &hs->sort[i];

		put(l, i ? "," : "");
		if (so->is_key)
			put_field(l, &hs->keys[so->idx], def);
		else if (so->idx)
			put_field(l, &hs->vals[so->idx - 1], def);
		else
			put(l, "hitcount");
		put(l, so->descending ? ".descending" : "");
	}
	put(l, ":size=%u", hs->size);
	if (hs->filter.nnodes)
		put(l, " if %s", hs->filter.text);
}

int hist_trigger_text(const struct hist_spec *hs, const struct trace_event_def *def,
		      char *buf, size_t len)
{
	struct line l = { .pos = 0 };

	put_trigger(&l, hs, def);
	return snprintf(buf, len, "%s", l.buf);
}

static uint64_t number(const struct hist_entry *e, const struct hist_field *f)
{
	uint64_t v;

	memcpy(&v, e->key + f->offset, 8);
	return v;
}

static uint64_t sort_value(const struct hist_spec *hs, const struct hist_entry *e,
			   const struct hist_sort *so)
{
	if (so->is_key)
		return number(e, &hs->keys[so->idx]);
	return so->idx ? e->sum[so->idx - 1] : e->hitcount;
}

/* <0, 0, >0 as a sorts before, with, after b. */
static int compare(const struct hist_spec *hs, const struct hist_entry *a,
		   const struct hist_entry *b)
{
	unsigned int i;
	int c;

	for (i = 0; i < hs->nsort; i++) {
		const struct hist_sort *so = &hs->sort[i];
		const struct hist_field *f = so->is_key ? &hs->keys[so->idx] : NULL;
		uint64_t x, y;

		if (f && f->is_string) {	/* zero-padded: memcmp orders as strcmp */
			c = memcmp(a->key + f->offset, b->key + f->offset, HIST_STRING_MAX);
			if (c)
				return (c < 0) != so->descending ? -1 : 1;
			continue;
		}
		x = sort_value(hs, a, so);
		y = sort_value(hs, b, so);
		if (x != y)
			return (x < y) != so->descending ? -1 : 1;
	}
	return 0;
}

/* Shell sort: no recursion, no allocation, fine for the 16384 entries at most. */
static void sort_entries(const struct hist_spec *hs, const struct hist_entry **v, unsigned int n)
{
	unsigned int gap, i, j;
	const struct hist_entry *x;

	for (gap = n / 2; gap; gap = gap == 2 ? 1 : gap * 5 / 11) {
		for (i = gap; i < n; i++) {
			x = v[i];
			for (j = i; j >= gap && compare(hs, v[j - gap], x) > 0; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/* One key as Linux's hist file shows it, by modifier. */
static void put_key(struct line *l, const struct hist_field *f, const char *name,
		    const struct hist_entry *e, trace_sym_fn addr_to_sym, const char *comm)
{
	char sym[TRACE_NAME_MAX + 40], base[TRACE_NAME_MAX];
	uint64_t off = 0, size = 0, v;
	bool found;

	if (f->is_string) {
		put(l, "%s: %-50s", name, (const char *)e->key + f->offset);
		return;
	}
	v = number(e, f);
	switch (f->mod) {
	case HIST_MOD_EXECNAME:
		put(l, "%s: %-16s[%10llu]", name, comm ? comm : "", (unsigned long long)v);
		return;
	case HIST_MOD_HEX:
		put(l, "%s: %llx", name, (unsigned long long)v);
		return;
	case HIST_MOD_SYM:
	case HIST_MOD_SYM_OFFSET:
		found = addr_to_sym && !addr_to_sym(v, base, sizeof(base), &off, &size);
		if (!found)
			snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)v);
		else if (f->mod == HIST_MOD_SYM)
			snprintf(sym, sizeof(sym), "%s", base);
		else
			snprintf(sym, sizeof(sym), "%s+0x%llx/0x%llx", base,
				 (unsigned long long)off, (unsigned long long)size);
		put(l, f->mod == HIST_MOD_SYM ? "%s: [%llx] %-45s" : "%s: [%llx] %-55s",
		    name, (unsigned long long)v, sym);
		return;
	case HIST_MOD_LOG2:
		put(l, "%s: ~ 2^%-2llu", name, (unsigned long long)v);
		return;
	case HIST_MOD_BUCKETS:
		put(l, "%s: ~ %llu-%llu", name, (unsigned long long)v,
		    (unsigned long long)(v + f->buckets - 1));
		return;
	}
	put(l, "%s: %10llu", name, (unsigned long long)v);
}

void hist_print(const struct hist_spec *hs, const struct hist_part *p,
		const struct trace_event_def *def, trace_sym_fn addr_to_sym,
		const char *comm, const struct hist_entry **order,
		void (*emit)(const char *line, void *arg), void *arg)
{
	struct line l = { .pos = 0 };
	unsigned int i, j, n = 0;

	emit("# event histogram", arg);
	emit("#", arg);
	put(&l, "# trigger info: ");
	put_trigger(&l, hs, def);
	put(&l, " [%s]", hs->paused ? "paused" : "active");
	emit(l.buf, arg);
	emit("#", arg);
	emit("", arg);
	for (i = 0; i < p->nslots && n < p->entries; i++) {
		const struct hist_entry *e = (const void *)(p->slots + (size_t)i * hs->stride);

		if (e->used)
			order[n++] = e;
	}
	sort_entries(hs, order, n);
	for (i = 0; i < n; i++) {
		const struct hist_entry *e = order[i];

		l.pos = 0;
		l.buf[0] = '\0';
		put(&l, "{ ");
		for (j = 0; j < hs->nkeys; j++) {
			put(&l, j ? ", " : "");
			put_key(&l, &hs->keys[j], field_name(&hs->keys[j], def), e, addr_to_sym,
				comm);
		}
		put(&l, " } hitcount: %10llu", (unsigned long long)e->hitcount);
		for (j = 0; j < hs->nvals; j++)
			put(&l, hs->vals[j].mod == HIST_MOD_HEX ? "  %s: %10llx" : "  %s: %10llu",
			    field_name(&hs->vals[j], def), (unsigned long long)e->sum[j]);
		emit(l.buf, arg);
	}
	emit("", arg);
	emit("Totals:", arg);
	l.pos = 0;
	put(&l, "    Hits: %llu", (unsigned long long)p->hits);
	emit(l.buf, arg);
	l.pos = 0;
	put(&l, "    Entries: %u", n);
	emit(l.buf, arg);
	l.pos = 0;
	put(&l, "    Dropped: %llu", (unsigned long long)p->drops);
	emit(l.buf, arg);
}

/* 1536 -> "1K" when exact, as bpftrace labels its buckets. */
static void put_pow2(struct line *l, unsigned int log2)
{
	static const char suffix[] = " KMGTPE";

	put(l, "%llu%.*s", 1ULL << (log2 % 10), log2 >= 10 ? 1 : 0, &suffix[log2 / 10]);
}

static void bar_line(const char *label, uint64_t count, uint64_t max,
		     void (*emit)(const char *line, void *arg), void *arg)
{
	enum { WIDTH = 52 };
	int bar = (int)(count * WIDTH / max);
	struct line l;

	l.pos = 0;
	l.buf[0] = '\0';
	put(&l, "%-16s%8llu |", label, (unsigned long long)count);
	for (int j = 0; j < WIDTH; j++)
		put(&l, "%c", j < bar ? '@' : ' ');
	put(&l, "|");
	emit(l.buf, arg);
}

void hist_bars(uint64_t neg, const uint64_t counts[65],
	       void (*emit)(const char *line, void *arg), void *arg)
{
	struct line label;
	uint64_t max = neg;
	int lo = -1, hi = -1, i;

	for (i = 0; i < 65; i++) {
		if (!counts[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		max = counts[i] > max ? counts[i] : max;
	}
	/* as bpftrace, every bucket from the lowest used to the highest */
	if (neg) {
		bar_line("(..., 0)", neg, max, emit, arg);
		lo = hi < 0 ? -1 : 0;
	}
	for (i = lo; lo >= 0 && i <= hi; i++) {
		label.pos = 0;
		label.buf[0] = '\0';
		if (i <= 1) {
			put(&label, "[%d]", i);
		} else {
			put(&label, "[");
			put_pow2(&label, (unsigned int)i - 1);
			put(&label, ", ");
			if (i == 64)
				put(&label, "...");
			else
				put_pow2(&label, (unsigned int)i);
			put(&label, ")");
		}
		bar_line(label.buf, counts[i], max, emit, arg);
	}
}
