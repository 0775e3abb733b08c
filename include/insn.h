/*
 * x86-64 instruction decoder and kprobe classification.
 *
 * insn_decode() finds the length and the fields of one 64-bit-mode
 * instruction; insn_probe_class() says how the probe engine may execute it
 * out of line. Both are pure functions of their arguments (no global mutable
 * state), so they are safe from any context, including the int3 and #DB
 * handlers. The same source builds into the kernel and into host tests.
 * See docs/decoder.md.
 */
#ifndef KP_INSN_H
#define KP_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LEN	15	/* architectural limit; longer is #UD (-EILSEQ) */

/* How the opcode was reached. */
enum insn_encoding {
	INSN_ENC_LEGACY,	/* optional 0F / 0F 38 / 0F 3A escapes */
	INSN_ENC_3DNOW,		/* 0F 0F modrm ... suffix; suffix is in imm */
	INSN_ENC_VEX,		/* C4 / C5 */
	INSN_ENC_EVEX,		/* 62 */
	INSN_ENC_XOP,		/* 8F with modrm.reg != 0 */
};

/* Opcode map; the numbers are the VEX/EVEX/XOP map-select values. */
enum insn_map {
	INSN_MAP_ONEBYTE = 0,
	INSN_MAP_0F = 1,
	INSN_MAP_0F38 = 2,
	INSN_MAP_0F3A = 3,
	INSN_MAP_EVEX5 = 5,	/* AVX512-FP16 */
	INSN_MAP_EVEX6 = 6,
	INSN_MAP_XOP8 = 8,
	INSN_MAP_XOP9 = 9,
	INSN_MAP_XOPA = 10,
};

enum insn_branch {
	INSN_BR_NONE,
	INSN_BR_JMP_REL8,	/* EB */
	INSN_BR_JMP_REL32,	/* E9 */
	INSN_BR_JCC_REL8,	/* 70-7F; condition is opcode & 0xf */
	INSN_BR_JCC_REL32,	/* 0F 80-8F; condition is opcode & 0xf */
	INSN_BR_CALL_REL32,	/* E8 */
	INSN_BR_CALL_IND,	/* FF /2 */
	INSN_BR_JMP_IND,	/* FF /4 */
	INSN_BR_RET,		/* C3 */
	INSN_BR_RET_IMM,	/* C2 iw */
	INSN_BR_LOOP,		/* E0 loopne, E1 loope, E2 loop, E3 jrcxz */
	INSN_BR_INT3,		/* CC */
	INSN_BR_INT,		/* CD ib */
	INSN_BR_INT1,		/* F1 */
	INSN_BR_INTO,		/* CE: invalid in 64-bit mode, decode fails */
	INSN_BR_IRET,		/* CF */
	INSN_BR_SYSCALL,	/* 0F 05 */
	INSN_BR_SYSRET,		/* 0F 07 */
	INSN_BR_SYSENTER,	/* 0F 34 */
	INSN_BR_SYSEXIT,	/* 0F 35 */
	INSN_BR_CALL_FAR,	/* FF /3 */
	INSN_BR_JMP_FAR,	/* FF /5 */
	INSN_BR_RET_FAR,	/* CB */
	INSN_BR_RET_FAR_IMM,	/* CA iw */
	INSN_BR_XBEGIN,		/* C7 F8 rel: abort path is a relative target */
};

/* insn->flags: what the instruction does besides computing. */
#define INSN_F_PUSH	(1u << 0)	/* stores below rsp (push, call, enter) */
#define INSN_F_POP	(1u << 1)	/* loads from rsp upward (pop, ret, leave, iret) */
#define INSN_F_PUSHF	(1u << 2)	/* pushes rflags (so TF/IF as stepped) */
#define INSN_F_POPF	(1u << 3)	/* loads rflags */
#define INSN_F_ENTER	(1u << 4)
#define INSN_F_LEAVE	(1u << 5)
#define INSN_F_IF	(1u << 6)	/* changes IF: cli, sti, popf, iret */
#define INSN_F_PRIV	(1u << 7)	/* CPL 0 only (or IOPL-checked: in/out) */
#define INSN_F_SERIAL	(1u << 8)	/* architecturally serialising */
#define INSN_F_IO	(1u << 9)	/* in, out, ins, outs */
#define INSN_F_HLT	(1u << 10)	/* hlt, mwait, mwaitx */
#define INSN_F_CRDR	(1u << 11)	/* mov to/from a control or debug register */
#define INSN_F_MOV_SS	(1u << 12)	/* mov ss / pop ss: one-instruction interrupt shadow */
#define INSN_F_SEG	(1u << 13)	/* loads a segment register or the fs/gs base */
#define INSN_F_GSBASE	(1u << 14)	/* swapgs, wrgsbase: changes what %gs: reaches */
#define INSN_F_VIRT	(1u << 15)	/* VMX, SVM, SMX, SGX */
#define INSN_F_UD	(1u << 16)	/* ud0, ud1, ud2: raise #UD on purpose */
#define INSN_F_X87	(1u << 17)	/* x87 (D8-DF, fwait): FPU IP records where it ran */
#define INSN_F_REP	(1u << 18)	/* rep/repne string op: TF traps per iteration */
#define INSN_F_NOP	(1u << 19)	/* no architectural effect: nop forms, endbr */
#define INSN_F_RSM	(1u << 20)

struct insn {
	uint64_t addr;		/* where it was decoded */
	uint64_t target;	/* addr + len + rel for relative branches, else 0 */
	int64_t disp;		/* sign-extended; moffs (A0-A3) zero-extended */
	int64_t imm;		/* sign-extended from imm_size; rel for branches */
	int64_t imm2;		/* ENTER's ib, EXTRQ/INSERTQ's second ib */
	uint32_t flags;		/* INSN_F_* */
	enum insn_branch branch;
	enum insn_encoding encoding;
	enum insn_map map;
	uint8_t len;		/* 1..15; 0 after a failed decode */

	/* Legacy prefixes (any order, repeats allowed). */
	uint8_t nr_prefixes;	/* bytes before REX/opcode, incl. an ignored REX */
	uint8_t seg;		/* last segment override byte, 0 if none */
	uint8_t last_rep;	/* the later of F2/F3, 0 if none */
	bool opsize;		/* 66 */
	bool adsize;		/* 67 */
	bool lock;		/* F0 */
	bool rep;		/* F3 */
	bool repne;		/* F2 */

	/* REX, or the same bits from VEX/EVEX/XOP (already un-inverted). */
	uint8_t rex;		/* the REX byte in effect, 0 if none */
	bool rex_w, rex_r, rex_x, rex_b;

	/* VEX / EVEX / XOP */
	uint8_t vex[3];		/* raw bytes after C4/C5/62/8F */
	uint8_t vex_l;		/* VEX.L, or EVEX L'L (0..3) */
	uint8_t vex_vvvv;	/* un-inverted; EVEX V' is bit 4 */
	uint8_t vex_pp;		/* 0 none, 1 = 66, 2 = F3, 3 = F2 */
	bool evex_r2;		/* EVEX R' (un-inverted) */
	bool evex_z;
	bool evex_b;		/* broadcast / rounding / sae */
	uint8_t evex_aaa;	/* opmask register */

	/* Opcode: map + the byte that selects the operation. */
	uint8_t opcode;
	uint8_t opcode_offset;

	/* ModRM and SIB: raw 3-bit fields; REX/VEX extensions are in rex_*. */
	bool has_modrm;
	bool has_sib;
	bool rip_relative;	/* mod=00 rm=101 without SIB: disp32 from next rip */
	uint8_t modrm, mod, reg, rm;
	uint8_t sib, scale, index, base;
	uint8_t modrm_offset;

	uint8_t disp_size;	/* 0, 1, 4, or 8/4 for moffs */
	uint8_t disp_offset;
	uint8_t imm_size;	/* 0, 1, 2, 4, 8 */
	uint8_t imm_offset;
	uint8_t imm2_size;	/* 0 or 1 */
	uint8_t imm2_offset;
};

/*
 * Decode one instruction at buf[0..len). Returns 0, -EILSEQ (invalid or
 * undefined in 64-bit mode, or longer than 15 bytes) or -ENODATA (needs
 * bytes beyond len). Never reads past buf[len - 1]. On error insn->len is 0.
 */
int insn_decode(struct insn *insn, const uint8_t *buf, size_t len,
		uint64_t addr);

/* The prefix that selects among the 66/F3/F2 forms of a legacy opcode. */
static inline uint8_t insn_mandatory_prefix(const struct insn *insn)
{
	if (insn->last_rep)
		return insn->last_rep;
	return insn->opsize ? 0x66 : 0;
}

/* Register number (0..15) of a "+r" opcode (50+r, 58+r, B8+r ...). */
static inline unsigned int insn_opcode_reg(const struct insn *insn)
{
	return (insn->opcode & 7) | (insn->rex_b ? 8 : 0);
}

/* How the probe engine may execute the instruction; see docs/decoder.md. */
enum insn_probe_class {
	INSN_CLASS_REFUSE,	/* cannot be probed; *reason says why */
	INSN_CLASS_STEP,	/* copy to a slot, single-step, ip -= slot - addr */
	INSN_CLASS_STEP_RIPREL,	/* same, and the copy rewrites disp32 */
	INSN_CLASS_STEP_FIXUP,	/* step, then apply insn_step_fixups() */
	INSN_CLASS_EMULATE,	/* engine does it in C: no slot, no #DB */
	INSN_CLASS_BOOST,	/* slot + jmp back, no #DB (STEP if post_handler) */
};

/*
 * Classify for probing. *reason (if reason is non-NULL) gets a short
 * human-readable phrase: the refusal cause for REFUSE ("int3", "iret" ...),
 * else what the class hinges on. Every copying class must honour
 * insn->rip_relative when it copies; insn->len == 0 means "undecodable".
 */
enum insn_probe_class insn_probe_class(const struct insn *insn,
				       const char **reason);

/* "refuse", "step", "step-riprel", "step-fixup", "emulate", "boost". */
const char *insn_class_name(enum insn_probe_class cls);

/* After single-stepping a copy, what the #DB path must fix. */
#define INSN_FIX_IP_ABS		(1u << 0)	/* ip is the real target: leave it */
#define INSN_FIX_RET_ADDR	(1u << 1)	/* [rsp] = addr + len (was slot + len) */
#define INSN_FIX_PUSHED_FLAGS	(1u << 2)	/* [rsp]: clear TF, IF from saved flags */
#define INSN_FIX_KEEP_IF	(1u << 3)	/* IF result stands; don't restore saved IF */

/* INSN_FIX_* for a STEP_FIXUP instruction; 0 for every other class. */
unsigned int insn_step_fixups(const struct insn *insn);

/*
 * Per-opcode facts (arch/x86_64/insn_tables.c): internal to the decoder,
 * declared here because insn.c and insn_tables.c share them and the tests
 * check them.
 */
#define INSN_A_MODRM	0x0001	/* has a ModRM byte */
#define INSN_A_IMM_MASK	0x001e
#define INSN_A_IB	0x0002
#define INSN_A_IW	0x0004	/* 16 bits always (ret iw, retf iw) */
#define INSN_A_IZ	0x0006	/* 16 with 66 and no REX.W, else 32 */
#define INSN_A_IV	0x0008	/* mov r, imm: 64 with REX.W, else as IZ */
#define INSN_A_ID	0x000a	/* 32 bits always (XOP map A) */
#define INSN_A_IENTER	0x000c	/* iw then ib */
#define INSN_A_MOFFS	0x000e	/* 64-bit address, 32 with 67 */
#define INSN_A_REL8	0x0010
#define INSN_A_REL32	0x0012	/* rel32 even with 66 (Intel 64-bit mode) */
#define INSN_A_GRP3	0x0020	/* F6/F7: immediate only for /0 and /1 */
#define INSN_A_PREFIX	0x0040	/* legacy prefix byte */
#define INSN_A_REX	0x0080
#define INSN_A_INV64	0x0100	/* invalid in 64-bit mode */
#define INSN_A_UNDEF	0x0200	/* undefined opcode (#UD) */
#define INSN_A_ESCAPE	0x0400	/* 0F; 38 and 3A after it; C4 C5 62 (8F: by ModRM) */
#define INSN_A_MODREG	0x0800	/* ModRM.mod ignored, always a register (mov cr/dr) */

unsigned int insn_opcode_attr(enum insn_encoding enc, enum insn_map map,
			      uint8_t opcode);

/* False for #UD forms spotted from prefixes + ModRM (lock, lea reg ...). */
bool insn_opcode_valid(const struct insn *insn);

/* Fill insn->branch and insn->flags after decoding. */
void insn_opcode_semantics(struct insn *insn);

#endif
