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

/* How far parse_fetch() got: the last fetch operation's index, as Linux counts. */
struct fetch_state {
	int last;
	const char *body;
};

/* One more operation in Linux's 16-slot fetch program (the last is END). */
static int add_op(struct parser *p, struct fetch_state *st, const char *at)
{
	if (++st->last >= TRACE_MAX_OPS)
		return trace_perr(p, at, E_TOO_MANY_OPS);
	return 0;
}

/* $retval, $stack, $stackN, $argN, $comm, at s (the '$'). */
static int parse_var(struct parser *p, const struct trace_event_def *def,
		     struct fetch_arg *a, const char *s, const char *e)
{
	const char *v = s + 1, *stop;
	uint64_t n;

	if (e - v >= 6 && !memcmp(v, "retval", 6)) {
		if (!def->is_return)
			return trace_perr(p, s, E_RETVAL_ON_PROBE);
		if (e - v != 6)
			return trace_perr(p, s, E_BAD_VAR);
		a->kind = FETCH_RETVAL;
	} else if (word_is(v, e, "comm") || word_is(v, e, "COMM")) {
		a->kind = FETCH_COMM;
	} else if (word_is(v, e, "stack")) {
		a->kind = FETCH_STACKP;
	} else if (e - v > 5 && !memcmp(v, "stack", 5)) {
		if (!is_digit(v[5]) || trace_parse_num(v + 5, e, &stop, &n) ||
		    stop != e || (v[5] == '0' && e - v > 6))
			return trace_perr(p, s, E_BAD_VAR);
		if (n > TRACE_MAX_STACK_NTH)
			return trace_perr(p, s, E_BAD_STACK_NUM);
		a->kind = FETCH_STACK;
		a->param = (uint16_t)n;
	} else if (e - v >= 3 && !memcmp(v, "arg", 3)) {
		if (e - v == 3 || !is_digit(v[3]) || trace_parse_num(v + 3, e, &stop, &n) ||
		    stop != e || (v[3] == '0' && e - v > 4))
			return trace_perr(p, s, E_BAD_VAR);
		if (!n || n > TRACE_MAX_STACK_NTH)
			return trace_perr(p, s, E_BAD_ARG_NUM);
		/* Past the entry the argument registers are gone. */
		if (!def->is_return && (!def->has_symbol || def->offset))
			return trace_perr(p, s, E_NOFENTRY_ARGS);
		a->kind = FETCH_ARG;
		a->param = (uint16_t)n;
	} else {
		return trace_perr(p, s, E_BAD_VAR);
	}
	return 0;
}

/* @ADDR or @SYM[+|-offs]: an address to read from (one implicit deref). */
static int parse_at(struct parser *p, struct fetch_arg *a, struct fetch_state *st,
		    const char *s, const char *e)
{
	const char *stop, *se, *c = s + 1;
	uint64_t v;
	int ret;

	if (c < e && is_digit(*c)) {
		if (trace_parse_num(c, e, &stop, &v) || stop != e)
			return trace_perr(p, s, E_BAD_MEM_ADDR);
		a->kind = FETCH_IMM;
		a->imm = v;
	} else if (c < e && *c == '+') {
		return trace_perr(p, s, E_FILE_ON_KPROBE);
	} else {
		for (se = c; se < e && *se != '+' && *se != '-'; se++)
			;
		/* Linux looks the text up when registering; so do we. */
		if (se == c || se - c > TRACE_NAME_MAX - 1)
			return trace_perr(p, s, E_BAD_MEM_ADDR);
		a->kind = FETCH_SYM;
		a->sym_pos = (uint8_t)(c - st->body);
		a->sym_len = (uint8_t)(se - c);
		if (se < e && (trace_parse_signed(se, e, &stop, &a->sym_off) || stop != e))
			return trace_perr(p, s, E_BAD_MEM_ADDR);
		ret = add_op(p, st, s);		/* the symbol, then its address */
		if (ret)
			return ret;
	}
	a->deref[a->nderef++] = 0;
	return add_op(p, st, s);
}

/* Linux's str_to_immediate(): digits unsigned, a sign makes it a long. */
static int parse_imm(struct fetch_arg *a, const char *s, const char *e)
{
	const char *stop;
	int64_t v;

	if (s < e && is_digit(*s)) {
		if (trace_parse_num(s, e, &stop, &a->imm) || stop != e)
			return -EINVAL;
		return 0;
	}
	if (s == e || (*s != '-' && *s != '+') ||
	    trace_parse_signed(*s == '+' ? s + 1 : s, e, &stop, &v) || stop != e)
		return -EINVAL;
	a->imm = (uint64_t)v;
	return 0;
}

/*
 * FETCHARG in [s, e), recursively as Linux parses it: the innermost value
 * first, then one dereference per +|-OFFS( ... ) around it.
 */
static int parse_fetch(struct parser *p, const struct trace_event_def *def,
		       struct fetch_arg *a, struct fetch_state *st,
		       const char *s, const char *e)
{
	const char *open, *close, *stop;
	int64_t off;
	int ret;

	switch (s < e ? *s : '\0') {
	case '$':
		return parse_var(p, def, a, s, e);
	case '%':
		a->kind = FETCH_REG;
		return find_reg(a, s + 1, e) ? trace_perr(p, s, E_BAD_REG_NAME) : 0;
	case '@':
		return parse_at(p, a, st, s, e);
	case '+':
	case '-':
		if (s + 1 < e && s[1] == 'u')
			return trace_perr(p, s, "user-space dereference (+u) has no meaning here: this kernel has no user space");
		open = find(s, e, '(');
		if (!open)
			return trace_perr(p, s, E_DEREF_NEED_BRACE);
		if (trace_parse_signed(s, open, &stop, &off) || stop != open)
			return trace_perr(p, s, E_BAD_DEREF_OFFS);
		for (close = e; close > open && close[-1] != ')'; close--)
			;
		if (close == open)
			return trace_perr(p, e, E_DEREF_OPEN_BRACE);
		ret = parse_fetch(p, def, a, st, open + 1, close - 1);
		if (ret)
			return ret;
		if (a->kind == FETCH_COMM || a->kind == FETCH_IMMSTR)
			return trace_perr(p, open + 1, E_COMM_CANT_DEREF);
		ret = add_op(p, st, open + 1);
		if (ret)
			return ret;
		a->deref[a->nderef++] = off;
		return 0;
	case '\\':
		if (s + 1 < e && s[1] == '"') {
			if (e - s < 3 || e[-1] != '"')
				return trace_perr(p, e, E_IMMSTR_NO_CLOSE);
			a->kind = FETCH_IMMSTR;
			a->sym_pos = (uint8_t)(s + 2 - st->body);
			a->sym_len = (uint8_t)(e - 1 - (s + 2));
			return 0;
		}
		if (parse_imm(a, s + 1, e))
			return trace_perr(p, s + 1, E_BAD_IMM);
		a->kind = FETCH_IMM;
		return 0;
	}
	if (s < e && (is_alpha(*s) || *s == '_'))	/* a BTF argument name */
		return trace_perr(p, s, E_NOSUP_BTFARG);
	return trace_perr(p, s, E_BAD_FETCH_ARG);
}

static const char *const type_names[] = {
	[TRACE_TYPE_U8] = "u8", [TRACE_TYPE_U16] = "u16",
	[TRACE_TYPE_U32] = "u32", [TRACE_TYPE_U64] = "u64",
	[TRACE_TYPE_S8] = "s8", [TRACE_TYPE_S16] = "s16",
	[TRACE_TYPE_S32] = "s32", [TRACE_TYPE_S64] = "s64",
	[TRACE_TYPE_X8] = "x8", [TRACE_TYPE_X16] = "x16",
	[TRACE_TYPE_X32] = "x32", [TRACE_TYPE_X64] = "x64",
	[TRACE_TYPE_STRING] = "string", [TRACE_TYPE_SYMBOL] = "symbol",
	[TRACE_TYPE_CHAR] = "char", [TRACE_TYPE_SYMSTR] = "symstr",
};

const char *trace_type_name(enum trace_type type)
{
	return (unsigned int)type < ARRAY_SIZE(type_names) ? type_names[type] : "?";
}

/* "b<width>@<shift>/<container bits>": Linux's bitfield type. */
static int parse_bitfield(struct fetch_arg *a, const char *t, const char *e,
			  bool *is_bf)
{
	const char *at, *slash, *stop;
	uint64_t w, o, sz;

	*is_bf = false;
	if (*t != 'b' || !(slash = find(t, e, '/')))
		return 0;
	/* The container names the type (u8..u64) even when the rest is bad. */
	if (trace_parse_num(slash + 1, e, &stop, &sz) || stop != e ||
	    (sz != 8 && sz != 16 && sz != 32 && sz != 64))
		return 0;
	*is_bf = true;
	a->type = (uint8_t)(sz == 8 ? TRACE_TYPE_U8 : sz == 16 ? TRACE_TYPE_U16 :
			    sz == 32 ? TRACE_TYPE_U32 : TRACE_TYPE_U64);
	at = find(t, slash, '@');
	if (!at || trace_parse_num(t + 1, at, &stop, &w) || stop != at || !w ||
	    trace_parse_num(at + 1, slash, &stop, &o) || stop != slash ||
	    w + o > sz)
		return -EINVAL;
	a->bf_width = (uint8_t)w;
	a->bf_shift = (uint8_t)o;
	return 0;
}

/* ":TYPE" or ":TYPE[N]" (t just after the ':'), checked before the value as Linux does. */
static int parse_type(struct parser *p, struct fetch_arg *a, const char *body,
		      const char *t, const char *e, bool *bad_bf)
{
	const char *br = t ? find(t, e, '[') : NULL, *te = br ? br : e;
	const char *close, *stop;
	unsigned int i;
	uint64_t n;
	bool bf;

	*bad_bf = false;
	if (br) {
		close = find(br + 1, e, ']');
		if (!close)
			return trace_perr(p, e, E_ARRAY_NO_CLOSE);
		if (close + 1 != e)
			return trace_perr(p, close + 1, E_BAD_ARRAY_SUFFIX);
		if (trace_parse_num(br + 1, close, &stop, &n) || stop != close || !n)
			return trace_perr(p, br + 1, E_BAD_ARRAY_NUM);
		if (n > TRACE_MAX_ARRAY)
			return trace_perr(p, br + 1, E_ARRAY_TOO_BIG);
		a->count = (uint16_t)n;
	}
	/* $comm and immediate strings are strings, whatever else. */
	if (word_is(body, t ? t - 1 : e, "$comm") || word_is(body, t ? t - 1 : e, "$COMM") ||
	    (e - body >= 2 && body[0] == '\\' && body[1] == '"')) {
		if (a->count || (t && !word_is(t, te, "string")))
			return trace_perr(p, t ? t : body, E_NEED_STRING_TYPE);
		a->type = TRACE_TYPE_STRING;
		return 0;
	}
	a->type = TRACE_TYPE_X64;
	if (!t)
		return 0;
	for (i = 0; i < ARRAY_SIZE(type_names); i++) {
		if (word_is(t, te, type_names[i])) {
			a->type = (uint8_t)i;
			return 0;
		}
	}
	if (word_is(t, te, "ustring"))
		return trace_perr(p, t, "ustring has no meaning here: this kernel has no user space");
	*bad_bf = parse_bitfield(a, t, te, &bf) != 0;
	if (bf)
		return 0;
	return trace_perr(p, t, E_BAD_TYPE);
}

/*
 * Linux's last step: how the value is stored, in which fetch operations
 * (each counted against the limit), and which kinds a string type takes.
 */
static int finalize(struct parser *p, struct fetch_arg *a, struct fetch_state *st,
		    const char *t, bool bad_bf)
{
	bool str = a->type == TRACE_TYPE_STRING, symstr = a->type == TRACE_TYPE_SYMSTR;
	bool deref = a->nderef > 0, base_addr = !deref && (a->kind == FETCH_IMM ||
				a->kind == FETCH_COMM || a->kind == FETCH_IMMSTR);
	int ret;

	if (symstr && !deref && a->kind != FETCH_REG && a->kind != FETCH_STACK &&
	    a->kind != FETCH_RETVAL && a->kind != FETCH_ARG)
		return trace_perr(p, t, E_BAD_SYMSTRING);
	if (str && !deref && !base_addr)
		return trace_perr(p, t, E_BAD_STRING);
	if (symstr || (str && (base_addr || a->count)) || (!str && !deref)) {
		ret = add_op(p, st, st->body);	/* a separate store */
		if (ret)
			return ret;
	}
	if (bad_bf)
		return trace_perr(p, t, E_BAD_BITFIELD);
	if (a->bf_width) {
		ret = add_op(p, st, st->body);
		if (ret)
			return trace_perr(p, t, E_BAD_BITFIELD);
	}
	if (a->count) {
		if (symstr || (!str && !deref))
			return trace_perr(p, t, E_BAD_STRING);
		ret = add_op(p, st, st->body);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *const reserved_names[] = {
	"common_type", "common_flags", "common_preempt_count", "common_pid",
	"common_tgid", "__probe_ip", "__probe_ret_ip", "__probe_func",
};

/* [NAME=]FETCHARG[:TYPE], checked in Linux's order. */
int trace_parse_arg(struct parser *p, struct trace_event_def *def,
		    unsigned int idx)
{
	struct fetch_arg *a = &def->args[idx];
	const char *w = p->word, *body = w, *colon, *eq;
	struct fetch_state st = { .last = 0 };
	bool bad_bf;
	unsigned int i;
	int ret;

	eq = find(w, p->wend, '=');
	if (eq) {
		if (eq - w > TRACE_ARG_NAME_MAX - 1)
			return trace_perr(p, w, E_ARG_NAME_TOO_LONG);
		if (eq == w)
			return trace_perr(p, w, E_NO_ARG_NAME);
		if (!trace_good_name(w, eq, false))
			return trace_perr(p, w, E_BAD_ARG_NAME);
		copy_str(a->name, w, eq);
		body = eq + 1;
	} else {
		snprintf(a->name, sizeof(a->name), "arg%u", idx + 1);
	}
	for (i = 0; i < ARRAY_SIZE(reserved_names); i++)
		if (!strcmp(a->name, reserved_names[i]))
			return trace_perr(p, w, E_USED_ARG_NAME);
	for (i = 0; i < idx; i++)
		if (!strcmp(a->name, def->args[i].name))
			return trace_perr(p, w, E_USED_ARG_NAME);

	if (p->wend - body > TRACE_ARG_TEXT_MAX - 1)
		return trace_perr(p, body, E_ARG_TOO_LONG);
	if (body == p->wend)
		return trace_perr(p, body, E_NO_ARG_BODY);
	copy_str(a->text, body, p->wend);
	a->width = 8;
	st.body = body;
	colon = find(body, p->wend, ':');
	ret = parse_type(p, a, body, colon ? colon + 1 : NULL, p->wend, &bad_bf);
	if (ret)
		return ret;
	ret = parse_fetch(p, def, a, &st, body, colon ? colon : p->wend);
	if (ret)
		return ret;
	ret = finalize(p, a, &st, colon ? colon + 1 : body, bad_bf);
	if (ret)
		return ret;
	if (a->kind == FETCH_ARG && def->is_return)
		def->entry_args = true;
	return 0;
}
