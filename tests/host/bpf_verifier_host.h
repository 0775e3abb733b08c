/*
 * Host support for the verifier tests (libc memory from tests/host/bpf_env.c), small
 * assembler macros in the style of Linux's BPF_* instruction macros (written
 * here), and a program builder with maps and the helper table.
 */
#ifndef KP_TEST_BPF_VERIFIER_HOST_H
#define KP_TEST_BPF_VERIFIER_HOST_H

#include <stdlib.h>
#include <string.h>
#include "bpf.h"
#include "bpf_verifier.h"


#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), \
	.off = (o), .imm = (i) }
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32_IMM(d, i)		INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i)	INSN(BPF_ALU64 | BPF_##op | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s)	INSN(BPF_ALU64 | BPF_##op | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i)	INSN(BPF_ALU | BPF_##op | BPF_K, d, 0, 0, i)
#define ALU32_REG(op, d, s)	INSN(BPF_ALU | BPF_##op | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o)	INSN(BPF_LDX | BPF_MEM | BPF_##sz, d, s, o, 0)
#define STX(sz, d, s, o)	INSN(BPF_STX | BPF_MEM | BPF_##sz, d, s, o, 0)
#define ST(sz, d, o, i)		INSN(BPF_ST | BPF_MEM | BPF_##sz, d, 0, o, i)
#define ATOMIC(sz, d, s, o, op)	INSN(BPF_STX | BPF_ATOMIC | BPF_##sz, d, s, o, op)
#define JMP_IMM(op, d, i, o)	INSN(BPF_JMP | BPF_##op | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o)	INSN(BPF_JMP | BPF_##op | BPF_X, d, s, o, 0)
#define JMP32_IMM(op, d, i, o)	INSN(BPF_JMP32 | BPF_##op | BPF_K, d, 0, o, i)
#define JA(o)			INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(id)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALL_REL(o)		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, o)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_IMM64(d, v)		INSN(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, (int32_t)(uint32_t)(v)), \
				INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define LD_MAP(d, idx)		INSN(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_MAP_FD, 0, idx), \
				INSN(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(d, idx, o)	INSN(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_MAP_VALUE, 0, idx), \
				INSN(0, 0, 0, 0, o)

/* Map 0: hash 4 -> 8; 1: array 4 -> 16; 2: prog array; 3: ringbuf; 4: read-only array. */
static struct bpf_map test_maps[] = {
	{ .map_type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 16 },
	{ .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4 },
	{ .map_type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 4 },
	{ .map_type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096 },
	{ .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1,
	  .map_flags = BPF_F_RDONLY_PROG },
};
static struct bpf_map *test_map_ptrs[] = {
	&test_maps[0], &test_maps[1], &test_maps[2], &test_maps[3], &test_maps[4],
};

static uint64_t dummy_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + b + c + d + e;
}

static bpf_helper_fn test_helpers[BPF_MAX_HELPERS];

/* A program over a bpf_zalloc'ed copy of insns (the verifier may replace it). */
static struct bpf_prog *test_prog(enum bpf_prog_type type, const struct bpf_insn *insns,
				  uint32_t len)
{
	struct bpf_prog *p = calloc(1, sizeof(*p));

	for (int i = 0; i < BPF_MAX_HELPERS; i++)
		if (bpf_func_proto(i))
			test_helpers[i] = dummy_helper;
	p->type = type;
	p->insnsi = bpf_zalloc(len * sizeof(*insns));
	memcpy(p->insnsi, insns, len * sizeof(*insns));
	p->len = len;
	p->maps = test_map_ptrs;
	p->nr_maps = sizeof(test_map_ptrs) / sizeof(test_map_ptrs[0]);
	p->helpers = test_helpers;
	p->nr_helpers = BPF_MAX_HELPERS;
	return p;
}

static void test_prog_free(struct bpf_prog *p)
{
	bpf_free(p->insnsi);
	free(p);
}

#endif
