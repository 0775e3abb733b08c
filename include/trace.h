/*
 * kprobe_events: the portable core behind the console's probe-event commands.
 *
 *   trace_event_parse()   one Linux kprobe_events line -> struct trace_event_def
 *   trace_event_resolve() symbol names -> addresses, through the caller's lookup
 *   trace_event_print()   def -> the line Linux shows when kprobe_events is read
 *   fetch_args()          on a hit: evaluate every fetch-arg into a record
 *   trace_filter_*()      compile / evaluate a Linux event filter on a record
 *   fetch_format()        record -> " name=value ..." as Linux prints it
 *   trace_format_line()   one trace line, columns as in Linux's trace file
 *
 * Nothing here allocates or touches global state: every function works on
 * structures the caller owns, and a failed parse leaves its output unusable
 * but changes nothing else. Errors come back as -EINVAL (or -ENOENT for an
 * unknown symbol) plus one line of text for the console's "error: " prefix.
 *
 * Limits, as Linux's unless said: 128 fetch-args per event, arrays of at
 *   most 64 elements, group and event names of at most 63 characters,
 *   argument names of at most 32, 63 characters per fetch-arg expression,
 *   15 fetch operations per argument (so 13 or 14 nested dereferences, as
 *   Linux counts them); ours: strings fetched up to 63 bytes, a record of
 *   at most 4096 bytes per hit, a filter of at most 64 nodes and 255
 *   characters.
 *
 * Semantics, where Linux leaves a choice or we differ:
 *   - An argument without ":TYPE" is x64 (Linux on x86-64); $comm is string.
 *   - $argN on an entry probe (SYM or SYM+0, not a MEMADDR) or on a return
 *     probe, where it is captured at the entry, as Linux 6.x; $retval only
 *     on return probes.
 *   - $comm prints fetch_ctx.comm, whatever name the caller gives the
 *     running context.
 *   - A failed read prints "(fault)" for every type (Linux: strings only).
 *   - Refused with a reason, having no meaning here: user-space derefs
 *     (+u0(...)), ustring, %pd/%pD (no files), $arg* and bare BTF names
 *     (no BTF), file offsets (@+OFFS, as Linux on kprobes).
 *   - Symbols may be globs ("e1000_*"): the caller expands them with
 *     trace_event_expand(), one event per matching symbol.
 *
 * Errors carry Linux's error_log wording ("Invalid maxactive number") and
 * def->err_pos, the column Linux's caret points at, counted in the line as
 * given (Linux counts in the line with blanks squeezed: give it that way).
 *
 * fetch_args(), trace_filter_match() and what they call run inside the
 * int3 handler: the probe engine must refuse probes on them.
 */
#ifndef KP_TRACE_H
#define KP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_regs;

#define TRACE_MAX_ARGS		128
#define TRACE_NAME_MAX		64	/* event, group, symbol buffers (63 + NUL) */
#define TRACE_ARG_NAME_MAX	33	/* argument name buffer (32 + NUL) */
#define TRACE_ARG_TEXT_MAX	64	/* fetch-arg text as typed (63 + NUL) */
#define TRACE_MAX_DEREF		16	/* memory reads, @'s own included */
#define TRACE_MAX_OPS		15	/* Linux's fetch program, less its END */
#define TRACE_MAX_ARRAY		64	/* elements in TYPE[N] */
#define TRACE_STRING_MAX	64	/* bytes kept of a :string, NUL included */
#define TRACE_MAX_STACK_NTH	2048	/* $stackN / $argN bound, as Linux x86-64 */
#define TRACE_MAX_ACTIVE	4096	/* r[MAXACTIVE] bound, as Linux */
#define TRACE_RECORD_MAX	4096	/* bytes one hit may need for its args */
#define TRACE_ERR_MAX		160	/* a comfortable size for error buffers */
#define TRACE_DEFAULT_GROUP	"kprobes"

/* Fetch-arg types. With no ":TYPE" an argument is x64, as Linux on x86-64. */
enum trace_type {
	TRACE_TYPE_U8, TRACE_TYPE_U16, TRACE_TYPE_U32, TRACE_TYPE_U64,
	TRACE_TYPE_S8, TRACE_TYPE_S16, TRACE_TYPE_S32, TRACE_TYPE_S64,
	TRACE_TYPE_X8, TRACE_TYPE_X16, TRACE_TYPE_X32, TRACE_TYPE_X64,
	TRACE_TYPE_STRING,
	TRACE_TYPE_SYMBOL,
	TRACE_TYPE_CHAR,	/* one byte, printed 'c' */
	TRACE_TYPE_SYMSTR,	/* a value printed as "sym+0xoff/0xsize" */
};

/* Where a fetch-arg's first value comes from (before any dereference). */
enum fetch_kind {
	FETCH_REG,	/* %REG: param = byte offset in pt_regs, width 8 or 4 */
	FETCH_STACK,	/* $stackN: u64 at sp + 8 * param */
	FETCH_STACKP,	/* $stack: sp itself */
	FETCH_ARG,	/* $argN: param = N, System V order then the stack */
	FETCH_RETVAL,	/* $retval: return probes only */
	FETCH_COMM,	/* $comm: the task name, always a string */
	FETCH_IMM,	/* \IMM or @ADDR: imm */
	FETCH_SYM,	/* @SYM[+|-offs]: imm = address once resolved */
	FETCH_IMMSTR,	/* \"text": the text at text[sym_pos], sym_len bytes */
};

struct fetch_arg {
	char name[TRACE_ARG_NAME_MAX];	/* "argN" when not given */
	char text[TRACE_ARG_TEXT_MAX];	/* as typed after NAME=, for listing */
	uint8_t kind;			/* enum fetch_kind */
	uint8_t type;			/* enum trace_type */
	uint8_t width;			/* FETCH_REG: 8, or 4 for %eax-style */
	uint8_t nderef;			/* dereferences, deref[0] innermost */
	uint16_t count;			/* TYPE[N]: N; 0 for a scalar */
	uint16_t param;			/* see enum fetch_kind */
	uint8_t bf_width, bf_shift;	/* bitfield bBITS@SHIFT/SIZE; width 0: none */
	uint8_t sym_pos, sym_len;	/* FETCH_SYM: the name inside text */
	bool resolved;			/* FETCH_SYM: imm is valid */
	uint16_t rec_off;		/* this arg's slot in a record */
	uint64_t imm;
	int64_t sym_off;		/* FETCH_SYM: +|-offs */
	int64_t deref[TRACE_MAX_DEREF];
};

enum trace_cmd {
	TRACE_CMD_PROBE,	/* p / r: define an event */
	TRACE_CMD_REMOVE,	/* -:[GRP/]EVENT: group "" means any group */
};

/*
 * One parsed definition (~3.3 KiB: keep it static or kmalloc'd rather than
 * on the stack). For TRACE_CMD_REMOVE only group, event and remove_glob mean
 * anything; the caller matches names with glob_match() when remove_glob.
 */
struct trace_event_def {
	uint8_t cmd;			/* enum trace_cmd */
	bool is_return;			/* r, or p ... SYM%return */
	bool has_symbol;		/* SYM[+offs]; false: MEMADDR */
	bool symbol_glob;		/* SYM has '*' or '?': caller expands */
	bool name_auto;			/* event name was generated */
	bool remove_glob;		/* TRACE_CMD_REMOVE: names hold '*' / '?' */
	bool resolved;			/* addr and every @SYM are valid */
	uint16_t maxactive;		/* r[MAXACTIVE]; 0 = default */
	uint32_t offset;		/* SYM+offs */
	uint64_t addr;			/* MEMADDR, or SYM+offs once resolved */
	uint16_t rec_size;		/* bytes fetch_args() needs per hit */
	int16_t err_pos;		/* on a parse error: Linux's column, or -1 */
	bool entry_args;		/* a return probe reading $argN at entry */
	uint16_t point_pos;		/* column of the probe point (resolve errors) */
	char group[TRACE_NAME_MAX];
	char event[TRACE_NAME_MAX];	/* "" while a glob awaits expansion */
	char symbol[TRACE_NAME_MAX];	/* "[MOD:]SYM" as typed */
	unsigned int nargs;
	struct fetch_arg args[TRACE_MAX_ARGS];
};

/*
 * A record (what fetch_args() fills) gives each argument a fixed slot at
 * args[i].rec_off, so the filter can find a field without walking: an
 * 8-byte header (byte 0 nonzero = the fetch faulted), then a u64 for a
 * scalar, count u64s for an array, TRACE_STRING_MAX bytes for a string, or
 * count (header + TRACE_STRING_MAX) elements for a string array.
 */
#define TRACE_SLOT_HDR		8

static inline size_t trace_slot_size(const struct fetch_arg *a)
{
	size_t n = a->count ? a->count : 1;

	if (a->type == TRACE_TYPE_STRING)
		return a->count ? TRACE_SLOT_HDR + n * (TRACE_SLOT_HDR + TRACE_STRING_MAX)
				: TRACE_SLOT_HDR + TRACE_STRING_MAX;
	return TRACE_SLOT_HDR + n * 8;
}

/* Symbol lookups the caller provides (kallsyms in the kernel). */
typedef int (*trace_lookup_fn)(const char *name, uint64_t *addr);
/* addr -> name and offset/size within it; 0 when found, else -ENOENT. */
typedef int (*trace_sym_fn)(uint64_t addr, char *name, size_t len,
			    uint64_t *offset, uint64_t *size);

/* --- probes/event_parse.c --- */

/*
 * Parse one kprobe_events line (leading/trailing blanks and a "#" comment
 * are ignored). 0, or -EINVAL with err holding e.g.
 * "bad fetch-arg at 'rdi)': missing '('".
 */
int trace_event_parse(const char *line, struct trace_event_def *def,
		      char *err, size_t errlen);

/*
 * Look up the probe symbol (unless it is a glob) and every @SYM fetch-arg.
 * 0, or -ENOENT with err naming the symbol. Lookup errors leave def
 * partially resolved; def->resolved says whether all of it is.
 */
int trace_event_resolve(struct trace_event_def *def, trace_lookup_fn lookup,
			char *err, size_t errlen);

/*
 * Make out a copy of a glob definition for one real symbol; a generated
 * event name is regenerated for that symbol. 0 or -EINVAL (name too long).
 */
int trace_event_expand(const struct trace_event_def *pattern,
		       const char *symbol, struct trace_event_def *out,
		       char *err, size_t errlen);

/*
 * Linux's generated event name: "p_SYM_OFFS" / "r_SYM_OFFS" with ':' and
 * '.' turned into '_', or "p_0x<16 hex digits>" for an address (symbol
 * NULL). Truncated to 63 characters as Linux does. Returns buf.
 */
char *trace_event_default_name(char *buf, size_t len, bool is_return,
			       const char *symbol, uint32_t offset,
			       uint64_t addr);

/*
 * The kprobe_events listing line, without newline, as Linux shows it:
 * "p:kprobes/myprobe do_work+4 dfd=%di:x64". Returns the length the full
 * line needs (snprintf-style); buf is always NUL-terminated.
 */
int trace_event_print(const struct trace_event_def *def, char *buf,
		      size_t len);

/* "u8" ... "symbol". */
const char *trace_type_name(enum trace_type type);

/* --- probes/fetch.c --- */

/* What a hit gives the fetch code. */
struct fetch_ctx {
	const struct pt_regs *regs;
	uint64_t retval;		/* $retval, when is_return */
	bool is_return;
	const char *comm;		/* $comm; NULL reads as "" */
	/* Return probes: fetch_entry_args() output, one u64 per fetch-arg. */
	const uint64_t *entry;
	/* Fault-safe read: 0, or -EFAULT having read nothing useful. */
	int (*read_mem)(void *dst, uint64_t addr, size_t n);
};

/*
 * Evaluate every fetch-arg of def into rec (def->rec_size bytes). A failed
 * memory read marks only that argument as faulted. 0, or -ENOSPC if reclen
 * is too small, -EINVAL if def is not a resolved probe definition.
 */
int fetch_args(const struct trace_event_def *def, const struct fetch_ctx *ctx,
	       void *rec, size_t reclen);

/*
 * At a return probe's entry: save what each $argN fetch-arg reads into
 * out[i] (def->nargs u64s), for fetch_args() at the return (ctx->entry).
 */
void fetch_entry_args(const struct trace_event_def *def,
		      const struct fetch_ctx *ctx, uint64_t *out);

/*
 * Print a record as Linux does: " name=value" per argument, 0x%x for xN,
 * decimal for uN/sN, "str" for strings, sym+0xoff/0xsize for symbols,
 * {a,b} for arrays, (fault) for a failed read. snprintf-style return.
 */
int fetch_format(const struct trace_event_def *def, const void *rec,
		 trace_sym_fn addr_to_sym, char *buf, size_t len);

/*
 * One argument's value for the filter: a scalar, sign- or zero-extended by
 * its type (0 or -EFAULT), or a string (NULL if faulted). Arrays: -EINVAL.
 */
int fetch_get_value(const struct trace_event_def *def, const void *rec,
		    unsigned int idx, uint64_t *val);
const char *fetch_get_string(const struct trace_event_def *def,
			     const void *rec, unsigned int idx);

/* --- probes/filter.c --- */

#define TRACE_FILTER_MAX_NODES	64
#define TRACE_FILTER_TEXT_MAX	256
#define TRACE_FILTER_MAX_DEPTH	16	/* nested '(' and '!' */

struct filter_node {
	uint8_t op;		/* private to filter.c */
	uint8_t arg;		/* fetch-arg index */
	uint16_t str;		/* offset of a string constant in strings[] */
	uint64_t val;
};

/* A compiled filter, postfix. nnodes == 0 means "no filter": all pass. */
struct trace_filter {
	unsigned int nnodes;
	struct filter_node nodes[TRACE_FILTER_MAX_NODES];
	char strings[TRACE_FILTER_TEXT_MAX];
	char text[TRACE_FILTER_TEXT_MAX];	/* as given, for display */
};

/*
 * Compile expr against def's argument names. "0" clears (nnodes = 0).
 * 0, or -EINVAL with err like "bad filter at '> 3': ...". On error *f is
 * left as it was, so a live filter is never half replaced.
 */
int trace_filter_compile(struct trace_filter *f, const char *expr,
			 const struct trace_event_def *def,
			 char *err, size_t errlen);

/* true when the record passes (an argument that faulted fails its test). */
bool trace_filter_match(const struct trace_filter *f,
			const struct trace_event_def *def, const void *rec);

/* --- probes/hist.c, probes/hist_print.c: hist triggers --- */

/*
 * A hist trigger counts hits in tables of parts: each CPU updates a part of
 * its own (plain stores, no lock, no atomics: a part has one writer), and
 * the console merges parts into one it alone writes and prints. Keys are
 * numbers (8 bytes) or strings (HIST_STRING_MAX bytes, zero-padded), laid
 * out one after another in each entry.
 */
#define HIST_MAX_KEYS		3	/* as Linux */
#define HIST_MAX_VALS		4
#define HIST_MAX_SORT		2	/* as Linux */
#define HIST_MIN_SIZE		128	/* entries; Linux's 2^7 to 2^17, ours to 2^14 */
#define HIST_DEFAULT_SIZE	2048
#define HIST_MAX_SIZE		16384
#define HIST_STRING_MAX		TRACE_STRING_MAX	/* a string key, NUL included */
#define HIST_FIELD_HITCOUNT	0xff	/* hist_field.arg: not a fetch-arg */
#define HIST_FIELD_TIMESTAMP	0xfe	/* common_timestamp, ns (.usecs: us) */
#define HIST_FIELD_CPU		0xfd	/* common_cpu (or cpu): the CPU that hit */
#define HIST_FIELD_PID		0xfc	/* common_pid: the task (one, here) */

enum hist_mod {
	HIST_MOD_NONE, HIST_MOD_HEX, HIST_MOD_SYM, HIST_MOD_SYM_OFFSET,
	HIST_MOD_LOG2, HIST_MOD_BUCKETS, HIST_MOD_USECS, HIST_MOD_EXECNAME,
};

enum hist_cmd { HIST_CMD_NONE, HIST_CMD_PAUSE, HIST_CMD_CONT, HIST_CMD_CLEAR };

struct hist_field {
	uint8_t arg;		/* fetch-arg index, or HIST_FIELD_* */
	uint8_t mod;		/* enum hist_mod */
	bool is_string;		/* a key holding a :string fetch-arg */
	uint16_t offset;	/* keys: where in the key bytes */
	uint64_t buckets;	/* .buckets=N */
};

struct hist_sort {
	bool is_key;		/* idx: a key, else 0 = hitcount, 1.. = vals[idx - 1] */
	bool descending;
	uint8_t idx;
};

struct hist_spec {
	unsigned int nkeys, nvals, nsort;
	struct hist_field keys[HIST_MAX_KEYS], vals[HIST_MAX_VALS];
	struct hist_sort sort[HIST_MAX_SORT];
	unsigned int size;	/* entries, a power of two */
	unsigned int key_size;	/* bytes of key in an entry, a multiple of 8 */
	unsigned int stride;	/* bytes per entry */
	uint8_t cmd;		/* enum hist_cmd: pause/cont/clear given */
	bool paused;
	char keys_text[96];	/* "keys=" as given: which trigger a command is for */
	struct trace_filter filter;	/* "if ...": nnodes 0 = none */
};

/* One entry: counters, then spec->key_size bytes of key. */
struct hist_entry {
	uint64_t used;
	uint64_t hitcount;
	uint64_t sum[HIST_MAX_VALS];
	uint8_t key[];
};

/* One part: open-addressed over twice the entry limit, so a probe always ends. */
struct hist_part {
	uint8_t *slots;		/* nslots * spec->stride bytes, caller's memory */
	unsigned int nslots, entries;
	uint64_t hits, drops;
};

/* What a hit knows besides its record. */
struct hist_ctx {
	uint64_t ts_ns;
	unsigned int cpu;
	unsigned int pid;
};

/*
 * What Linux's tracing/error_log says of a refused trigger, beside the
 * console's line: Linux's message and the text its caret goes under (the
 * first place that text occurs in the command, as Linux's err_pos finds it).
 */
#define HIST_ERR_TOKEN_MAX	64
struct hist_linux_err {
	const char *text;		/* Linux's message, or NULL: Linux logs nothing */
	char token[HIST_ERR_TOKEN_MAX];	/* "" puts the caret at column 0 */
};

/*
 * "hist:keys=...[:vals=...][:sort=...][:size=N][:pause|:cont|:clear] [if FILTER]".
 * On error, err holds the console's line and le (if not NULL) what Linux logs.
 */
int hist_parse(const char *text, const struct trace_event_def *def,
	       struct hist_spec *hs, char *err, size_t errlen, struct hist_linux_err *le);
/*
 * Linux's command line for error_log ("hist:" and what followed it, blanks
 * before it skipped) from a trigger's text ("hist:..." without a '!'), into
 * cmd; and the caret's column in it for le. Column 0 when not found.
 */
void hist_error_command(const char *text, char *cmd, size_t len);
int hist_error_column(const char *cmd, const struct hist_linux_err *le);
/* Bytes of slots one part needs. */
size_t hist_part_bytes(const struct hist_spec *hs);
void hist_part_init(struct hist_part *p, const struct hist_spec *hs, void *slots);
void hist_part_clear(struct hist_part *p, const struct hist_spec *hs);
/* At a hit, after fetch_args(): count rec under its keys in p (no allocation). */
void hist_update(const struct hist_spec *hs, struct hist_part *p,
		 const struct trace_event_def *def, const void *rec,
		 const struct hist_ctx *ctx);
/* Add what from counted into into; keys that find into full are dropped, counted. */
void hist_merge(const struct hist_spec *hs, struct hist_part *into,
		const struct hist_part *from);

/* "hist:keys=a.hex:vals=hitcount,b:sort=hitcount:size=2048 if ..." as Linux lists it. */
int hist_trigger_text(const struct hist_spec *hs, const struct trace_event_def *def,
		      char *buf, size_t len);
/*
 * The hist file, line by line through emit (each line without newline):
 * header, one "{ key: value } hitcount: N" line per entry of p in sort
 * order, Totals. order is scratch space for p->entries pointers; comm
 * names the task for common_pid.execname.
 */
void hist_print(const struct hist_spec *hs, const struct hist_part *p,
		const struct trace_event_def *def, trace_sym_fn addr_to_sym,
		const char *comm, const struct hist_entry **order,
		void (*emit)(const char *line, void *arg), void *arg);
/*
 * A log2 histogram as bpftrace's hist() draws it: neg values below 0 in
 * "(..., 0)", counts[i] values in [2^(i-1), 2^i) (counts[0]: the value 0),
 * bars 52 wide.
 */
void hist_bars(uint64_t neg, const uint64_t counts[65],
	       void (*emit)(const char *line, void *arg), void *arg);

/* --- probes/trace_fmt.c --- */

struct trace_line {
	const char *comm;	/* task name, cut to 15 characters as Linux */
	int pid;
	unsigned int cpu;
	const char *flags;	/* latency flags, e.g. "d..1." */
	uint64_t ts_ns;		/* printed as seconds.microseconds */
	const char *event;	/* event name */
	const char *ip;		/* "do_work+0x4/0x40", or the return site */
	const char *func;	/* return probes: the function ("do_work") */
	const char *args;	/* fetch_format() output, may be NULL */
	const char *text;	/* a line of text instead of (ip) args: "event: text" */
};

/* One line of the trace file, no newline. snprintf-style return. */
int trace_format_line(const struct trace_line *tl, char *buf, size_t len);

/* The trace file header (several lines, each ending in '\n'). */
int trace_format_header(char *buf, size_t len, unsigned long entries,
			unsigned long written, unsigned int ncpus);

/*
 * An address as the trace shows it: "sym+0x4/0x40" (with_offset) or "sym";
 * "0" for address 0; the bare hex address when no symbol covers it.
 */
int trace_format_ip(uint64_t addr, bool with_offset, trace_sym_fn addr_to_sym,
		    char *buf, size_t len);

/* --- probes/trace_buffer.c: one CPU's trace ring --- */

/*
 * A byte ring of variable-length entries (16-byte header + payload, each a
 * multiple of 16 bytes), over memory the caller owns, written by one CPU
 * and read by any. When a write does not fit, the oldest entries are
 * overwritten. Every entry carries a sequence number, so a reader that fell
 * behind knows exactly how many it missed. The writer takes no lock and
 * never waits: a write nested inside another on the same CPU (a probe hit
 * in the ring's own code) is refused and counted. A reader copies an entry
 * and then checks that the writer did not reach it meanwhile; if it did,
 * the entry counts as lost. Readers (next, consume, clear, stats) may run
 * on any CPU while the writer writes, but not concurrently with each
 * other: the caller serialises them.
 */
#define TRACE_RING_ALIGN	16
#define TRACE_RING_MIN		(16 * 1024)	/* smallest buffer: 2 of the largest entries */

struct trace_ring {
	uint8_t *buf;
	size_t size;		/* bytes, a multiple of TRACE_RING_ALIGN */
	/* the writer's: stored by the owning CPU only */
	uint64_t wseq;		/* odd while an update is in progress */
	uint64_t head, tail;	/* byte positions, only ever growing */
	uint64_t next_seq;	/* sequence number of the next entry */
	uint64_t tail_seq;	/* sequence number of the oldest entry kept */
	uint64_t refused;	/* writes refused: nested inside this CPU's own write */
	/* the readers': stored by readers only, on a line of their own */
	uint64_t read_pos __attribute__((aligned(64)));	/* consumed up to here */
	uint64_t read_seq;	/* sequence number of the first entry not consumed */
	uint64_t lost;		/* overwritten before consumed, since the last clear */
	uint64_t consumed;	/* entries consumed since the last clear */
	uint64_t base_seq;	/* next_seq at the last clear */
	uint64_t base_refused;	/* refused at the last clear */
} __attribute__((aligned(64)));

struct trace_ring_iter {
	uint64_t pos;		/* byte position of the next entry */
	uint64_t seq;		/* sequence number expected next */
	uint64_t lost;		/* reported lost since the start (or last consume) */
	uint64_t read;		/* entries returned since then */
};

/* Linux's per_cpu/cpuN/stats, for one ring, all since the last clear. */
struct trace_ring_stats {
	uint64_t entries;	/* in the buffer, not consumed */
	uint64_t written;
	uint64_t overrun;	/* overwritten before they were consumed */
	uint64_t refused;	/* writes refused (Linux's dropped events) */
	uint64_t consumed;	/* read and consumed (Linux's read events) */
	uint64_t bytes;		/* held by the entries not consumed, pads included */
};

/* mem must stay valid; size is rounded down to TRACE_RING_ALIGN. NULL: writes refused. */
void trace_ring_init(struct trace_ring *r, void *mem, size_t size);
/* Empty it for readers: everything written so far counts as gone. */
void trace_ring_clear(struct trace_ring *r);
/* Largest payload one entry may carry in this ring. */
size_t trace_ring_max_payload(const struct trace_ring *r);
/* The owning CPU: append one entry (overwriting the oldest as needed): 0, -E2BIG, or -EBUSY (refused, counted). */
int trace_ring_write(struct trace_ring *r, const void *data, size_t len);
void trace_ring_stats(const struct trace_ring *r, struct trace_ring_stats *st);
/* Entries in the buffer, not consumed. */
uint64_t trace_ring_entries(const struct trace_ring *r);
/* Start at the oldest unconsumed entry. */
void trace_ring_iter_start(const struct trace_ring *r, struct trace_ring_iter *it);
/*
 * Copy the next entry's payload (at most len bytes) to dst. Returns the
 * payload length, or 0 when the reader has caught up. *lost gets how many
 * entries were overwritten between the previous one read and this one.
 */
size_t trace_ring_next(const struct trace_ring *r, struct trace_ring_iter *it,
		       void *dst, size_t len, uint64_t *lost);
/* Forget everything the iterator has read (trace_pipe semantics). */
void trace_ring_consume(struct trace_ring *r, struct trace_ring_iter *it);

#endif
