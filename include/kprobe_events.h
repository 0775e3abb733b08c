/*
 * kprobe_events in the kernel: the registry of probe events defined from the
 * console (probes/events.c; what a line does in events_define.c and
 * events_remove.c), each with one or more probe points, their hit handlers
 * and the trace buffer (probes/events_hit.c), and the console commands
 * (probes/events_cmds.c).
 * The portable pieces they build on (parser, fetch-args, filters, trace
 * format, ring buffer) are in include/trace.h.
 *
 * Semantics follow Linux's tracefs: an event is created disabled; enabling
 * it arms the kprobe (or kretprobe) of every point; each hit evaluates the
 * point's fetch-args, applies the event's filter and appends one entry to
 * the trace buffer. An enabled event's last point cannot be removed.
 * Removing an event that was ever enabled clears the trace buffer (as Linux
 * does), so no entry outlives its definition.
 *
 * The console is the only writer: nothing here but the hit handlers and
 * kevent_hist_hit() may be called from a probe handler or an interrupt.
 */
#ifndef KP_KPROBE_EVENTS_H
#define KP_KPROBE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probes.h"
#include "trace.h"
#include "arch.h"

#define KEVENT_MSG_MAX		TRACE_ERR_MAX
#define KEVENT_LINE_MAX		512	/* one kprobe_events line */
/* The one thread of execution this kernel has, as the trace names it. */
#define KEVENT_COMM		"kp-shell"
#define KEVENT_PID		1

struct kevent;
struct kevent_hist;

/*
 * One probe point of an event, as Linux 6.x allows several ("p:ev sym1 a=%di"
 * then "p:ev sym2 a=%si"): its own kprobe (or kretprobe) and fetch program.
 * Every point of an event records the same fields (names, types, layout),
 * so one filter, one hist trigger and one format serve them all.
 */
struct kevent_probe {
	struct kretprobe rp;		/* rp.kp alone for an entry (p) event */
	struct kevent *ev;		/* set before the probe is registered */
	struct kevent_probe *next;	/* the event's next point, in definition order */
	uint64_t seq;			/* definition order across all events */
	/*
	 * MOD:SYM whose module is not loaded: no kprobe is registered (rp is
	 * idle) and def.addr means nothing; MOD's load registers it, its
	 * removal makes it pending again (probes/events_pending.c).
	 */
	bool pending;
	struct trace_event_def def;	/* last: this point's place and fetch-args */
};

struct kevent {
	uint32_t id;			/* in trace entries; never reused */
	bool enabled;
	bool was_enabled;		/* its entries may be in the buffer */
	unsigned int nprobes;		/* at least 1 */
	struct kevent_probe *probes;	/* in definition order (the listing's) */
	struct trace_filter *filter;	/* NULL: every hit is recorded */
	struct kevent_hist *hist;	/* a hist trigger (arms the probes), or NULL */
	/*
	 * last, allocated for def.nargs args: the event's fields, as its first
	 * point defined them; its place (symbol, address) is that point's and
	 * means nothing for the event: each point has its own.
	 */
	struct trace_event_def def;
};

/* ---- the registry (probes/events.c) ---- */

/*
 * One kprobe_events line: "p...", "r..." define events (a glob symbol
 * defines one per matching function) or add a probe point to the event
 * they name, "-:[GRP/]EVENT [POINT [ARGS]]" removes events or points. 0 with a one-line
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
/*
 * Probe points of the events matching target, in the order they were
 * defined (Linux's kprobe_events and kprobe_profile order); fn may not
 * remove anything. 0, fn's nonzero return, or -ENOMEM.
 */
int kevent_for_each_probe(const char *target,
			  int (*fn)(struct kevent_probe *p, void *arg), void *arg);
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
 * Linux's kprobe_profile columns, one line per point: hits (handler runs,
 * filtered out or not; returns for a return probe), and misses (reentry; a
 * return probe also counts calls it had no instance for). Per-CPU sums.
 */
unsigned long kevent_probe_hits(const struct kevent_probe *p);
unsigned long kevent_probe_misses(const struct kevent_probe *p);
/* The same, summed over every point of an event. */
unsigned long kevent_hits(const struct kevent *ev);
unsigned long kevent_misses(const struct kevent *ev);
/* Arm (or disarm) every point of ev: 0 or -errno, all or nothing. */
int kevent_arm(struct kevent *ev);
void kevent_disarm(struct kevent *ev);

/* ---- hist triggers (probes/events_hist.c) ---- */

/* Free an event's hist trigger (the event is going away, disarmed). */
void kevent_hist_free(struct kevent *ev);
/*
 * A hit, after fetch_args(): count it in this CPU's part of the table.
 * Interrupts off; takes no lock and writes nothing another CPU writes.
 */
void kevent_hist_hit(struct kevent_hist *h, const struct trace_event_def *def,
		     const void *rec, uint64_t ts_ns);
/* trace -H: FIELD of EVENT's entries in the buffer as a log2 bar chart. */
int kevent_trace_hist(const char *target, const char *field);

/* ---- Linux's error_log (probes/events_errlog.c) ---- */

#define TRACE_ERRLOG_LOC_MAX	144	/* "hist:" GROUP ":" EVENT, names of 64 */
/*
 * Keep a refusal: loc "trace_kprobe" (or "hist:GROUP:EVENT"), the line, the
 * caret's column (-1: none).
 */
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

/* event_id of a line of text (trace_write_text): rec holds tag, then text. */
#define TRACE_HIT_TEXT		0
#define TRACE_TEXT_TAG_MAX	32
#define TRACE_TEXT_MAX		512	/* longer text is cut */

/*
 * Write one entry into this CPU's ring, from any context (a probe handler,
 * an interrupt, a BPF helper): no lock, no waiting; 0, -E2BIG, or -EBUSY if
 * it was nested inside this CPU's own write (refused and counted).
 */
int trace_write_hit(const struct trace_hit *hit, size_t len);
/*
 * A line of text, shown as "TAG: TEXT" in the trace (Linux's
 * "bpf_trace_printk: ..."); text is cut to fit one entry. Any context, as
 * trace_write_hit; obeys tracing on/off and a reader's pause.
 */
int trace_write_text(const char *tag, const char *text);

/* All CPUs summed (size is per CPU, as Linux's buffer_size_kb). */
struct trace_buffer_info {
	size_t size;			/* bytes per CPU */
	uint64_t entries;		/* in the buffer now */
	uint64_t written;		/* since the last clear */
	uint64_t overwritten;		/* lost to overwriting since the last clear */
	uint64_t paused_drops;		/* hits not recorded while a reader paused writers */
	uint64_t refused;		/* hits the ring refused: nested in its own CPU's write */
	bool on;			/* recording (Linux's tracing_on) */
};

/* Reading all CPUs' rings merged by time stamp. */
struct trace_buffer_iter {
	unsigned int ncpus;
	struct trace_ring_iter cpu[MAX_CPUS];
	uint64_t ts[MAX_CPUS];		/* of each CPU's next entry, when peeked */
	bool peeked[MAX_CPUS];
};

/*
 * Readers (the console, tests) take a lock among themselves that writers
 * never take; they may run on any CPU while every CPU writes.
 */
void trace_buffer_info(struct trace_buffer_info *info);
/* One CPU's ring (cpu < num_cpus()), as Linux's per_cpu/cpuN/stats. */
void trace_buffer_cpu_stats(unsigned int cpu, struct trace_ring_stats *st);
void trace_buffer_clear(void);
/* New size per CPU in bytes (contents are dropped): 0, -EINVAL, -ENOMEM or -EBUSY. */
int trace_buffer_resize(size_t bytes);
void trace_buffer_set_on(bool on);
/* While paused, hits are counted but not recorded (reading `trace`). */
void trace_buffer_pause(bool pause);
void trace_buffer_iter_start(struct trace_buffer_iter *it);
/*
 * Copies the oldest entry of any CPU into hit (TRACE_HIT_MAX bytes); *lost
 * is what that entry's CPU lost before it (hit->cpu says which). 0: none.
 */
size_t trace_buffer_next(struct trace_buffer_iter *it, struct trace_hit *hit,
			 uint64_t *lost);
/* Consume everything the iterator returned (trace_pipe). */
void trace_buffer_consume(struct trace_buffer_iter *it);

/* ---- reading the trace (probes/events_cmds.c) ---- */

/* One entry as Linux's trace file shows it, without newline. */
int kevent_format_hit(const struct trace_hit *hit, size_t len, char *buf,
		      size_t buflen);

#endif
