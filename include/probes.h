/*
 * kprobes: dynamic breakpoints on any instruction of kernel text, with
 * Linux's API and semantics (register_kprobe, struct kprobe, kretprobes,
 * error codes). See docs/probes.md for the design and the hit path.
 */
#ifndef KP_PROBES_H
#define KP_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptregs.h"

struct kprobe;
struct kprobe_site;

typedef int (*kprobe_pre_handler_t)(struct kprobe *p, struct pt_regs *regs);
typedef void (*kprobe_post_handler_t)(struct kprobe *p, struct pt_regs *regs,
				      unsigned long flags);
/* Return nonzero if it fixed the fault (regs adjusted); 0 lets the engine recover. */
typedef int (*kprobe_fault_handler_t)(struct kprobe *p, struct pt_regs *regs, int trapnr);

/* flags */
#define KPROBE_FLAG_DISABLED	(1u << 0)	/* registered but not firing */
#define KPROBE_FLAG_GONE	(1u << 1)	/* disabled after an unhandled fault */

struct kprobe {
	/* set by the caller: a symbol (+ offset), or an address */
	const char *symbol_name;
	unsigned int offset;
	uint8_t *addr;			/* resolved address after registration */
	kprobe_pre_handler_t pre_handler;
	kprobe_post_handler_t post_handler;
	kprobe_fault_handler_t fault_handler;
	uint32_t flags;
	/*
	 * Linux's field, for module sources that read it: the missed count,
	 * brought up to date when the probe is unregistered (the running
	 * count is per CPU: kprobe_nmissed() sums it at any time).
	 */
	unsigned long nmissed;

	/* engine-private */
	unsigned int count_off;		/* its per-CPU counters (kprobe_nhit() & co.) */
	unsigned long counted[4];	/* those counters, folded in when unregistered */
	struct kprobe_site *site;
	struct kprobe *next;		/* next probe at the same address */
};

/* How the probed instruction is executed after the pre-handlers. */
enum kprobe_mode {
	KPROBE_MODE_STEP,		/* single-stepped out of line (int3 + #DB) */
	KPROBE_MODE_STEP_RIPREL,	/* stepped from a copy with a rewritten disp32 */
	KPROBE_MODE_STEP_FIXUP,		/* stepped, then return address/flags fixed */
	KPROBE_MODE_EMULATE,		/* done in C by the engine: one trap */
	KPROBE_MODE_BOOST,		/* copy + jmp back: one trap, no #DB */
	KPROBE_MODE_OPTIMIZED,		/* jmp rel32 to a detour: no trap */
};

int register_kprobe(struct kprobe *p);
void unregister_kprobe(struct kprobe *p);
/* Batch forms: all or nothing; on failure none stays registered. */
int register_kprobes(struct kprobe **kps, int num);
void unregister_kprobes(struct kprobe **kps, int num);
int enable_kprobe(struct kprobe *p);
int disable_kprobe(struct kprobe *p);

enum kprobe_mode kprobe_mode(const struct kprobe *p);
const char *kprobe_mode_name(enum kprobe_mode m);
/* The probe currently running a handler on this CPU, or NULL. */
struct kprobe *kprobe_running(void);

/*
 * Counters, kept per CPU so that CPUs hitting one probe at once share no
 * written cache line; these sum them (0 for a probe not registered).
 * nhit: handler runs. nmissed: hits whose handlers were skipped (a reentry).
 * They go on counting across unregistration and registration, as Linux's
 * nmissed field does.
 */
unsigned long kprobe_nhit(const struct kprobe *p);
unsigned long kprobe_nmissed(const struct kprobe *p);

/* Walk every registered probe (console, GDB helpers); stop on nonzero. */
int kprobe_for_each(int (*fn)(struct kprobe *p, void *arg), void *arg);

/*
 * Read kernel text as it was before any probe: int3 bytes of armed probes
 * replaced by the original. Returns the bytes read (stops at the end of text).
 */
size_t kprobe_read_orig(uint64_t addr, uint8_t *buf, size_t n);

/* ---- return probes ---- */

struct kretprobe;

struct kretprobe_instance {
	struct kretprobe_pool *pool;
	uint64_t ret_addr;		/* the real return address */
	uint64_t fp;			/* where it sat on the stack */
	struct kretprobe_instance *next;
	uint32_t state;			/* engine-private: free, in use, orphaned */
	char data[];			/* data_size bytes for the handlers */
};

typedef int (*kretprobe_handler_t)(struct kretprobe_instance *ri, struct pt_regs *regs);

struct kretprobe {
	struct kprobe kp;		/* the entry probe: symbol_name/addr go here */
	kretprobe_handler_t handler;	/* at return: regs->ax is the return value */
	kretprobe_handler_t entry_handler; /* at entry; nonzero skips this instance */
	int maxactive;			/* instances; <= 0 means max(10, 2 * ncpus) */
	size_t data_size;
	int nmissed;			/* as kprobe.nmissed: kretprobe_nmissed() at unregister */
	struct kretprobe_pool *pool;	/* engine-private */
};

int register_kretprobe(struct kretprobe *rp);
void unregister_kretprobe(struct kretprobe *rp);
int register_kretprobes(struct kretprobe **rps, int num);
void unregister_kretprobes(struct kretprobe **rps, int num);
/* The kretprobe an instance belongs to; NULL once it was unregistered. */
struct kretprobe *get_kretprobe(struct kretprobe_instance *ri);
/* Returns caught (handler runs), and not caught: no free instance, or nested. */
unsigned long kretprobe_nhit(const struct kretprobe *rp);
unsigned long kretprobe_nmissed(const struct kretprobe *rp);

/*
 * Jump optimization (Linux's debug.kprobes-optimization): a probe with no
 * post_handler is first an int3 probe, then the deferred optimizer replaces
 * the instructions there with a jmp to a detour where it can. It runs by
 * itself after each console command that changed a site (before the next
 * prompt); kprobes_optimize() runs it now, retrying sites refused before,
 * and returns how many it optimized. Turning it off puts every optimized
 * probe back on int3.
 */
int kprobes_optimize(void);
void kprobes_set_optimization(bool on);
bool kprobes_optimization(void);

/* Statistics for the console and benchmarks. */
struct kprobe_stats {
	unsigned long sites, probes, slots_used, table_buckets;
	unsigned long hits;		/* of the probes registered now */
	unsigned long misses, strays_recovered, faults;	/* since boot */
};
void kprobe_get_stats(struct kprobe_stats *st);

/* Is this address off-limits to probes (trap path, probe engine, NOKPROBE)? */
bool kprobe_blacklisted(uint64_t addr);

#endif
