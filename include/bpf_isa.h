/*
 * The eBPF instruction set (RFC 9669): the instruction word and the opcode
 * fields, with the names Linux's uapi/linux/bpf.h gives them, so programs,
 * objects and tools written for Linux mean the same thing here. Shared by the
 * interpreter, the verifier, the loader and the host tests; plain C, no
 * kernel dependencies.
 */
#ifndef KP_BPF_ISA_H
#define KP_BPF_ISA_H

#include <stdint.h>

/* One 64-bit instruction word; lddw takes two. */
struct bpf_insn {
	uint8_t code;
	uint8_t dst_reg:4;
	uint8_t src_reg:4;
	int16_t off;
	int32_t imm;
};

#define MAX_BPF_REG		11	/* r0..r10 */
#define BPF_REG_FP		10	/* read-only frame pointer */
#define MAX_BPF_STACK		512	/* bytes per frame */

/* Low three bits: the instruction class. */
#define BPF_CLASS(code)		((code) & 0x07)
#define BPF_LD			0x00
#define BPF_LDX			0x01
#define BPF_ST			0x02
#define BPF_STX			0x03
#define BPF_ALU			0x04
#define BPF_JMP			0x05
#define BPF_JMP32		0x06
#define BPF_ALU64		0x07

/* Load and store: size and mode. */
#define BPF_SIZE(code)		((code) & 0x18)
#define BPF_W			0x00
#define BPF_H			0x08
#define BPF_B			0x10
#define BPF_DW			0x18
#define BPF_MODE(code)		((code) & 0xe0)
#define BPF_IMM			0x00
#define BPF_ABS			0x20
#define BPF_IND			0x40
#define BPF_MEM			0x60
#define BPF_MEMSX		0x80
#define BPF_ATOMIC		0xc0

/* ALU and jump: source operand and operation. */
#define BPF_SRC(code)		((code) & 0x08)
#define BPF_K			0x00
#define BPF_X			0x08
#define BPF_OP(code)		((code) & 0xf0)

#define BPF_ADD			0x00
#define BPF_SUB			0x10
#define BPF_MUL			0x20
#define BPF_DIV			0x30
#define BPF_OR			0x40
#define BPF_AND			0x50
#define BPF_LSH			0x60
#define BPF_RSH			0x70
#define BPF_NEG			0x80
#define BPF_MOD			0x90
#define BPF_XOR			0xa0
#define BPF_MOV			0xb0
#define BPF_ARSH		0xc0
#define BPF_END			0xd0	/* byte swap; BPF_K = to_le, BPF_X = to_be */
#define BPF_TO_LE		0x00
#define BPF_TO_BE		0x08

#define BPF_JA			0x00
#define BPF_JEQ			0x10
#define BPF_JGT			0x20
#define BPF_JGE			0x30
#define BPF_JSET		0x40
#define BPF_JNE			0x50
#define BPF_JSGT		0x60
#define BPF_JSGE		0x70
#define BPF_CALL		0x80
#define BPF_EXIT		0x90
#define BPF_JLT			0xa0
#define BPF_JLE			0xb0
#define BPF_JSLT		0xc0
#define BPF_JSLE		0xd0

/* Atomic operations: in imm of a BPF_STX | BPF_ATOMIC instruction. */
#define BPF_FETCH		0x01
#define BPF_XCHG		(0xe0 | BPF_FETCH)
#define BPF_CMPXCHG		(0xf0 | BPF_FETCH)

/* src_reg of a lddw: what imm names. */
#define BPF_PSEUDO_MAP_FD	1	/* a map */
#define BPF_PSEUDO_MAP_VALUE	2	/* an address inside a map's value (global data) */
/* src_reg of a call: a bpf-to-bpf call, imm is the pc-relative target. */
#define BPF_PSEUDO_CALL		1

#endif
