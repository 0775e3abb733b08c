/*
 * Event filters, Linux syntax, on an event's fetch-arg names:
 *
 *   expr := and { "||" and }        and := unary { "&&" unary }
 *   unary := "!" unary | "(" expr ")" | FIELD OP VALUE
 *   OP: == != < <= > >= & (bits in common) on numbers; == != ~ (glob) on
 *   strings; VALUE: a number (0x hex, 0 octal, '-' for sN fields) or a
 *   "quoted" / 'quoted' string.
 *
 * A recursive-descent pass compiles the text to a postfix node array once,
 * at the console; the probe path then only walks that array with a small
 * stack of booleans, no parsing and no recursion.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "trace_internal.h"

enum {
	F_AND = 1, F_OR, F_NOT,
	F_EQ, F_NE, F_LT, F_LE, F_GT, F_GE, F_BAND,	/* numeric */
	F_STR_EQ, F_STR_NE, F_STR_GLOB,			/* string */
};
#define F_SIGNED	0x80	/* numeric compare as int64_t */

struct fparser {
	const char *text, *pos;
	const struct trace_event_def *def;
	struct trace_filter *f;
	size_t strpos;
	unsigned int depth;
	char *err;
	size_t errlen;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip(struct fparser *fp)
{
	while (is_space(*fp->pos))
		fp->pos++;
}

/* "bad filter at '<rest>': <why>", or "... at end: ..." */
static int ferr(struct fparser *fp, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ferr(struct fparser *fp, const char *at, const char *fmt, ...)
{
	char why[96];
	va_list ap;
	int n;

	if (!fp->err || !fp->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	n = (int)strlen(at);
	while (n && is_space(at[n - 1]))
		n--;
	if (!n)
		snprintf(fp->err, fp->errlen, "bad filter at end: %s", why);
	else
		snprintf(fp->err, fp->errlen, "bad filter at '%.*s%s': %s",
			 min(n, 32), at, n > 32 ? "..." : "", why);
	return -EINVAL;
}

static int emit(struct fparser *fp, const char *at, uint8_t op, uint8_t arg,
		uint16_t str, uint64_t val)
{
	struct filter_node *n;

	if (fp->f->nnodes == TRACE_FILTER_MAX_NODES)
		return ferr(fp, at, "too many terms (max %u nodes)",
			    TRACE_FILTER_MAX_NODES);
	n = &fp->f->nodes[fp->f->nnodes++];
	n->op = op;
	n->arg = arg;
	n->str = str;
	n->val = val;
	return 0;
}

/* The operator at fp->pos, longest match first; 0 if none. */
static uint8_t lex_op(struct fparser *fp, const char **end)
{
	static const struct { char s[3]; uint8_t op; } ops[] = {
		{ "==", F_EQ }, { "!=", F_NE }, { "<=", F_LE }, { ">=", F_GE },
		{ "<", F_LT }, { ">", F_GT }, { "~", F_STR_GLOB },
	};
	const char *s = fp->pos;
	unsigned int i;
	size_t n;

	/* A lone '&' tests bits; "&&" is the logical operator, not ours. */
	if (s[0] == '&' && s[1] != '&') {
		*end = s + 1;
		return F_BAND;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		n = strlen(ops[i].s);
		if (!strncmp(s, ops[i].s, n)) {
			*end = s + n;
			return ops[i].op;
		}
	}
	return 0;
}

static int find_field(const struct trace_event_def *def, const char *s,
		      const char *e)
{
	unsigned int i;

	for (i = 0; i < def->nargs; i++)
		if (word_is(s, e, def->args[i].name))
			return (int)i;
	return -1;
}

/* A quoted string constant into the filter's string pool. */
static int parse_string(struct fparser *fp, uint16_t *off)
{
	const char *s = fp->pos, *close;
	size_t n;

	close = strchr(s + 1, *s);
	if (!close)
		return ferr(fp, s, "missing closing quote");
	n = (size_t)(close - (s + 1));
	/* The pool is as long as the text, so this cannot overflow it. */
	*off = (uint16_t)fp->strpos;
	copy_str(fp->f->strings + fp->strpos, s + 1, close);
	fp->strpos += n + 1;
	fp->pos = close + 1;
	return 0;
}

/* FIELD OP VALUE */
static int parse_pred(struct fparser *fp)
{
	const char *name = fp->pos, *ne, *opat, *opend, *v, *stop;
	const struct fetch_arg *a;
	bool sign, is_str;
	uint16_t str = 0;
	uint64_t val = 0;
	int64_t sval;
	uint8_t op;
	int idx, ret;

	if (!is_alpha(*name) && *name != '_')
		return ferr(fp, name, *name ? "expected a field name" :
			    "expected a field name after an operator");
	for (ne = name; is_ident(*ne); ne++)
		;
	idx = find_field(fp->def, name, ne);
	if (idx < 0)
		return ferr(fp, name, "unknown field '%.*s'", (int)(ne - name), name);
	a = &fp->def->args[idx];
	if (a->count)
		return ferr(fp, name, "'%s' is an array; arrays cannot be filtered",
			    a->name);
	is_str = a->type == TRACE_TYPE_STRING;
	fp->pos = ne;
	skip(fp);
	opat = fp->pos;
	op = lex_op(fp, &opend);
	if (!op)
		return ferr(fp, opat, "expected ==, !=, <, <=, >, >=, & or ~ after '%s'",
			    a->name);
	if (is_str) {
		if (op != F_EQ && op != F_NE && op != F_STR_GLOB)
			return ferr(fp, opat, "'%.*s' is not valid for string field '%s' (use ==, != or ~)",
				    (int)(opend - opat), opat, a->name);
		op = op == F_EQ ? F_STR_EQ : op == F_NE ? F_STR_NE : F_STR_GLOB;
	} else if (op == F_STR_GLOB) {
		return ferr(fp, opat, "'~' is only for string fields");
	}
	fp->pos = opend;
	skip(fp);
	v = fp->pos;
	if (is_str) {
		if (*v != '"' && *v != '\'')
			return ferr(fp, v, "expected a quoted string for '%s'", a->name);
		ret = parse_string(fp, &str);
		if (ret)
			return ret;
		return emit(fp, name, op, (uint8_t)idx, str, 0);
	}
	if (*v == '"' || *v == '\'')
		return ferr(fp, v, "'%s' is a number, not a string", a->name);
	sign = a->type >= TRACE_TYPE_S8 && a->type <= TRACE_TYPE_S64;
	if (*v == '-' && !sign)
		return ferr(fp, v, "negative value for unsigned field '%s'", a->name);
	if (sign)
		ret = trace_parse_signed(v, v + strlen(v), &stop, &sval);
	else
		ret = trace_parse_num(v, v + strlen(v), &stop, &val);
	if (ret == -ERANGE)
		return ferr(fp, v, "number out of range");
	if (ret || is_ident(*stop))
		return ferr(fp, v, "expected a number");
	if (sign)
		val = (uint64_t)sval;
	fp->pos = stop;
	return emit(fp, name, (uint8_t)(op | (sign && op != F_BAND ? F_SIGNED : 0)),
		    (uint8_t)idx, 0, val);
}

static int parse_or(struct fparser *fp);

static int parse_unary(struct fparser *fp)
{
	const char *at;
	int ret;

	skip(fp);
	at = fp->pos;
	if ((*at == '!' && at[1] != '=') || *at == '(') {
		if (++fp->depth > TRACE_FILTER_MAX_DEPTH)
			return ferr(fp, at, "nested too deeply (max %u)",
				    TRACE_FILTER_MAX_DEPTH);
		fp->pos++;
		if (*at == '!') {
			ret = parse_unary(fp);
			if (!ret)
				ret = emit(fp, at, F_NOT, 0, 0, 0);
		} else {
			ret = parse_or(fp);
			skip(fp);
			if (!ret && *fp->pos != ')')
				ret = ferr(fp, fp->pos, "missing ')'");
			fp->pos++;
		}
		fp->depth--;
		return ret;
	}
	return parse_pred(fp);
}

static int parse_and(struct fparser *fp)
{
	const char *at;
	int ret = parse_unary(fp);

	for (;;) {
		if (ret)
			return ret;
		skip(fp);
		at = fp->pos;
		if (strncmp(at, "&&", 2))
			return 0;
		fp->pos += 2;
		ret = parse_unary(fp);
		if (!ret)
			ret = emit(fp, at, F_AND, 0, 0, 0);
	}
}

static int parse_or(struct fparser *fp)
{
	const char *at;
	int ret = parse_and(fp);

	for (;;) {
		if (ret)
			return ret;
		skip(fp);
		at = fp->pos;
		if (strncmp(at, "||", 2))
			return 0;
		fp->pos += 2;
		ret = parse_and(fp);
		if (!ret)
			ret = emit(fp, at, F_OR, 0, 0, 0);
	}
}

int trace_filter_compile(struct trace_filter *f, const char *expr,
			 const struct trace_event_def *def,
			 char *err, size_t errlen)
{
	static const char none[] = "none";	/* what Linux shows unfiltered */
	struct trace_filter tmp;
	struct fparser fp = {
		.text = expr, .pos = expr, .def = def, .f = &tmp,
		.err = err, .errlen = errlen,
	};
	size_t len = strlen(expr);
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (len > TRACE_FILTER_TEXT_MAX - 1)
		return ferr(&fp, "", "longer than %u characters",
			    TRACE_FILTER_TEXT_MAX - 1);
	memset(&tmp, 0, sizeof(tmp));
	skip(&fp);
	if (fp.pos[0] == '0' && (!fp.pos[1] || is_space(fp.pos[1]))) {
		fp.pos++;
		skip(&fp);
		if (!*fp.pos) {
			memcpy(tmp.text, none, sizeof(none));
			memcpy(f, &tmp, sizeof(tmp));
			return 0;
		}
		fp.pos = expr;
	}
	if (!*fp.pos)
		return ferr(&fp, fp.pos, "empty filter (use 0 to clear)");
	ret = parse_or(&fp);
	if (ret)
		return ret;
	skip(&fp);
	if (*fp.pos == ')')
		return ferr(&fp, fp.pos, "unbalanced ')'");
	if (*fp.pos)
		return ferr(&fp, fp.pos, "expected '&&' or '||'");
	memcpy(tmp.text, expr, len + 1);
	memcpy(f, &tmp, sizeof(tmp));
	return 0;
}

static bool test_pred(const struct filter_node *n,
		      const struct trace_filter *f,
		      const struct trace_event_def *def, const void *rec)
{
	uint8_t op = n->op & ~F_SIGNED;
	const char *s;
	uint64_t v;
	int64_t sv;

	if (op >= F_STR_EQ) {
		s = fetch_get_string(def, rec, n->arg);
		if (!s)
			return false;
		if (op == F_STR_GLOB)
			return glob_match(f->strings + n->str, s);
		return (strcmp(s, f->strings + n->str) == 0) == (op == F_STR_EQ);
	}
	if (fetch_get_value(def, rec, n->arg, &v))
		return false;
	if (n->op & F_SIGNED) {
		sv = (int64_t)v;
		switch (op) {
		case F_LT: return sv < (int64_t)n->val;
		case F_LE: return sv <= (int64_t)n->val;
		case F_GT: return sv > (int64_t)n->val;
		case F_GE: return sv >= (int64_t)n->val;
		}
	}
	switch (op) {
	case F_EQ: return v == n->val;
	case F_NE: return v != n->val;
	case F_LT: return v < n->val;
	case F_LE: return v <= n->val;
	case F_GT: return v > n->val;
	case F_GE: return v >= n->val;
	case F_BAND: return (v & n->val) != 0;
	}
	return false;
}

bool trace_filter_match(const struct trace_filter *f,
			const struct trace_event_def *def, const void *rec)
{
	bool stack[TRACE_FILTER_MAX_NODES];
	const struct filter_node *n;
	unsigned int i, sp = 0;

	if (!f || !f->nnodes)
		return true;
	for (i = 0; i < f->nnodes; i++) {
		n = &f->nodes[i];
		switch (n->op) {
		case F_AND:
			sp--;
			stack[sp - 1] = stack[sp - 1] && stack[sp];
			break;
		case F_OR:
			sp--;
			stack[sp - 1] = stack[sp - 1] || stack[sp];
			break;
		case F_NOT:
			stack[sp - 1] = !stack[sp - 1];
			break;
		default:
			stack[sp++] = test_pred(n, f, def, rec);
			break;
		}
	}
	return sp == 1 && stack[0];
}
