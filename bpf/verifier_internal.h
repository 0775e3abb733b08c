/*
 * The verifier's private types, shared by bpf/verifier*.c only.
 *
 * A state is what the verifier knows at one instruction of one path: every
 * register of every live call frame and every byte of their stacks. The walk
 * (verifier.c) steps one state through the program, pushes a copy at each
 * branch it cannot decide, and at pruning points compares the state with the
 * ones kept there before (verifier_state.c).
 */
#ifndef KP_BPF_VERIFIER_INTERNAL_H
#define KP_BPF_VERIFIER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf.h"
#include "bpf_isa.h"
#include "bpf_verifier.h"

/* ---- known bits (verifier_tnum.c) ---- */

/* Bits set in mask are unknown; the others are those of value. */
struct tnum {
	uint64_t value, mask;
};

#define TNUM(v, m)	((struct tnum){ .value = (v), .mask = (m) })

static inline struct tnum tnum_const(uint64_t v) { return TNUM(v, 0); }
static inline struct tnum tnum_unknown(void) { return TNUM(0, ~0ULL); }
static inline bool tnum_is_const(struct tnum a) { return a.mask == 0; }
static inline bool tnum_equals_const(struct tnum a, uint64_t v)
{
	return a.mask == 0 && a.value == v;
}

struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned int shift);
struct tnum tnum_rshift(struct tnum a, unsigned int shift);
struct tnum tnum_arshift(struct tnum a, unsigned int shift, unsigned int width);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, unsigned int bytes);	/* keep the low bytes */
bool tnum_in(struct tnum outer, struct tnum inner);	/* inner's values all in outer */
static inline struct tnum tnum_subreg(struct tnum a) { return tnum_cast(a, 4); }

/* ---- registers ---- */

enum reg_type {
	NOT_INIT = 0,
	SCALAR_VALUE,
	PTR_TO_CTX,
	CONST_PTR_TO_MAP,
	PTR_TO_MAP_VALUE,
	PTR_TO_MAP_VALUE_OR_NULL,
	PTR_TO_STACK,
	PTR_TO_PACKET_META,
	PTR_TO_PACKET,
	PTR_TO_PACKET_END,
	PTR_TO_MEM,			/* ringbuf_reserve's memory */
	PTR_TO_MEM_OR_NULL,
	NR_REG_TYPES,
};

/*
 * A scalar is var_off with the bounds; a pointer is its base (by type, map,
 * frame or packet id) plus off plus a variable part described the same way
 * as a scalar.
 */
struct reg_state {
	uint8_t type;			/* enum reg_type */
	uint8_t frameno;		/* PTR_TO_STACK: whose frame */
	int32_t off;
	struct tnum var_off;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32_min, s32_max;
	uint32_t u32_min, u32_max;
	/* copies of one or_null pointer, or packet pointers with one variable part */
	uint32_t id;
	uint32_t ref_obj_id;		/* ringbuf memory: the reservation it is */
	uint32_t map;			/* map pointers and values: index in prog->maps */
	uint32_t range;			/* packet: bytes from the base proven in bounds */
	uint32_t mem_size;		/* PTR_TO_MEM */
};

static inline bool reg_is_ptr(const struct reg_state *r)
{
	return r->type != NOT_INIT && r->type != SCALAR_VALUE;
}

static inline bool reg_is_pkt(const struct reg_state *r)
{
	return r->type == PTR_TO_PACKET || r->type == PTR_TO_PACKET_META;
}

/* ---- scalar bounds (verifier_bounds.c) ---- */

void reg_mark_known(struct reg_state *r, uint64_t v);
void reg_mark_unknown(struct reg_state *r);
/* Clear the pointer fields of r, keeping the numbers. */
void reg_clear_ptr(struct reg_state *r);
void reg_bounds_sync(struct reg_state *r);
bool reg_bounds_sane(const struct reg_state *r);
/* The value is known to be in [0, 2^(8*bytes)) (a zero-extending load). */
void reg_mark_unknown_size(struct reg_state *r, unsigned int bytes);
/* A sign-extended value of `bytes` bytes. */
void reg_mark_unknown_signed(struct reg_state *r, unsigned int bytes);
/* Truncate to the low 32 bits (what every ALU32 result and mov32 does). */
void reg_zext32(struct reg_state *r);
/* dst = dst OP src on scalars; alu32 for the 32-bit forms. */
void scalar_alu(struct reg_state *dst, const struct reg_state *src, const struct bpf_insn *insn,
		bool alu32);

/* ---- stack ---- */

enum { STACK_INVALID = 0, STACK_MISC, STACK_SPILL };

/* 8 bytes of a frame's stack: slot i is fp-8*(i+1) .. fp-8*i-1. */
struct stack_slot {
	uint8_t type[8];		/* per byte, from the lowest address */
	struct reg_state spilled;	/* when all 8 bytes are STACK_SPILL */
};

struct func_state {
	struct reg_state regs[MAX_BPF_REG];
	int32_t callsite;		/* the call insn that made the frame; -1 for the entry */
	uint32_t frameno;
	uint32_t nslots;		/* stack in use, from fp down */
	struct stack_slot *stack;
};

#define MAX_REFS	16

struct bpf_ref {
	uint32_t id;
	uint32_t insn;			/* where it was acquired */
};

struct vstate {
	struct func_state *frame[BPF_MAX_CALL_FRAMES];
	uint32_t curframe;
	uint32_t nrefs;
	struct bpf_ref refs[MAX_REFS];
	/* a kept state: where, and how many unfinished paths descend from it */
	uint32_t insn;
	uint32_t branches;
	struct vstate *parent;		/* the kept state this path passed last */
	struct vstate *next;		/* kept states of the same insn */
};

static inline struct func_state *cur_frame(struct vstate *st)
{
	return st->frame[st->curframe];
}

/* ---- the environment ---- */

/* What the context rewrite does to a load (verifier_ctx.c). */
enum ctx_rewrite {
	CTX_NONE = 0,
	CTX_XDP_DATA,
	CTX_XDP_DATA_END,
	CTX_XDP_DATA_META,
	CTX_XDP_IFINDEX,
	CTX_XDP_QUEUE,
	CTX_XDP_EGRESS,
};

struct insn_aux {
	uint8_t prune:1;		/* states are kept and compared here */
	uint8_t reachable:1;
	uint8_t lddw_tail:1;		/* second half of a lddw */
	uint8_t mem_kind;		/* 0 unseen, 1 ctx, 2 other memory */
	uint8_t ctx_rewrite;		/* enum ctx_rewrite */
	uint16_t subprog;
};

struct branch {
	struct vstate *st;
	uint32_t insn;
};

struct verifier_env {
	struct bpf_prog *prog;
	const struct bpf_insn *insns;
	uint32_t len;
	struct insn_aux *aux;
	uint32_t nr_subprogs;

	struct vstate *cur;
	uint32_t insn_idx;
	struct branch *stack;		/* branches still to walk */
	uint32_t nr_branches, branch_cap;
	struct vstate **kept;		/* per insn, linked by next */

	uint32_t id_gen;
	uint32_t insn_processed, insn_limit;
	uint32_t nr_kept;
	uint32_t insns_since_kept, jmps_since_kept;
	uint32_t stack_depth;

	char *log;
	size_t log_size, log_len;
	unsigned int log_level;
	bool failed;
};

/* ---- log (verifier_log.c) ---- */

void vlog(struct verifier_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Refuse at the current insn: the reason becomes the log's last line. -EINVAL. */
int verr(struct verifier_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int verr_code(struct verifier_env *env, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *reg_type_name(enum reg_type t);
void log_insn(struct verifier_env *env, uint32_t idx);
void log_state(struct verifier_env *env, const struct vstate *st);

/* ---- states (verifier_state.c) ---- */

struct vstate *state_alloc(void);
struct vstate *state_copy(const struct vstate *src);
void state_free(struct vstate *st);
struct func_state *func_alloc(uint32_t frameno, int32_t callsite);
void func_free(struct func_state *f);
int frame_grow_stack(struct verifier_env *env, struct func_state *f, uint32_t nslots);
/* Queue the other side of a branch: a copy of cur that resumes at insn. */
struct vstate *push_branch(struct verifier_env *env, uint32_t insn);
/* The path ended: next branch into env->cur; false when none is left. */
bool pop_branch(struct verifier_env *env);
/* At a pruning point: 1 if cur is covered by a kept state, 0 to go on, <0 refused. */
int state_visited(struct verifier_env *env, uint32_t insn);
void free_all_states(struct verifier_env *env);
/* Apply fn to every register and spilled register of every frame of st. */
void for_each_reg(struct vstate *st, void (*fn)(struct reg_state *r, void *arg), void *arg);

/* ---- instructions (verifier_alu.c, verifier_branch.c, verifier_mem.c) ---- */

int check_reg_read(struct verifier_env *env, uint32_t regno);
int check_reg_write(struct verifier_env *env, uint32_t regno);
int check_alu(struct verifier_env *env, const struct bpf_insn *insn);
/* Conditional jump at env->insn_idx: sets *next to the insn the walk follows. */
int check_cond_jmp(struct verifier_env *env, const struct bpf_insn *insn, uint32_t *next);
int check_ldx(struct verifier_env *env, const struct bpf_insn *insn);
int check_st(struct verifier_env *env, const struct bpf_insn *insn);
int check_atomic(struct verifier_env *env, const struct bpf_insn *insn);
/* Memory a helper reads or fills: regno points at it, max_size bytes at most. */
int check_helper_mem(struct verifier_env *env, uint32_t regno, uint64_t max_size, bool write);
uint32_t new_id(struct verifier_env *env);

/* ---- context (verifier_ctx.c) ---- */

/* A load of size bytes at off from the context into dst (already checked unmodified). */
int check_ctx_load(struct verifier_env *env, uint32_t dst, int32_t off, unsigned int size);
/* Rewrite the context loads the walk recorded. */
int ctx_rewrite(struct verifier_env *env);

/* ---- helpers (verifier_helpers.c) ---- */

int check_helper_call(struct verifier_env *env, const struct bpf_insn *insn);
void release_ref_regs(struct vstate *st, uint32_t ref_obj_id);

/* ---- structure (verifier_cfg.c) ---- */

int check_cfg(struct verifier_env *env);

#endif
