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

int trace_perr(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (p->pos)
		*p->pos = at && p->line ? (int16_t)(at - p->line) : -1;
	if (!p->err || !p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
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
bool trace_good_name(const char *s, const char *e, bool glob)
{
	const char *c;

	if (s == e || (!is_alpha(*s) && *s != '_' && !(glob && is_glob(*s))))
		return false;
	for (c = s + 1; c < e; c++)
		if (!is_ident(*c) && !(glob && is_glob(*c)))
			return false;
	return true;
}

/*
 * Linux's is_good_system_name(): a group name may also hold '-' anywhere,
 * as subsystems such as "xhci-hcd" name their groups.
 */
static bool good_group_name(const char *s, const char *e, bool glob)
{
	const char *c;

	if (s == e || is_digit(*s))
		return false;
	for (c = s; c < e; c++)
		if (!is_ident(*c) && *c != '-' && !(glob && is_glob(*c)))
			return false;
	return true;
}

/*
 * "[GRP/][EVENT]" or "GRP.EVENT" from s to the end of the word, in Linux's
 * order of checks; every error points at the start of the name it is about.
 */
static int parse_names(struct parser *p, struct trace_event_def *def,
		       const char *s, bool glob)
{
	const char *slash = find(s, p->wend, '/'), *ev = s;

	if (!slash)
		slash = find(s, p->wend, '.');
	if (slash) {
		if (slash == s)
			return trace_perr(p, s, E_NO_GROUP_NAME);
		if (slash - s > TRACE_NAME_MAX - 1)
			return trace_perr(p, s, E_GROUP_TOO_LONG);
		if (!good_group_name(s, slash, glob))
			return trace_perr(p, s, E_BAD_GROUP_NAME);
		copy_str(def->group, s, slash);
		ev = slash + 1;
	}
	if (ev == p->wend) {
		/* "p:grp/ sym": a generated name; "-:grp/": the whole group */
		if (slash) {
			def->name_auto = def->cmd == TRACE_CMD_PROBE;
			return 0;
		}
		return trace_perr(p, ev, E_NO_EVENT_NAME);
	}
	if (p->wend - ev > TRACE_NAME_MAX - 1)
		return trace_perr(p, ev, E_EVENT_TOO_LONG);
	if (!trace_good_name(ev, p->wend, glob))
		return trace_perr(p, ev, E_BAD_EVENT_NAME);
	copy_str(def->event, ev, p->wend);
	return 0;
}

/*
 * "-:[GRP/]EVENT [SYM[+offs]|ADDR [NAME=ARG ...]]"; names may be globs, and
 * "-:GRP/" names every event of GRP, as Linux. A probe point after the name
 * removes only the points placed there, and NAME=ARG words only those whose
 * first fetch-args read so (Linux's "-:ev sym1" for one point of several).
 * The words are kept as typed: symbol, then args[i].text.
 */
static int parse_remove(struct parser *p, struct trace_event_def *def)
{
	const char *s = p->word, *next;
	int ret;

	def->cmd = TRACE_CMD_REMOVE;
	if (s + 1 >= p->wend || s[1] != ':')
		return trace_perr(p, s + 1, "expected '-:[GRP/]EVENT'");
	ret = parse_names(p, def, s + 2, true);
	if (ret)
		return ret;
	def->remove_glob = strchr(def->group, '*') || strchr(def->group, '?') ||
			   strchr(def->event, '*') || strchr(def->event, '?');
	next = skip_blanks(p->wend);
	if (is_eol(*next))
		return 0;
	p->word = next;
	p->wend = word_end(next);
	if (p->wend - next > TRACE_NAME_MAX - 1)
		return trace_perr(p, next, E_BAD_PROBE_ADDR);
	copy_str(def->symbol, next, p->wend);
	def->has_symbol = true;
	for (next = skip_blanks(p->wend); !is_eol(*next); next = skip_blanks(p->wend)) {
		p->word = next;
		p->wend = word_end(next);
		if (def->nargs == TRACE_MAX_ARGS)
			return trace_perr(p, next, "Too many arguments (at most %u)", TRACE_MAX_ARGS);
		if (p->wend - next > TRACE_ARG_TEXT_MAX - 1)
			return trace_perr(p, next, E_ARG_TOO_LONG);
		copy_str(def->args[def->nargs++].text, next, p->wend);
	}
	return 0;
}

/*
 * "p", "r", "rN", then ":NAMES" parsed later. As in Linux, whatever stands
 * between the type letter and the ':' is ignored unless it starts with a
 * digit ("px sym" is "p sym"). Returns where the names start, or NULL.
 */
static int parse_head(struct parser *p, struct trace_event_def *def,
		      const char **names)
{
	const char *c = p->word + 1, *colon = find(c, p->wend, ':');
	const char *me = colon ? colon : p->wend, *stop;
	uint64_t v;

	def->is_return = p->word[0] == 'r';
	*names = colon ? colon + 1 : NULL;
	if (c < p->wend && is_digit(*c)) {
		if (!def->is_return)
			return trace_perr(p, c, E_BAD_MAXACT_TYPE);
		if (me - c > TRACE_NAME_MAX - 1 || trace_parse_num(c, me, &stop, &v) ||
		    stop != me || !v || v > UINT32_MAX)
			return trace_perr(p, c, E_BAD_MAXACT);
		if (v > TRACE_MAX_ACTIVE)
			return trace_perr(p, c, E_MAXACT_TOO_BIG);
		def->maxactive = (uint16_t)v;
	}
	if (!colon)
		def->name_auto = true;
	return 0;
}

/* [MOD:]SYM: symbol characters, '.' as in "foo.cold", and globs. */
static bool good_symbol(const char *s, const char *e)
{
	const char *c, *colon = NULL;

	if (s == e || is_digit(*s) || e - s > TRACE_NAME_MAX - 1)
		return false;
	for (c = s; c < e; c++) {
		if (*c == ':' && !colon && c > s && c + 1 < e) {
			colon = c;
			continue;
		}
		if (!is_ident(*c) && *c != '.' && !is_glob(*c))
			return false;
	}
	return true;
}

/*
 * MEMADDR, or SYM[+offs][%return]: a word that is a whole number is an
 * address, anything else a symbol, as Linux decides (so "0x10%return" is a
 * symbol, and no such symbol exists).
 */
static int parse_point(struct parser *p, struct trace_event_def *def)
{
	const char *s = p->word, *e = p->wend, *pct, *se, *stop;
	int64_t off;
	uint64_t v;

	def->point_pos = (uint16_t)(s - p->line);
	if (!trace_parse_num(s, e, &stop, &v) && stop == e) {
		def->addr = v;
		return 0;
	}
	pct = find(s, e, '%');
	if (pct) {
		if (e - pct != 7 || memcmp(pct, "%return", 7))
			return trace_perr(p, pct, E_BAD_ADDR_SUFFIX);
		def->is_return = true;
		e = pct;
	}
	for (se = s; se < e && *se != '+' && *se != '-'; se++)
		;
	if (!good_symbol(s, se))
		return trace_perr(p, s, E_BAD_PROBE_ADDR);
	if (se < e && (trace_parse_signed(se, e, &stop, &off) || stop != e ||
		       off < 0 || off > UINT32_MAX))
		return trace_perr(p, s, E_BAD_PROBE_ADDR);
	copy_str(def->symbol, s, se);
	def->has_symbol = true;
	def->symbol_glob = strchr(def->symbol, '*') || strchr(def->symbol, '?');
	def->offset = se < e ? (uint32_t)off : 0;
	if (def->is_return && def->offset)
		return trace_perr(p, s, E_BAD_RETPROBE);
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
			return trace_perr(p, NULL, "fetch-args need more than %u bytes per hit (from '%s' on)",
					  TRACE_RECORD_MAX, def->args[i].name);
		}
	}
	def->rec_size = (uint16_t)off;
	return 0;
}

/*
 * Linux checks some things about all the fetch-args before parsing any:
 * "$arg..." words (only where arguments exist; "$arg*" needs BTF) and
 * "%pd"/"%pD" types (expanded from struct dentry/file layouts).
 */
static int precheck_args(struct parser *p, const struct trace_event_def *def,
			 const char *s)
{
	bool entry = def->has_symbol && !def->offset && !def->is_return;
	const char *e;

	for (; !is_eol(*s); s = skip_blanks(e)) {
		e = word_end(s);
		if (e - s >= 4 && !memcmp(s, "$arg", 4)) {
			if (!entry && !def->is_return)
				return trace_perr(p, s, E_NOFENTRY_ARGS);
			if (e - s > 4 && is_digit(s[4]))
				continue;
			/* "$arg*" (and "$args", as the selftests write it) lists them from BTF */
			if (e - s == 5 && (s[4] == '*' || s[4] == 's'))
				return trace_perr(p, s, E_NOSUP_BTFARG);
			return trace_perr(p, s, E_BAD_VAR);
		}
		if (e - s >= 4 && e[-4] == ':' && e[-3] == '%' && e[-2] == 'p' &&
		    (e[-1] == 'd' || e[-1] == 'D'))
			return trace_perr(p, e - 3, "%%p%c needs struct %s, which this kernel has no notion of",
					  e[-1], e[-1] == 'd' ? "dentry" : "file");
	}
	return 0;
}

int trace_event_parse(const char *line, struct trace_event_def *def,
		      char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen, .line = line };
	const char *s, *head, *names;
	int ret;

	memset(def, 0, sizeof(*def));
	def->err_pos = -1;
	p.pos = &def->err_pos;
	if (err && errlen)
		err[0] = '\0';
	s = skip_blanks(line);
	if (is_eol(*s))
		return trace_perr(&p, NULL, "empty definition");
	p.word = head = s;
	p.wend = word_end(s);
	if (*s == '-')
		return parse_remove(&p, def);
	if (*s != 'p' && *s != 'r')
		return trace_perr(&p, s, "expected 'p', 'r' or '-'");
	def->cmd = TRACE_CMD_PROBE;
	ret = parse_head(&p, def, &names);
	if (ret)
		return ret;
	s = skip_blanks(p.wend);
	if (is_eol(*s))
		return trace_perr(&p, s, "missing probe point after '%.*s'",
				  (int)(p.wend - head), head);
	p.word = s;
	p.wend = word_end(s);
	ret = parse_point(&p, def);
	if (ret)
		return ret;
	s = skip_blanks(p.wend);
	if (names) {	/* Linux checks the names after the probe point */
		p.word = head;
		p.wend = word_end(head);
		ret = parse_names(&p, def, names, false);
		if (ret)
			return ret;
	}
	if (def->symbol_glob && !def->name_auto)
		return trace_perr(&p, line + def->point_pos,
				  "a symbol pattern needs a generated event name (use 'p:GRP/' or no name)");
	if (!def->group[0])
		memcpy(def->group, TRACE_DEFAULT_GROUP, sizeof(TRACE_DEFAULT_GROUP));
	if (def->name_auto && !def->symbol_glob)
		trace_event_default_name(def->event, sizeof(def->event),
					 def->is_return,
					 def->has_symbol ? def->symbol : NULL,
					 def->offset, def->addr);
	ret = precheck_args(&p, def, s);
	if (ret)
		return ret;
	for (; !is_eol(*s); s = skip_blanks(p.wend)) {
		p.word = s;
		p.wend = word_end(s);
		if (def->nargs == TRACE_MAX_ARGS)
			return trace_perr(&p, s, "Too many arguments (at most %u)",
					  TRACE_MAX_ARGS);
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
	struct parser p = { .err = err, .errlen = errlen, .pos = &def->err_pos };
	char name[TRACE_NAME_MAX];
	struct fetch_arg *a;
	uint64_t addr;
	unsigned int i;

	def->resolved = false;
	if (def->cmd != TRACE_CMD_PROBE)
		return -EINVAL;
	if (def->has_symbol && !def->symbol_glob) {
		if (lookup(def->symbol, &addr)) {
			trace_perr(&p, NULL, E_BAD_PROBE_ADDR);
			def->err_pos = (int16_t)def->point_pos;
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
			def->err_pos = -1;
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
		if (def->has_symbol)
			OUT(" %s", def->symbol);
		for (i = 0; i < def->nargs; i++)
			OUT(" %s", def->args[i].text);
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
