/*
 * kprobe_events in the kernel: the registry of probe events defined from the
 * console (probes/events.c), their hit handlers and the trace buffer
 * (probes/events_hit.c), and the console commands (probes/events_cmds.c).
 * The portable pieces they build on (parser, fetch-args, filters, trace
 * format, ring buffer) are in include/trace.h.
 *
 * Semantics follow Linux's tracefs: an event is created disabled; enabling
 * it arms its kprobe (or kretprobe); each hit evaluates the fetch-args,
 * applies the filter and appends one entry to the trace buffer. An enabled
 * event cannot be removed. Removing an event that was ever enabled clears
 * the trace buffer (as Linux does), so no entry outlives its definition.
 *
 * The console is the only writer: nothing here may be called from a probe
 * handler or an interrupt.
 */
#ifndef KP_KPROBE_EVENTS_H
#define KP_KPROBE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probes.h"
#include "trace.h"

#define KEVENT_MSG_MAX		TRACE_ERR_MAX
#define KEVENT_LINE_MAX		512	/* one kprobe_events line */
/* The one thread of execution this kernel has, as the trace names it. */
#define KEVENT_COMM		"kp-shell"
#define KEVENT_PID		1

struct kevent {
	struct kretprobe rp;		/* rp.kp alone for an entry (p) event */
	uint32_t id;			/* in trace entries; never reused */
	bool enabled;
	bool was_enabled;		/* its entries may be in the buffer */
	struct trace_filter *filter;	/* NULL: every hit is recorded */
	struct hist_table *hist;	/* a hist trigger (arms the probe), or NULL */
	struct trace_event_def def;	/* last: allocated for def.nargs args */
};

/* ---- the registry (probes/events.c) ---- */

/*
 * One kprobe_events line: "p...", "r..." define events (a glob symbol
 * defines one per matching function), "-:..." removes. 0 with a one-line
 * summary in msg, or -errno with the reason in msg (Linux's error_log
 * wording and the column) and an error_log entry; on error nothing changed.
 */
int kprobe_events_write(const char *line, char *msg, size_t len);

/*
 * Events matching target: "EVENT", "GRP/EVENT" (either part may be a glob,
 * a bare EVENT matches in any group), or "all". fn returns nonzero to stop.
 */
int kevent_for_each(const char *target, int (*fn)(struct kevent *ev, void *arg),
		    void *arg);
unsigned int kevent_count(void);
/* The event whose entries carry this id, or NULL once it was removed. */
struct kevent *kevent_by_id(uint32_t id);

/* Arm or disarm: number of events changed state, or -errno with msg. */
int kevent_enable(const char *target, bool enable, char *msg, size_t len);
/*
 * Compile expr for every event matching target and install it ("0" clears).
 * All or nothing: number of events, or -errno with msg.
 */
int kevent_set_filter(const char *target, const char *expr, char *msg, size_t len);
/*
 * Linux's kprobe_profile columns: hits (handler runs, filtered out or not;
 * returns for a return event), and misses (reentry, no instance).
 */
unsigned long kevent_hits(const struct kevent *ev);
unsigned long kevent_misses(const struct kevent *ev);

/* ---- hist triggers (probes/events_hist.c) ---- */

/* Free an event's hist trigger (the event is going away, disarmed). */
void kevent_hist_free(struct kevent *ev);
/* trace -H: FIELD of EVENT's entries in the buffer as a log2 bar chart. */
int kevent_trace_hist(const char *target, const char *field);

/* ---- Linux's error_log (probes/events_errlog.c) ---- */

/* Keep a refusal: loc "trace_kprobe", the line, the caret's column (-1: none). */
void trace_error_log(const char *loc, const char *cmd, int pos, const char *msg);

/* ---- hit handlers and the trace buffer (probes/events_hit.c) ---- */

int kevent_pre_handler(struct kprobe *kp, struct pt_regs *regs);
/* Return events reading $argN: save them at the entry into ri->data. */
int kevent_entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs);
int kevent_ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs);

/* What a trace buffer entry holds: this header, then the fetch-arg record. */
struct trace_hit {
	uint32_t event_id;
	uint8_t cpu;
	uint8_t flags;			/* TRACE_HIT_* */
	uint8_t depth;			/* exception nesting when recorded */
	uint8_t pad;
	uint64_t ts_ns;			/* uptime */
	uint64_t ip;			/* probe address, or the return site */
	uint64_t func;			/* return events: the probed function */
	uint8_t rec[];
};
#define TRACE_HIT_IRQS_OFF	0x01
#define TRACE_HIT_HARDIRQ	0x02
#define TRACE_HIT_MAX		(sizeof(struct trace_hit) + TRACE_RECORD_MAX)

struct trace_buffer_info {
	size_t size;			/* bytes */
	uint64_t entries;		/* in the buffer now */
	uint64_t written;		/* since the last clear */
	uint64_t overwritten;		/* lost to overwriting since the last clear */
	uint64_t paused_drops;		/* hits not recorded while a reader paused writers */
	uint64_t refused;		/* hits the ring refused: nested in its own update or read */
	bool on;			/* recording (Linux's tracing_on) */
};

void trace_buffer_info(struct trace_buffer_info *info);
void trace_buffer_clear(void);
/* New size in bytes (contents are dropped): 0, -EINVAL or -ENOMEM. */
int trace_buffer_resize(size_t bytes);
void trace_buffer_set_on(bool on);
/* While paused, hits are counted but not recorded (reading `trace`). */
void trace_buffer_pause(bool pause);
void trace_buffer_iter_start(struct trace_ring_iter *it);
/* Copies the next entry into hit (TRACE_HIT_MAX bytes); see trace_ring_next. */
size_t trace_buffer_next(struct trace_ring_iter *it, struct trace_hit *hit,
			 uint64_t *lost);
void trace_buffer_consume(const struct trace_ring_iter *it);

/* ---- reading the trace (probes/events_cmds.c) ---- */

/* One entry as Linux's trace file shows it, without newline. */
int kevent_format_hit(const struct trace_hit *hit, size_t len, char *buf,
		      size_t buflen);

#endif
