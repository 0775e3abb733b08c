/*
 * kprobe_events definitions: Linux's grammar, parsed into a caller-owned
 * struct without allocating, plus the listing printer that turns one back
 * into text. The fetch-arg half of the grammar is in fetch_parse.c.
 *
 * Every rejection names the part that is wrong and quotes the text from
 * the point where it went wrong, because that is all a console user has
 * to go on.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "trace_internal.h"

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_eol(char c) { return !c || c == '\n' || c == '\r' || c == '#'; }

/*
 * "bad <what> at '<rest of word>': <reason>", or "bad <what> '<word>':
 * <reason>" when the trouble is that the word ended too soon.
 */
int trace_perr(struct parser *p, const char *at, const char *fmt, ...)
	       {
	       char why[96];
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!p->what) {
		snprintf(p->err, p->errlen, "%s", why);
	} else if (at && at < p->wend) {
		n = (int)(p->wend - at);
		snprintf(p->err, p->errlen, "bad %s at '%.*s%s': %s", p->what,
			 min(n, 40), at, n > 40 ? "..." : "", why);
	} else {
		n = (int)(p->wend - p->word);
		snprintf(p->err, p->errlen, "bad %s '%.*s%s': %s", p->what,
			 min(n, 40), p->word, n > 40 ? "..." : "", why);
	}
	return -EINVAL;
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

static const char *word_end(const char *s)
{
	while (!is_eol(*s) && !is_blank(*s))
		s++;
	return s;
}

/*
 * Linux's base-0 number rule (kstrtoul(s, 0)): 0x hex, a leading 0 octal,
 * else decimal. *stop is where the digits ended. 0, -EINVAL (no digits)
 * or -ERANGE.
 */
int trace_parse_num(const char *s, const char *e, const char **stop,
		     uint64_t *out)
{
	unsigned int base = 10, d;
	uint64_t v = 0;
	const char *start;

	if (e - s > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		s += 2;
	} else if (e - s > 1 && s[0] == '0' && is_digit(s[1])) {
		base = 8;
	}
	for (start = s; s < e; s++) {
		if (is_digit(*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned int)((*s | 0x20) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*stop = s;
	*out = v;
	return s == start ? -EINVAL : 0;
}

/* A sign then a number, within int64_t. */
int trace_parse_signed(const char *s, const char *e, const char **stop,
			int64_t *out)
{
	bool neg = s < e && *s == '-';
	uint64_t v;
	int ret;

	if (s < e && (*s == '-' || *s == '+'))
		s++;
	ret = trace_parse_num(s, e, stop, &v);
	if (ret)
		return ret;
	if (v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return -ERANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Linux's is_good_name(): a C identifier; globs only in remove commands. */
int trace_take_name(struct parser *p, const char *s, const char *e, char *dst,
		    size_t size, bool glob)
{
	size_t max = size - 1;
	const char *c;

	if ((size_t)(e - s) > max)
		return trace_perr(p, s, "longer than %u characters", (unsigned int)max);
	if (!is_alpha(*s) && *s != '_' && !(glob && is_glob(*s)))
		return trace_perr(p, s, "must start with a letter or '_'");
	for (c = s; c < e; c++)
		if (!is_ident(*c) && !(glob && is_glob(*c)))
			return trace_perr(p, c, "only letters, digits and '_' are allowed");
	copy_str(dst, s, e);
	return 0;
}

/* "[GRP/][EVENT]" after the ':' of p:, r: or -: */
static int parse_names(struct parser *p, struct trace_event_def *def,
		       const char *s, bool glob)
{
	const char *slash = find(s, p->wend, '/');
	const char *ev = s;
	int ret;

	if (slash) {
		p->what = "group name";
		if (slash == s)
			return trace_perr(p, s, "group name is not specified");
		ret = trace_take_name(p, s, slash, def->group, sizeof(def->group), glob);
		if (ret)
			return ret;
		ev = slash + 1;
	}
	p->what = "event name";
	if (ev == p->wend) {
		if (slash && def->cmd == TRACE_CMD_PROBE) {
			def->name_auto = true;	/* "p:grp/ sym": generated */
			return 0;
		}
		return trace_perr(p, ev, "event name is not specified");
	}
	return trace_take_name(p, ev, p->wend, def->event, sizeof(def->event), glob);
}

/* "-:[GRP/]EVENT"; names may be globs, as in "-:mygrp/" "*". */
static int parse_remove(struct parser *p, struct trace_event_def *def)
{
	const char *s = p->word, *next;
	int ret;

	def->cmd = TRACE_CMD_REMOVE;
	p->what = "remove command";
	if (s + 1 >= p->wend || s[1] != ':')
		return trace_perr(p, s + 1, "expected '-:[GRP/]EVENT'");
	ret = parse_names(p, def, s + 2, true);
	if (ret)
		return ret;
	def->remove_glob = strchr(def->group, '*') || strchr(def->group, '?') ||
			   strchr(def->event, '*') || strchr(def->event, '?');
	next = skip_blanks(p->wend);
	if (!is_eol(*next)) {
		p->what = "remove command";
		p->word = next;
		p->wend = word_end(next);
		return trace_perr(p, next, "nothing may follow the event name");
	}
	return 0;
}

/* "p", "r", "r10", each optionally followed by ":[GRP/][EVENT]". */
static int parse_head(struct parser *p, struct trace_event_def *def)
{
	const char *c = p->word + 1, *stop;
	uint64_t v;
	int ret;

	def->is_return = p->word[0] == 'r';
	if (c < p->wend && is_digit(*c)) {
		p->what = "maxactive";
		if (!def->is_return)
			return trace_perr(p, c, "maxactive is only for return probes (r)");
		ret = trace_parse_num(c, p->wend, &stop, &v);
		if (ret || !v || (stop < p->wend && *stop != ':'))
			return trace_perr(p, c, "must be a number from 1 to %u",
					  TRACE_MAX_ACTIVE);
		if (v > TRACE_MAX_ACTIVE)
			return trace_perr(p, c, "maxactive is too big (max %u)",
					  TRACE_MAX_ACTIVE);
		def->maxactive = (uint16_t)v;
		c = stop;
	}
	if (c == p->wend) {
		def->name_auto = true;
		return 0;
	}
	p->what = "probe type";
	if (*c != ':')
		return trace_perr(p, c, "expected ':' after '%.*s'",
				  (int)(c - p->word), p->word);
	return parse_names(p, def, c + 1, false);
}

/* [MOD:]SYM: symbol characters, '.' as in "foo.cold", and globs. */
static int check_symbol(struct parser *p, const char *s, const char *e)
{
	const char *c, *colon = NULL;

	if (s == e || is_digit(*s))
		return trace_perr(p, s, "expected a symbol or an address");
	if ((size_t)(e - s) > TRACE_NAME_MAX - 1)
		return trace_perr(p, s, "symbol is longer than %u characters",
				  TRACE_NAME_MAX - 1);
	for (c = s; c < e; c++) {
		if (*c == ':' && !colon && c > s && c + 1 < e) {
			colon = c;
			continue;
		}
		if (!is_ident(*c) && *c != '.' && !is_glob(*c))
			return trace_perr(p, c, "invalid character in symbol");
	}
	return 0;
}

/* SYM[+offs][%return] or MEMADDR[%return]. */
static int parse_point(struct parser *p, struct trace_event_def *def)
{
	const char *s = p->word, *e = p->wend, *pct, *se, *stop;
	uint64_t v;
	int ret;

	p->what = "probe point";
	pct = find(s, e, '%');
	if (pct) {
		if (e - pct != 7 || memcmp(pct, "%return", 7))
			return trace_perr(p, pct, "only '%%return' may follow the probe point");
		def->is_return = true;
		e = pct;
	}
	if (is_digit(*s)) {
		ret = trace_parse_num(s, e, &stop, &v);
		if (ret || stop != e)
			return trace_perr(p, ret == -ERANGE ? s : stop, "invalid address");
		def->addr = v;
		return 0;
	}
	for (se = s; se < e && *se != '+' && *se != '-'; se++)
		;
	ret = check_symbol(p, s, se);
	if (ret)
		return ret;
	copy_str(def->symbol, s, se);
	def->has_symbol = true;
	def->symbol_glob = strchr(def->symbol, '*') || strchr(def->symbol, '?');
	if (se < e) {
		if (*se == '-')
			return trace_perr(p, se, "negative offset");
		ret = trace_parse_num(se + 1, e, &stop, &v);
		if (ret == -ERANGE || (!ret && stop == e && v > UINT32_MAX))
			return trace_perr(p, se, "offset is too large");
		if (ret || stop != e)
			return trace_perr(p, se, "invalid offset");
		def->offset = (uint32_t)v;
	}
	if (def->is_return && def->offset)
		return trace_perr(p, se, "a return probe must be on a function entry (SYM or SYM+0)");
	if (def->symbol_glob && !def->name_auto)
		return trace_perr(p, s, "a symbol pattern needs a generated event name (use 'p:GRP/' or no name)");
	return 0;
}

/* Record slots, in argument order; refuse what one hit could not hold. */
static int layout_record(struct parser *p, struct trace_event_def *def)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < def->nargs; i++) {
		def->args[i].rec_off = (uint16_t)off;
		off += trace_slot_size(&def->args[i]);
		if (off > TRACE_RECORD_MAX) {
			p->what = NULL;
			return trace_perr(p, NULL, "fetch-args need more than %u bytes per hit (from '%s' on)",
					  TRACE_RECORD_MAX, def->args[i].name);
		}
	}
	def->rec_size = (uint16_t)off;
	return 0;
}

int trace_event_parse(const char *line, struct trace_event_def *def,
		      char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	const char *s, *head;
	int ret;

	memset(def, 0, sizeof(*def));
	if (err && errlen)
		err[0] = '\0';
	s = skip_blanks(line);
	if (is_eol(*s))
		return trace_perr(&p, NULL, "empty definition");
	p.word = head = s;
	p.wend = word_end(s);
	if (*s == '-')
		return parse_remove(&p, def);
	if (*s != 'p' && *s != 'r') {
		p.what = "probe type";
		return trace_perr(&p, s, "expected 'p', 'r' or '-'");
	}
	def->cmd = TRACE_CMD_PROBE;
	ret = parse_head(&p, def);
	if (ret)
		return ret;

	s = skip_blanks(p.wend);
	if (is_eol(*s)) {
		p.what = NULL;
		return trace_perr(&p, NULL, "missing probe point after '%.*s'",
				  (int)(p.wend - head), head);
	}
	p.word = s;
	p.wend = word_end(s);
	ret = parse_point(&p, def);
	if (ret)
		return ret;
	if (!def->group[0])
		memcpy(def->group, TRACE_DEFAULT_GROUP, sizeof(TRACE_DEFAULT_GROUP));
	if (def->name_auto && !def->symbol_glob)
		trace_event_default_name(def->event, sizeof(def->event),
					 def->is_return,
					 def->has_symbol ? def->symbol : NULL,
					 def->offset, def->addr);

	for (s = skip_blanks(p.wend); !is_eol(*s); s = skip_blanks(p.wend)) {
		p.word = s;
		p.wend = word_end(s);
		if (def->nargs == TRACE_MAX_ARGS) {
			p.what = "fetch-arg";
			return trace_perr(&p, s, "too many fetch-args (max %u)",
					  TRACE_MAX_ARGS);
		}
		ret = trace_parse_arg(&p, def, def->nargs);
		if (ret)
			return ret;
		def->nargs++;
	}
	return layout_record(&p, def);
}

char *trace_event_default_name(char *buf, size_t len, bool is_return,
			       const char *symbol, uint32_t offset,
			       uint64_t addr)
{
	char c = is_return ? 'r' : 'p';
	char *s;

	len = min(len, (size_t)TRACE_NAME_MAX);
	if (symbol)
		snprintf(buf, len, "%c_%s_%u", c, symbol, (unsigned int)offset);
	else
		snprintf(buf, len, "%c_0x%016llx", c, (unsigned long long)addr);
	/* Module separators and ".cold"-style suffixes are no identifiers. */
	for (s = buf; *s; s++)
		if (*s == ':' || *s == '.')
			*s = '_';
	return buf;
}

int trace_event_resolve(struct trace_event_def *def, trace_lookup_fn lookup,
			char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	char name[TRACE_NAME_MAX];
	struct fetch_arg *a;
	uint64_t addr;
	unsigned int i;

	def->resolved = false;
	if (def->cmd != TRACE_CMD_PROBE)
		return -EINVAL;
	if (def->has_symbol && !def->symbol_glob) {
		if (lookup(def->symbol, &addr)) {
			trace_perr(&p, NULL, "unknown symbol '%s'", def->symbol);
			return -ENOENT;
		}
		def->addr = addr + def->offset;
	}
	for (i = 0; i < def->nargs; i++) {
		a = &def->args[i];
		if (a->kind != FETCH_SYM)
			continue;
		memcpy(name, a->text + a->sym_pos, a->sym_len);
		name[a->sym_len] = '\0';
		if (lookup(name, &addr)) {
			trace_perr(&p, NULL, "unknown symbol '%s' in fetch-arg '%s=%s'",
				   name, a->name, a->text);
			return -ENOENT;
		}
		a->imm = addr + (uint64_t)a->sym_off;
		a->resolved = true;
	}
	def->resolved = !def->symbol_glob;
	return 0;
}

int trace_event_expand(const struct trace_event_def *pattern,
		       const char *symbol, struct trace_event_def *out,
		       char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	size_t n = strlen(symbol);

	if (!n || n > TRACE_NAME_MAX - 1)
		return trace_perr(&p, NULL, "symbol '%.40s' is empty or too long", symbol);
	memcpy(out, pattern, sizeof(*out));
	memcpy(out->symbol, symbol, n + 1);
	out->symbol_glob = false;
	out->resolved = false;
	out->addr = 0;
	if (out->name_auto)
		trace_event_default_name(out->event, sizeof(out->event),
					 out->is_return, out->symbol,
					 out->offset, 0);
	return 0;
}

int trace_event_print(const struct trace_event_def *def, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;

#define OUT(...) (pos += (size_t)snprintf(buf + min(pos, len), \
		  len - min(pos, len), __VA_ARGS__))
	if (len)
		buf[0] = '\0';
	if (def->cmd == TRACE_CMD_REMOVE) {
		if (def->group[0])
			OUT("-:%s/%s", def->group, def->event);
		else
			OUT("-:%s", def->event);
		return (int)pos;
	}
	OUT("%c", def->is_return ? 'r' : 'p');
	if (def->is_return && def->maxactive)
		OUT("%u", def->maxactive);
	OUT(":%s/%s", def->group, def->event);
	if (!def->has_symbol)
		OUT(" 0x%016llx", (unsigned long long)def->addr);
	else if (def->offset)
		OUT(" %s+%u", def->symbol, (unsigned int)def->offset);
	else
		OUT(" %s", def->symbol);
	for (i = 0; i < def->nargs; i++)
		OUT(" %s=%s", def->args[i].name, def->args[i].text);
#undef OUT
	return (int)pos;
}
