/*
 * Private to the kprobe_events parser (event_parse.c, fetch_parse.c): the
 * lexing helpers and the error reporter both halves of the grammar share.
 * Nothing outside probes/ includes this; the public API is include/trace.h.
 */
#ifndef KP_PROBES_TRACE_INTERNAL_H
#define KP_PROBES_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib.h"

struct trace_event_def;

/* Where the parser is, so an error can quote the text that is wrong. */
struct parser {
	char *err;
	size_t errlen;
	const char *line;	/* columns count from here */
	int16_t *pos;		/* where trace_perr() puts the column */
	const char *word;	/* the blank-separated word being parsed */
	const char *wend;
};

/* Linux's error_log texts (kernel/trace/trace_probe.h), a user-visible format. */
#define E_BAD_MAXACT_TYPE	"Maxactive is only for function exit"
#define E_BAD_MAXACT		"Invalid maxactive number"
#define E_MAXACT_TOO_BIG	"Maxactive is too big"
#define E_BAD_PROBE_ADDR	"Invalid probed address or symbol"
#define E_BAD_RETPROBE		"Retprobe address must be an function entry"
#define E_BAD_ADDR_SUFFIX	"Invalid probed address suffix"
#define E_NO_GROUP_NAME		"Group name is not specified"
#define E_GROUP_TOO_LONG	"Group name is too long"
#define E_BAD_GROUP_NAME	"Group name must follow the same rules as C identifiers"
#define E_NO_EVENT_NAME		"Event name is not specified"
#define E_EVENT_TOO_LONG	"Event name is too long"
#define E_BAD_EVENT_NAME	"Event name must follow the same rules as C identifiers"
#define E_RETVAL_ON_PROBE	"$retval is not available on probe"
#define E_BAD_STACK_NUM		"Invalid stack number"
#define E_BAD_ARG_NUM		"Invalid argument number"
#define E_BAD_VAR		"Invalid $-valiable specified"
#define E_BAD_REG_NAME		"Invalid register name"
#define E_BAD_MEM_ADDR		"Invalid memory address"
#define E_BAD_IMM		"Invalid immediate value"
#define E_IMMSTR_NO_CLOSE	"String is not closed with '\"'"
#define E_FILE_ON_KPROBE	"File offset is not available with kprobe"
#define E_TOO_MANY_OPS		"Dereference is too much nested"
#define E_DEREF_NEED_BRACE	"Dereference needs a brace"
#define E_BAD_DEREF_OFFS	"Invalid dereference offset"
#define E_DEREF_OPEN_BRACE	"Dereference brace is not closed"
#define E_COMM_CANT_DEREF	"$comm can not be dereferenced"
#define E_BAD_FETCH_ARG		"Invalid fetch argument"
#define E_ARRAY_NO_CLOSE	"Array is not closed"
#define E_BAD_ARRAY_SUFFIX	"Array has wrong suffix"
#define E_BAD_ARRAY_NUM		"Invalid array size"
#define E_ARRAY_TOO_BIG		"Array number is too big"
#define E_BAD_TYPE		"Unknown type is specified"
#define E_BAD_STRING		"String accepts only memory argument"
#define E_NEED_STRING_TYPE	"$comm and immediate-string only accepts string type"
#define E_BAD_SYMSTRING		"Symbol String doesn't accept data/userdata"
#define E_BAD_BITFIELD		"Invalid bitfield"
#define E_ARG_NAME_TOO_LONG	"Argument name is too long"
#define E_NO_ARG_NAME		"Argument name is not specified"
#define E_BAD_ARG_NAME		"Argument name must follow the same rules as C identifiers"
#define E_USED_ARG_NAME		"This argument name is already used"
#define E_ARG_TOO_LONG		"Argument expression is too long"
#define E_NO_ARG_BODY		"No argument expression"
#define E_NOSUP_BTFARG		"BTF is not available or not supported"
#define E_NOFENTRY_ARGS		"$arg* can be used only on function entry or exit"

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline bool is_ident(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static inline bool is_glob(char c) { return c == '*' || c == '?'; }

/* memchr() over [s, e): lib.h has none. */
static inline const char *find(const char *s, const char *e, char c)
{
	for (; s < e; s++)
		if (*s == c)
			return s;
	return NULL;
}

/* [s, e) is exactly w. */
static inline bool word_is(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) == n && !memcmp(s, w, n);
}

static inline void copy_str(char *dst, const char *s, const char *e)
{
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
}

/* Fill p->err with the message and *p->pos with at's column (-1 for NULL); -EINVAL. */
int trace_perr(struct parser *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Linux's base-0 numbers over [s, e): 0, -EINVAL (no digits), -ERANGE. */
int trace_parse_num(const char *s, const char *e, const char **stop,
		    uint64_t *out);
int trace_parse_signed(const char *s, const char *e, const char **stop,
		       int64_t *out);
/* [s, e) is a C identifier (or, with glob, may hold '*' and '?'). */
bool trace_good_name(const char *s, const char *e, bool glob);
/* The word p->word..p->wend as def->args[idx]. */
int trace_parse_arg(struct parser *p, struct trace_event_def *def,
		    unsigned int idx);

#endif
