/*
 * What probes/bench.c shares with bench_smp.c: the loop's target, the row
 * printer, empty handlers and the per-hit cases, so `bench smp` measures
 * exactly what `bench hits` does, with every CPU hitting.
 */
#ifndef KP_PROBES_BENCH_INTERNAL_H
#define KP_PROBES_BENCH_INTERNAL_H

#include "kprobes_internal.h"

#define RUNS	9	/* each figure is the median of RUNS windows */

uint64_t kp_target_add(uint64_t a, uint64_t b);

/* The function the loops call, through a pointer so nothing is folded. */
extern uint64_t (*volatile bench_target)(uint64_t, uint64_t);

void bench_sort(uint64_t *v, int n);
/* A table row and its `bench: NAME=VALUE UNIT` line, NAME after bench_row_prefix. */
void bench_row(const char *name, uint64_t value, const char *unit, const char *what);
extern const char *bench_row_prefix;

int bench_nop_pre(struct kprobe *p, struct pt_regs *regs);
void bench_nop_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags);
int bench_nop_ret(struct kretprobe_instance *ri, struct pt_regs *regs);

/* One probe-hit measurement: a probe at fn+off, with or without a post_handler. */
struct hit_case {
	const char *name, *what;	/* what: with %s for the mode the engine chose */
	uint64_t (*fn)(uint64_t, uint64_t);
	unsigned int off;
	bool post;
};

extern const struct hit_case bench_hit_cases[];
extern const size_t bench_nr_hit_cases;

void bench_register(void);
void bench_attach_all(void);
/* bench_smp.c: the per-hit rows with every CPU hitting, then registration and attach-all */
void bench_smp(uint64_t base);

#endif
