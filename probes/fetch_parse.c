/*
 * fetch-arg grammar: "[NAME=]FETCHARG[:TYPE]" as Linux's kprobe_events
 * takes it, into a struct fetch_arg. Called word by word from
 * trace_event_parse(), whose error style it shares.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "ptregs.h"
#include "trace_internal.h"

/* Linux's x86-64 register names; "rax"/"eax"/"r8d" forms are derived. */
static const struct {
	char name[8];
	uint8_t off;
} reg_table[] = {
#define R(f) { #f, (uint8_t)offsetof(struct pt_regs, f) }
	R(ax), R(bx), R(cx), R(dx), R(si), R(di), R(bp), R(sp), R(r8), R(r9),
	R(r10), R(r11), R(r12), R(r13), R(r14), R(r15), R(ip), R(flags), R(cs),
	R(ss), R(orig_ax),
#undef R
};

static int reg_index(const char *s, const char *e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_table); i++)
		if (word_is(s, e, reg_table[i].name))
			return (int)i;
	return -1;
}

/*
 * Linux's names ("di"), plus "rdi"/"rip"/"rflags" for the full register
 * and "edi"/"r8d" for its low 32 bits. 0 and fills param/width, or -1.
 */
static int find_reg(struct fetch_arg *a, const char *s, const char *e)
{
	int i = reg_index(s, e);

	a->width = 8;
	if (i < 0 && e - s > 2 && *s == 'r') {
		i = reg_index(s + 1, e);	/* rax..rsp, rip, rflags */
		if (i >= 8 && i != 16 && i != 17)
			i = -1;
	}
	if (i < 0 && e - s > 2 && *s == 'e') {
		i = reg_index(s + 1, e);	/* eax..esp */
		a->width = 4;
		if (i >= 8)
			i = -1;
	}
	if (i < 0 && e - s > 2 && e[-1] == 'd') {
		i = reg_index(s, e - 1);	/* r8d..r15d */
		a->width = 4;
		if (i < 8 || i > 15)
			i = -1;
	}
	if (i < 0)
		return -1;
	a->param = reg_table[i].off;
	return 0;
}

/* $retval, $stack, $stackN, $argN, $comm. */
static int parse_var(struct parser *p, const struct trace_event_def *def,
		     struct fetch_arg *a, const char *s, const char *e)
{
	const char *v = s + 1, *stop;
	uint64_t n;

	if (word_is(v, e, "retval")) {
		if (!def->is_return)
			return trace_perr(p, s, "$retval is only available on return probes");
		a->kind = FETCH_RETVAL;
	} else if (word_is(v, e, "comm")) {
		a->kind = FETCH_COMM;
	} else if (word_is(v, e, "stack")) {
		a->kind = FETCH_STACKP;
	} else if (e - v > 5 && !memcmp(v, "stack", 5) && is_digit(v[5])) {
		if (trace_parse_num(v + 5, e, &stop, &n) || stop != e)
			goto unknown;
		if (n > TRACE_MAX_STACK_NTH)
			return trace_perr(p, s, "stack index too large (max %u)",
					  TRACE_MAX_STACK_NTH);
		a->kind = FETCH_STACK;
		a->param = (uint16_t)n;
	} else if (e - v > 3 && !memcmp(v, "arg", 3) && is_digit(v[3])) {
		if (trace_parse_num(v + 3, e, &stop, &n) || stop != e)
			goto unknown;
		if (!n)
			return trace_perr(p, s, "argument numbers start at 1");
		if (n > TRACE_MAX_STACK_NTH)
			return trace_perr(p, s, "argument number too large (max %u)",
					  TRACE_MAX_STACK_NTH);
		/* At a return, or past the entry, argument registers are gone. */
		if (def->is_return)
			return trace_perr(p, s, "$argN is not available on return probes");
		if (!def->has_symbol || def->offset)
			return trace_perr(p, s, "$argN needs a probe on a function entry (SYM or SYM+0)");
		a->kind = FETCH_ARG;
		a->param = (uint16_t)n;
	} else {
		goto unknown;
	}
	return 0;
unknown:
	return trace_perr(p, s, "unknown variable (use $retval, $stack, $stackN, $argN or $comm)");
}

/* @ADDR or @SYM[+|-offs]: an address to read from (one implicit deref). */
static int parse_at(struct parser *p, struct fetch_arg *a, const char *s,
		    const char *e, const char *body)
{
	const char *stop, *se, *c;
	uint64_t v;

	if (s + 1 == e)
		return trace_perr(p, s, "missing address or symbol after '@'");
	if (is_digit(s[1])) {
		if (trace_parse_num(s + 1, e, &stop, &v) || stop != e)
			return trace_perr(p, s, "invalid address");
		a->kind = FETCH_IMM;
		a->imm = v;
		return 0;
	}
	if (s[1] == '+')
		return trace_perr(p, s, "file offsets (@+OFFS) are for uprobes only");
	for (se = s + 1; se < e && *se != '+' && *se != '-'; se++)
		if (!is_ident(*se) && *se != '.')
			return trace_perr(p, se, "invalid character in symbol");
	if (se - (s + 1) > TRACE_NAME_MAX - 1)
		return trace_perr(p, s, "symbol is longer than %u characters",
				  TRACE_NAME_MAX - 1);
	c = s + 1;
	if (is_digit(*c) || c == se)
		return trace_perr(p, s, "expected a symbol or an address");
	a->kind = FETCH_SYM;
	a->sym_pos = (uint8_t)(c - body);
	a->sym_len = (uint8_t)(se - c);
	if (se < e && (trace_parse_signed(se, e, &stop, &a->sym_off) || stop != e))
		return trace_perr(p, se, "invalid symbol offset");
	return 0;
}

/* The innermost part of a fetch-arg: everything but +|-OFFS( ... ). */
static int parse_base(struct parser *p, const struct trace_event_def *def,
		      struct fetch_arg *a, const char *s, const char *e,
		      const char *body)
{
	const char *stop = s;
	int64_t v;
	int ret;

	if (s < e) {
		switch (*s) {
		case '%':
			a->kind = FETCH_REG;
			if (find_reg(a, s + 1, e))
				return trace_perr(p, s, "unknown register");
			return 0;
		case '$':
			return parse_var(p, def, a, s, e);
		case '@':
			return parse_at(p, a, s, e, body);
		case '\\':
			if (s + 1 < e && s[1] == '"')
				return trace_perr(p, s, "immediate strings are not supported");
			/* Linux: a sign makes it a long, else an unsigned long. */
			if (s + 1 < e && is_digit(s[1]))
				ret = trace_parse_num(s + 1, e, &stop, &a->imm);
			else if ((ret = trace_parse_signed(s + 1, e, &stop, &v)) == 0)
				a->imm = (uint64_t)v;
			if (ret || stop != e)
				return trace_perr(p, s + 1, "invalid immediate value");
			a->kind = FETCH_IMM;
			return 0;
		}
	}
	return trace_perr(p, s, "expected %%REG, @ADDR, @SYM, $VAR, \\IMM or +|-OFFS(...)");
}

/* Everything before ":TYPE": nested +|-OFFS( ... ) around a base. */
static int parse_expr(struct parser *p, const struct trace_event_def *def,
		      struct fetch_arg *a, const char *body, const char *e)
{
	int64_t offs[TRACE_MAX_DEREF];
	unsigned int depth = 0, i, n;
	const char *s = body, *be, *stop;
	int ret;

	while (s < e && (*s == '+' || *s == '-')) {
		if (depth == TRACE_MAX_DEREF)
			return trace_perr(p, s, "dereferences nested too deeply (max %u)",
					  TRACE_MAX_DEREF);
		if (s + 1 < e && s[1] == 'u')
			return trace_perr(p, s, "user-space dereference is not supported");
		ret = trace_parse_signed(s, e, &stop, &offs[depth]);
		if (ret)
			return trace_perr(p, s, "invalid dereference offset");
		if (stop == e || *stop != '(')
			return trace_perr(p, stop, "missing '('");
		depth++;
		s = stop + 1;
	}
	for (be = s; be < e && *be != ')'; be++)
		;
	ret = parse_base(p, def, a, s, be, body);
	if (ret)
		return ret;
	for (i = 0; i < depth; i++, be++)
		if (be == e || *be != ')')
			return trace_perr(p, be, "missing ')'");
	if (be != e)
		return trace_perr(p, be, "unexpected '%c'", *be);
	if (depth && a->kind == FETCH_COMM)
		return trace_perr(p, body, "$comm can not be dereferenced");
	/* @ADDR and @SYM read memory once themselves, innermost. */
	n = (a->kind == FETCH_SYM || (a->kind == FETCH_IMM && *s == '@'));
	if (depth + n > TRACE_MAX_DEREF)
		return trace_perr(p, body, "dereferences nested too deeply (max %u)",
				  TRACE_MAX_DEREF);
	if (n)
		a->deref[0] = 0;
	for (i = 0; i < depth; i++)
		a->deref[n + i] = offs[depth - 1 - i];
	a->nderef = (uint8_t)(depth + n);
	return 0;
}

static const char *const type_names[] = {
	[TRACE_TYPE_U8] = "u8", [TRACE_TYPE_U16] = "u16",
	[TRACE_TYPE_U32] = "u32", [TRACE_TYPE_U64] = "u64",
	[TRACE_TYPE_S8] = "s8", [TRACE_TYPE_S16] = "s16",
	[TRACE_TYPE_S32] = "s32", [TRACE_TYPE_S64] = "s64",
	[TRACE_TYPE_X8] = "x8", [TRACE_TYPE_X16] = "x16",
	[TRACE_TYPE_X32] = "x32", [TRACE_TYPE_X64] = "x64",
	[TRACE_TYPE_STRING] = "string", [TRACE_TYPE_SYMBOL] = "symbol",
};

const char *trace_type_name(enum trace_type type)
{
	return (unsigned int)type < ARRAY_SIZE(type_names) ? type_names[type] : "?";
}

/* "TYPE" or "TYPE[N]" after the ':'. */
static int parse_type(struct parser *p, struct fetch_arg *a, const char *t,
		      const char *e)
{
	const char *br = find(t, e, '['), *te = br ? br : e;
	const char *close, *stop;
	unsigned int i;
	uint64_t n;

	p->what = "type";
	for (i = 0; i < ARRAY_SIZE(type_names); i++)
		if (word_is(t, te, type_names[i]))
			break;
	if (i == ARRAY_SIZE(type_names)) {
		if (t == te)
			return trace_perr(p, t, "missing type after ':'");
		if (word_is(t, te, "ustring"))
			return trace_perr(p, t, "user-space strings are not supported");
		if (*t == 'b' && te - t > 1 && is_digit(t[1]))
			return trace_perr(p, t, "bitfield types are not supported");
		return trace_perr(p, t, "unknown type (use u8-u64, s8-s64, x8-x64, string or symbol)");
	}
	a->type = (uint8_t)i;
	if (!br)
		return 0;
	close = find(br, e, ']');
	if (!close)
		return trace_perr(p, br, "array is not closed");
	if (close + 1 != e)
		return trace_perr(p, close + 1, "unexpected text after ']'");
	if (trace_parse_num(br + 1, close, &stop, &n) || stop != close || !n)
		return trace_perr(p, br + 1, "invalid array size");
	if (n > TRACE_MAX_ARRAY)
		return trace_perr(p, br + 1, "array size too big (max %u)",
				  TRACE_MAX_ARRAY);
	a->count = (uint16_t)n;
	return 0;
}

static const char *const reserved_names[] = {
	"common_type", "common_flags", "common_preempt_count", "common_pid",
	"common_tgid", "__probe_ip", "__probe_ret_ip", "__probe_func",
};

/* [NAME=]FETCHARG[:TYPE] */
int trace_parse_arg(struct parser *p, struct trace_event_def *def,
		     unsigned int idx)
{
	struct fetch_arg *a = &def->args[idx];
	const char *w = p->word, *body = w, *colon, *eq;
	unsigned int i;
	int ret;

	p->what = "arg name";
	eq = find(w, p->wend, '=');
	if (eq) {
		if (eq == w)
			return trace_perr(p, w, "name is not specified");
		ret = trace_take_name(p, w, eq, a->name, sizeof(a->name), false);
		if (ret)
			return ret;
		body = eq + 1;
	} else {
		snprintf(a->name, sizeof(a->name), "arg%u", idx + 1);
	}
	for (i = 0; i < ARRAY_SIZE(reserved_names); i++)
		if (!strcmp(a->name, reserved_names[i]))
			return trace_perr(p, w, "'%s' is reserved", a->name);
	for (i = 0; i < idx; i++)
		if (!strcmp(a->name, def->args[i].name))
			return trace_perr(p, w, "'%s' is already used", a->name);

	p->what = "fetch-arg";
	if (body == p->wend)
		return trace_perr(p, body, "missing expression after '='");
	if (p->wend - body > TRACE_ARG_TEXT_MAX - 1)
		return trace_perr(p, body, "longer than %u characters",
				  TRACE_ARG_TEXT_MAX - 1);
	copy_str(a->text, body, p->wend);
	a->width = 8;
	a->type = TRACE_TYPE_X64;
	colon = find(body, p->wend, ':');
	ret = parse_expr(p, def, a, body, colon ? colon : p->wend);
	if (ret)
		return ret;
	if (a->kind == FETCH_COMM)
		a->type = TRACE_TYPE_STRING;
	if (!colon)
		return 0;
	ret = parse_type(p, a, colon + 1, p->wend);
	if (ret)
		return ret;
	if (a->kind == FETCH_COMM && (a->type != TRACE_TYPE_STRING || a->count))
		return trace_perr(p, colon + 1, "$comm is always a string");
	/* Strings and arrays are read from memory; a register is no place. */
	if (a->type == TRACE_TYPE_STRING && !a->nderef && a->kind != FETCH_IMM &&
	    a->kind != FETCH_COMM)
		return trace_perr(p, colon + 1, "string needs a memory fetch-arg such as +0(%%di)");
	if (a->count && !a->nderef)
		return trace_perr(p, colon + 1, "an array needs a memory fetch-arg such as +0(%%di)");
	return 0;
}

