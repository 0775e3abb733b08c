/*
 * Private to the GDB stub: probes/kgdb.c (the port, a stop's conversation
 * with GDB, memory, the ways in, the console command) and probes/kgdb_bp.c
 * (breakpoints, watchpoints, single-steps, resuming). Not for anyone else.
 */
#ifndef KP_KGDB_INTERNAL_H
#define KP_KGDB_INTERNAL_H

#include "kernel.h"
#include "arch.h"
#include "probes.h"
#include "kgdb.h"

/* The whole stub stays out of reach of probes: it runs inside their handlers. */
#define __kgdb	__attribute__((section(".noprobe.text"), noinline))

#define SIGTRAP	5

/* Per-CPU stub state (percpu.kgdb_state). One CPU runs today. */
struct kgdb_cpu {
	bool active;		/* the stub holds this CPU */
	bool step_pending;	/* resumed with a step: report the next stop */
	uint64_t step_from;	/* the address that step started at */
	bool tf_set;		/* we set TF in the interrupted flags */
	bool hop_wanted;	/* arm a hop from our post_handler */
	int hop_slot;		/* debug register armed for the hop, or -1 */
	uint64_t hop_addr;
	bool hop_tf;		/* the hop rides on TF: no debug register was free */
};

static inline struct kgdb_cpu *kcpu(void)
{
	return this_cpu()->kgdb_state;
}

/* The step GDB asked for is over (or abandoned): report no more, drop our TF. */
static inline void kgdb_step_done(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	c->step_pending = false;
	if (c->tf_set) {
		regs->flags &= ~X86_EFLAGS_TF;
		c->tf_set = false;
	}
}

#define DR_ACCESSORS(n) \
	static inline void set_dr##n(uint64_t v) { asm volatile("mov %0, %%dr" #n : : "r"(v)); }
DR_ACCESSORS(0)
DR_ACCESSORS(1)
DR_ACCESSORS(2)
DR_ACCESSORS(3)
DR_ACCESSORS(6)
DR_ACCESSORS(7)

static inline uint64_t get_dr6(void)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

/* ---- kgdb.c: the session ---- */

/* Can the stub stop here: it has a port and does not hold this CPU already? */
bool kgdb_may_stop(void);

/*
 * Report a stop and serve GDB until it continues, steps or detaches
 * (RSP_RESUME_CONT, RSP_RESUME_STEP or RSP_DETACH). can_write: the probe
 * table may change during this stop. wait: with nobody listening, wait for
 * a debugger anyway rather than run on.
 */
enum rsp_action kgdb_session(struct pt_regs *regs, int signal, enum rsp_stop_kind kind,
			     uint64_t watch_addr, bool can_write, bool wait);

/* ---- kgdb_bp.c: breakpoints, watchpoints and resuming ---- */

/* A stop begins (can_write as for kgdb_session): catch up, silence DR0-3. */
void kgdb_bp_stop(bool can_write);
/* Detach, or the debugger is gone: GDB's breakpoints, watchpoints and step go. */
void kgdb_bp_forget(void);
/* Make the probe table match what GDB and the console want (call where safe). */
void kgdb_reconcile(void);

/* rsp_ops.insert_bp / remove_bp: Z0 as kprobes, Z1/Z2/Z4 in debug registers. */
int kgdb_insert_bp(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind);
int kgdb_remove_bp(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind);

/* Leaving a stop that is not in a probe hit (console, trap): step or continue. */
void kgdb_resume_idle(struct pt_regs *regs, enum rsp_action a, bool can_write);
/* Stepping from addr, under another kprobe: step it through a temporary one of ours. */
void kgdb_step_over_site(uint64_t addr);

/* DR0-3 and DR7 from GDB's debug registers and the hop. */
void kgdb_load_debug_regs(void);
/* Which of GDB's debug registers DR6 reports hit: its stop kind and address. */
bool kgdb_hw_hit(uint64_t dr6, enum rsp_stop_kind *kind, uint64_t *addr);

/* `kgdb break` / `kgdb delete`: 0 or a negative errno (-ENOENT: none there). */
int kgdb_console_break(uint64_t addr);
int kgdb_console_delete(uint64_t addr);
void kgdb_console_delete_all(void);
/* `kgdb status`: a line per breakpoint and watchpoint. */
void kgdb_bp_show(void);

#endif
