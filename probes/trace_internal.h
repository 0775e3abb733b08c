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
	const char *what;	/* "fetch-arg", "event name", ...; NULL: bare */
	const char *word;	/* the blank-separated word being parsed */
	const char *wend;
};

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

/* Fill p->err ("bad <what> at '<text>': <why>"); returns -EINVAL. */
int trace_perr(struct parser *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Linux's base-0 numbers over [s, e): 0, -EINVAL (no digits), -ERANGE. */
int trace_parse_num(const char *s, const char *e, const char **stop,
		    uint64_t *out);
int trace_parse_signed(const char *s, const char *e, const char **stop,
		       int64_t *out);
/* Check [s, e) is a C identifier that fits dst (globs allowed if glob), then copy it there. */
int trace_take_name(struct parser *p, const char *s, const char *e, char *dst,
		    size_t size, bool glob);
/* The word p->word..p->wend as def->args[idx]. */
int trace_parse_arg(struct parser *p, struct trace_event_def *def,
		    unsigned int idx);

#endif
