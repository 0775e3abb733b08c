/*
 * The eBPF verifier's options and the helper prototypes it checks calls
 * against. bpf_verify() (include/bpf.h) is bpf_verify_opts() with the
 * defaults; the console and the tests use the options for the full log and
 * for a smaller complexity limit. docs/bpf-verifier.md has the rules.
 */
#ifndef KP_BPF_VERIFIER_H
#define KP_BPF_VERIFIER_H

#include <stddef.h>
#include <stdint.h>
#include "bpf.h"

#define BPF_COMPLEXITY_LIMIT_INSNS	1000000	/* insns processed, Linux's figure */

/* Linux's map_flags bit: the program may read the map's values, never write. */
#define BPF_F_RDONLY_PROG	(1U << 7)

struct bpf_verify_opts {
	/*
	 * 0: the log gets only the refusal, one line "insn N: reason".
	 * 1: every instruction as it is walked, with the state where a path
	 *    forks, is pruned or ends, then the refusal or a summary.
	 * 2: also the state before every instruction (Linux's log_level 2).
	 */
	unsigned int log_level;
	uint32_t insn_limit;		/* 0: BPF_COMPLEXITY_LIMIT_INSNS */
	/* out */
	uint32_t insn_processed;
	uint32_t stack_depth;		/* deepest combined stack of any call chain */
	uint32_t states;		/* states kept for pruning */
};

/*
 * Verify prog and rewrite its context accesses (see bpf_verify()). When the
 * rewrite needs more instructions than the program has, prog->insnsi is
 * replaced by a longer kmalloc'ed copy and the old array is kfree'd, so it
 * must come from kmalloc. 0, or a negative error (-EINVAL refused, -E2BIG too
 * complex, -ENOMEM) with the reason as the log's last line.
 */
int bpf_verify_opts(struct bpf_prog *prog, struct bpf_verify_opts *opts, char *log,
		    size_t log_size);

/* What a helper argument must be (Linux's ARG_* names). */
enum bpf_arg_type {
	ARG_DONTCARE = 0,		/* no more arguments */
	ARG_ANYTHING,			/* any initialised value, pointers too */
	ARG_SCALAR,			/* any scalar */
	ARG_CONST_MAP_PTR,		/* a map from lddw */
	ARG_PTR_TO_MAP_KEY,		/* readable memory of the map's key_size */
	ARG_PTR_TO_MAP_VALUE,		/* readable memory of the map's value_size */
	ARG_PTR_TO_MEM,			/* readable memory, its size the next argument */
	ARG_PTR_TO_MEM_OR_NULL,		/* the same, or the constant 0 */
	ARG_PTR_TO_UNINIT_MEM,		/* writable memory the helper fills, size next */
	ARG_CONST_SIZE,			/* the size before it: bounded, > 0 */
	ARG_CONST_SIZE_OR_ZERO,		/* the same, or 0 */
	ARG_CONST_ALLOC_SIZE,		/* a known constant > 0: the size of the returned memory */
	ARG_PTR_TO_CTX,			/* the unmodified context */
	ARG_PTR_TO_RINGBUF_MEM,		/* memory from ringbuf_reserve, unmodified; released */
};

enum bpf_ret_type {
	RET_INTEGER,
	RET_VOID,			/* r0 left unset */
	RET_MAP_VALUE_OR_NULL,		/* a value of the map in argument 1 */
	RET_RINGBUF_MEM_OR_NULL,	/* ARG_CONST_ALLOC_SIZE bytes, to be released */
};

/* Which program types may call a helper. */
#define BPF_PROTO_XDP		(1U << 0)
#define BPF_PROTO_KPROBE	(1U << 1)

struct bpf_func_proto {
	const char *name;		/* Linux's, without bpf_ */
	enum bpf_ret_type ret;
	enum bpf_arg_type arg[5];
	unsigned int prog_types;	/* BPF_PROTO_* */
	unsigned int invalidates_pkt:1;	/* may move packet data: packet pointers die */
};

/* The prototype of helper id (Linux's numbers), or NULL when there is none. */
const struct bpf_func_proto *bpf_func_proto(int32_t id);

#endif
