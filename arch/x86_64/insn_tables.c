/*
 * Per-opcode facts for the x86-64 decoder (insn.c): the attribute tables
 * that decide an instruction's length, the #UD forms that need ModRM and
 * prefixes to spot, and what an instruction does (branch kind, stack,
 * privilege: insn->branch and insn->flags).
 *
 * Sources: Intel SDM vol. 2 appendix A (opcode maps), AMD APM vol. 3
 * appendix A (3DNow!, XOP, SSE4a), written out by hand.
 */
#include "insn.h"

#define M	INSN_A_MODRM
#define IB	INSN_A_IB
#define IW	INSN_A_IW
#define IZ	INSN_A_IZ
#define IV	INSN_A_IV
#define IE	INSN_A_IENTER
#define MO	INSN_A_MOFFS
#define R8	INSN_A_REL8
#define R32	INSN_A_REL32
#define G3	INSN_A_GRP3
#define P	INSN_A_PREFIX
#define X	INSN_A_REX
#define I64	INSN_A_INV64
#define U	INSN_A_UNDEF
#define E	INSN_A_ESCAPE
#define MR	(INSN_A_MODRM | INSN_A_MODREG)
#define N	0

/* One-byte map, 64-bit mode. */
static const uint16_t onebyte[256] = {
/*	 0      1      2      3      4      5      6      7 */
/*	 8      9      a      b      c      d      e      f */
/* 00 */ M,     M,     M,     M,     IB,    IZ,    I64,   I64,
/* 08 */ M,     M,     M,     M,     IB,    IZ,    I64,   E,
/* 10 */ M,     M,     M,     M,     IB,    IZ,    I64,   I64,
/* 18 */ M,     M,     M,     M,     IB,    IZ,    I64,   I64,
/* 20 */ M,     M,     M,     M,     IB,    IZ,    P,     I64,
/* 28 */ M,     M,     M,     M,     IB,    IZ,    P,     I64,
/* 30 */ M,     M,     M,     M,     IB,    IZ,    P,     I64,
/* 38 */ M,     M,     M,     M,     IB,    IZ,    P,     I64,
/* 40 */ X,     X,     X,     X,     X,     X,     X,     X,
/* 48 */ X,     X,     X,     X,     X,     X,     X,     X,
/* 50 */ N,     N,     N,     N,     N,     N,     N,     N,
/* 58 */ N,     N,     N,     N,     N,     N,     N,     N,
/* 60 */ I64,   I64,   E,     M,     P,     P,     P,     P,
/* 68 */ IZ,    M|IZ,  IB,    M|IB,  N,     N,     N,     N,
/* 70 */ R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,
/* 78 */ R8,    R8,    R8,    R8,    R8,    R8,    R8,    R8,
/* 80 */ M|IB,  M|IZ,  I64,   M|IB,  M,     M,     M,     M,
/* 88 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 90 */ N,     N,     N,     N,     N,     N,     N,     N,
/* 98 */ N,     N,     I64,   N,     N,     N,     N,     N,
/* a0 */ MO,    MO,    MO,    MO,    N,     N,     N,     N,
/* a8 */ IB,    IZ,    N,     N,     N,     N,     N,     N,
/* b0 */ IB,    IB,    IB,    IB,    IB,    IB,    IB,    IB,
/* b8 */ IV,    IV,    IV,    IV,    IV,    IV,    IV,    IV,
/* c0 */ M|IB,  M|IB,  IW,    N,     E,     E,     M|IB,  M|IZ,
/* c8 */ IE,    N,     IW,    N,     N,     IB,    I64,   N,
/* d0 */ M,     M,     M,     M,     I64,   I64,   I64,   N,
/* d8 */ M,     M,     M,     M,     M,     M,     M,     M,
/* e0 */ R8,    R8,    R8,    R8,    IB,    IB,    IB,    IB,
/* e8 */ R32,   R32,   I64,   R8,    N,     N,     N,     N,
/* f0 */ P,     N,     P,     P,     N,     N,     M|G3|IB, M|G3|IZ,
/* f8 */ N,     N,     N,     N,     N,     N,     M,     M,
};

/*
 * Two-byte map (0F xx). 0F 0F (3DNow!) is ModRM + a suffix byte, which has
 * the same length as an ib. 0F A6/A7 are VIA PadLock (xsha*, xcrypt*,
 * xstore, montmul: ModRM, register form). 0F 78 and 0F B8 depend on the
 * mandatory prefix and are finished in insn.c.
 */
static const uint16_t twobyte[256] = {
/* 00 */ M,     M,     M,     M,     U,     N,     N,     N,
/* 08 */ N,     N,     U,     N,     U,     M,     N,     M|IB,
/* 10 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 18 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 20 */ MR,    MR,    MR,    MR,    U,     U,     U,     U,
/* 28 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 30 */ N,     N,     N,     N,     N,     N,     U,     N,
/* 38 */ E,     U,     E,     U,     U,     U,     U,     U,
/* 40 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 48 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 50 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 58 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 60 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 68 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 70 */ M|IB,  M|IB,  M|IB,  M|IB,  M,     M,     M,     N,
/* 78 */ M,     M,     U,     U,     M,     M,     M,     M,
/* 80 */ R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,
/* 88 */ R32,   R32,   R32,   R32,   R32,   R32,   R32,   R32,
/* 90 */ M,     M,     M,     M,     M,     M,     M,     M,
/* 98 */ M,     M,     M,     M,     M,     M,     M,     M,
/* a0 */ N,     N,     N,     M,     M|IB,  M,     M,     M,
/* a8 */ N,     N,     N,     M,     M|IB,  M,     M,     M,
/* b0 */ M,     M,     M,     M,     M,     M,     M,     M,
/* b8 */ M,     M,     M|IB,  M,     M,     M,     M,     M,
/* c0 */ M,     M,     M|IB,  M,     M|IB,  M|IB,  M|IB,  M,
/* c8 */ N,     N,     N,     N,     N,     N,     N,     N,
/* d0 */ M,     M,     M,     M,     M,     M,     M,     M,
/* d8 */ M,     M,     M,     M,     M,     M,     M,     M,
/* e0 */ M,     M,     M,     M,     M,     M,     M,     M,
/* e8 */ M,     M,     M,     M,     M,     M,     M,     M,
/* f0 */ M,     M,     M,     M,     M,     M,     M,     M,
/* f8 */ M,     M,     M,     M,     M,     M,     M,     M,
};

/*
 * The remaining maps are regular enough to compute. Every 0F 38 and 0F 3A
 * opcode, every VEX/EVEX/XOP opcode has a ModRM byte; 0F 3A and XOP map 8
 * add an ib, XOP map A an id. In VEX/EVEX map 1 (0F) the same opcodes as
 * in the legacy 0F map take an ib, and 77 (vzeroupper/vzeroall) has no
 * ModRM. Undefined opcodes inside these maps still have a known length, so
 * they are not rejected here (see docs/decoder.md).
 */
unsigned int insn_opcode_attr(enum insn_encoding enc, enum insn_map map,
			      uint8_t op)
{
	switch (map) {
	case INSN_MAP_ONEBYTE:
		return onebyte[op];
	case INSN_MAP_0F:
		if (enc == INSN_ENC_LEGACY || enc == INSN_ENC_3DNOW)
			return twobyte[op];
		if (op == 0x77)
			return N;
		if ((op >= 0x70 && op <= 0x73) || (op >= 0xc4 && op <= 0xc6) ||
		    op == 0xc2)
			return M | IB;
		return M;
	case INSN_MAP_0F38:
	case INSN_MAP_EVEX5:
	case INSN_MAP_EVEX6:
	case INSN_MAP_XOP9:
		return M;
	case INSN_MAP_0F3A:
	case INSN_MAP_XOP8:
		return M | IB;
	case INSN_MAP_XOPA:
		return M | INSN_A_ID;
	}
	return U;
}

/* One-byte opcodes whose ModRM selects a #UD form. */
static bool onebyte_modrm_invalid(const struct insn *insn)
{
	switch (insn->opcode) {
	case 0x8c:		/* mov r/m, Sreg: only es cs ss ds fs gs */
		return insn->reg > 5;
	case 0x8e:		/* mov Sreg, r/m: never cs */
		return insn->reg == 1 || insn->reg > 5;
	case 0x8d:		/* lea needs memory */
		return insn->mod == 3;
	case 0xc6:		/* mov /0, xabort c6 f8 */
	case 0xc7:		/* mov /0, xbegin c7 f8 */
		return insn->reg != 0 && insn->modrm != 0xf8;
	case 0xfe:		/* inc/dec only */
		return insn->reg > 1;
	case 0xff:		/* /7 undefined; far call/jmp need memory */
		return insn->reg == 7 ||
		       ((insn->reg == 3 || insn->reg == 5) && insn->mod == 3);
	}
	return false;
}

/* LOCK is #UD except on these read-modify-write memory forms. */
static bool lockable(const struct insn *insn)
{
	uint8_t op = insn->opcode;

	if (insn->encoding != INSN_ENC_LEGACY || !insn->has_modrm)
		return false;
	/* AMD's alternative encoding of mov cr8 is lock mov cr0. */
	if (insn->map == INSN_MAP_0F && (op == 0x20 || op == 0x22))
		return true;
	if (insn->mod == 3)
		return false;
	if (insn->map == INSN_MAP_ONEBYTE) {
		if (op < 0x38 && (op & 7) < 2)	/* add or adc sbb and sub xor */
			return true;
		switch (op) {
		case 0x80: case 0x81: case 0x83:
			return insn->reg != 7;		/* not cmp */
		case 0x86: case 0x87:
			return true;			/* xchg */
		case 0xf6: case 0xf7:
			return insn->reg == 2 || insn->reg == 3; /* not, neg */
		case 0xfe: case 0xff:
			return insn->reg < 2;		/* inc dec */
		}
		return false;
	}
	if (insn->map != INSN_MAP_0F)
		return false;
	switch (op) {
	case 0xab: case 0xb3: case 0xbb:	/* bts btr btc */
	case 0xb0: case 0xb1:			/* cmpxchg */
	case 0xc0: case 0xc1:			/* xadd */
		return true;
	case 0xba:
		return insn->reg >= 5;		/* bts btr btc imm */
	case 0xc7:
		return insn->reg == 1;		/* cmpxchg8b/16b */
	}
	return false;
}

/*
 * #UD forms whose length is known but which are rejected anyway: an
 * undefined instruction can't be probed, and objdump mostly agrees (where
 * it doesn't, docs/decoder.md lists it). Needs prefixes and ModRM.
 */
bool insn_opcode_valid(const struct insn *insn)
{
	uint8_t pfx = insn_mandatory_prefix(insn);

	if (insn->lock && !lockable(insn))
		return false;
	if (insn->encoding != INSN_ENC_LEGACY)
		return true;
	if (insn->map == INSN_MAP_ONEBYTE)
		return !onebyte_modrm_invalid(insn);
	if (insn->map != INSN_MAP_0F)
		return true;
	switch (insn->opcode) {
	case 0xb8:	/* popcnt; without F3 it is IA-64's jmpe */
		return pfx == 0xf3;
	case 0x78:	/* vmread; 66 extrq, F2 insertq (registers only) */
	case 0x79:
		return pfx == 0 || (pfx != 0xf3 && insn->mod == 3);
	}
	return true;
}

/* What one-byte-map instructions do, as far as the probe engine cares. */
static void onebyte_semantics(struct insn *insn)
{
	bool string_rep = insn->rep || insn->repne;
	uint32_t f = 0;

	switch (insn->opcode) {
	case 0x50 ... 0x57:
	case 0x68:
	case 0x6a:
		f = INSN_F_PUSH;
		break;
	case 0x58 ... 0x5f:
	case 0x8f:
		f = INSN_F_POP;
		break;
	case 0x6c ... 0x6f:	/* ins, outs */
		f = INSN_F_IO | INSN_F_PRIV | (string_rep ? INSN_F_REP : 0);
		break;
	case 0x70 ... 0x7f:
		insn->branch = INSN_BR_JCC_REL8;
		break;
	case 0x8e:
		f = INSN_F_SEG | (insn->reg == 2 ? INSN_F_MOV_SS : 0);
		break;
	case 0x90:		/* 41 90 is xchg r8d, eax; f3 90 is pause */
		if (!insn->rex_b && !insn->last_rep)
			f = INSN_F_NOP;
		break;
	case 0x9b:		/* fwait */
	case 0xd8 ... 0xdf:
		f = INSN_F_X87;
		break;
	case 0x9c:
		f = INSN_F_PUSH | INSN_F_PUSHF;
		break;
	case 0x9d:
		f = INSN_F_POP | INSN_F_POPF | INSN_F_IF;
		break;
	case 0xa4 ... 0xa7:	/* movs, cmps */
	case 0xaa ... 0xaf:	/* stos, lods, scas */
		f = string_rep ? INSN_F_REP : 0;
		break;
	case 0xc2:
		insn->branch = INSN_BR_RET_IMM;
		f = INSN_F_POP;
		break;
	case 0xc3:
		insn->branch = INSN_BR_RET;
		f = INSN_F_POP;
		break;
	case 0xc7:
		if (insn->modrm == 0xf8)
			insn->branch = INSN_BR_XBEGIN;
		break;
	case 0xc8:
		f = INSN_F_ENTER | INSN_F_PUSH;
		break;
	case 0xc9:
		f = INSN_F_LEAVE | INSN_F_POP;
		break;
	case 0xca:
		insn->branch = INSN_BR_RET_FAR_IMM;
		f = INSN_F_POP;
		break;
	case 0xcb:
		insn->branch = INSN_BR_RET_FAR;
		f = INSN_F_POP;
		break;
	case 0xcc:
		insn->branch = INSN_BR_INT3;
		break;
	case 0xcd:
		insn->branch = INSN_BR_INT;
		break;
	case 0xcf:
		insn->branch = INSN_BR_IRET;
		f = INSN_F_POP | INSN_F_POPF | INSN_F_IF | INSN_F_SERIAL;
		break;
	case 0xe0 ... 0xe3:
		insn->branch = INSN_BR_LOOP;
		break;
	case 0xe4 ... 0xe7:	/* in, out */
	case 0xec ... 0xef:
		f = INSN_F_IO | INSN_F_PRIV;
		break;
	case 0xe8:
		insn->branch = INSN_BR_CALL_REL32;
		f = INSN_F_PUSH;
		break;
	case 0xe9:
		insn->branch = INSN_BR_JMP_REL32;
		break;
	case 0xeb:
		insn->branch = INSN_BR_JMP_REL8;
		break;
	case 0xf1:
		insn->branch = INSN_BR_INT1;
		break;
	case 0xf4:
		f = INSN_F_HLT | INSN_F_PRIV;
		break;
	case 0xfa:		/* cli, sti: IOPL-checked */
	case 0xfb:
		f = INSN_F_IF | INSN_F_PRIV;
		break;
	case 0xff:
		switch (insn->reg) {
		case 2:
			insn->branch = INSN_BR_CALL_IND;
			f = INSN_F_PUSH;
			break;
		case 3:
			insn->branch = INSN_BR_CALL_FAR;
			f = INSN_F_PUSH;
			break;
		case 4:
			insn->branch = INSN_BR_JMP_IND;
			break;
		case 5:
			insn->branch = INSN_BR_JMP_FAR;
			break;
		case 6:
			f = INSN_F_PUSH;
			break;
		}
		break;
	}
	insn->flags |= f;
}

/* 0F 01: descriptor tables, VMX/SVM, monitor/mwait, swapgs ... */
static uint32_t group7_flags(const struct insn *insn)
{
	if (insn->mod != 3) {
		switch (insn->reg) {
		case 2:		/* lgdt */
		case 3:		/* lidt */
		case 7:		/* invlpg */
			return INSN_F_PRIV | INSN_F_SERIAL;
		case 6:		/* lmsw */
			return INSN_F_PRIV;
		}
		return 0;
	}
	switch (insn->modrm) {
	case 0xc0 ... 0xc4:	/* enclv vmcall vmlaunch vmresume vmxoff */
	case 0xcf:		/* encls */
	case 0xd4:		/* vmfunc */
	case 0xd7:		/* enclu */
	case 0xd8 ... 0xdf:	/* vmrun vmmcall vmload vmsave stgi clgi skinit invlpga */
		return INSN_F_VIRT | INSN_F_PRIV;
	case 0xc9:		/* mwait */
	case 0xfb:		/* mwaitx */
		return INSN_F_HLT | INSN_F_PRIV;
	case 0xc5:		/* pconfig */
	case 0xc6:		/* wrmsrns, rdmsrlist, wrmsrlist */
	case 0xc8:		/* monitor */
	case 0xca:		/* clac */
	case 0xcb:		/* stac */
	case 0xf0 ... 0xf7:	/* lmsw reg */
	case 0xfe:		/* invlpgb */
	case 0xff:		/* tlbsync */
		return INSN_F_PRIV;
	case 0xd1:		/* xsetbv */
		return INSN_F_PRIV | INSN_F_SERIAL;
	case 0xe8:		/* serialize (F3: setssbsy, F2: xsusldtrk) */
		return insn->last_rep ? 0 : INSN_F_SERIAL;
	case 0xf8:		/* swapgs */
		return INSN_F_PRIV | INSN_F_SEG | INSN_F_GSBASE;
	}
	return 0;
}

static void twobyte_semantics(struct insn *insn)
{
	uint8_t pfx = insn_mandatory_prefix(insn);
	uint32_t f = 0;

	switch (insn->opcode) {
	case 0x00:		/* lldt, ltr */
		if (insn->reg == 2 || insn->reg == 3)
			f = INSN_F_PRIV | INSN_F_SERIAL;
		break;
	case 0x01:
		f = group7_flags(insn);
		break;
	case 0x05:
		insn->branch = INSN_BR_SYSCALL;
		break;
	case 0x06:		/* clts */
		f = INSN_F_PRIV;
		break;
	case 0x07:
		insn->branch = INSN_BR_SYSRET;
		f = INSN_F_PRIV;
		break;
	case 0x08:		/* invd */
	case 0x09:		/* wbinvd */
	case 0x30:		/* wrmsr */
		f = INSN_F_PRIV | INSN_F_SERIAL;
		break;
	case 0x0b:		/* ud2 */
	case 0xb9:		/* ud1 */
	case 0xff:		/* ud0 */
		f = INSN_F_UD;
		break;
	case 0x1e:		/* endbr64 f3 0f 1e fa, endbr32 ... fb */
		if (pfx == 0xf3 && (insn->modrm == 0xfa || insn->modrm == 0xfb))
			f = INSN_F_NOP;
		break;
	case 0x1f:		/* multi-byte nop: 0f 1f /0, 66 0f 1f /0 */
		if (insn->reg == 0 && !insn->last_rep)
			f = INSN_F_NOP;
		break;
	case 0x20:		/* mov from cr, dr */
	case 0x21:
		f = INSN_F_CRDR | INSN_F_PRIV;
		break;
	case 0x22:		/* mov to cr, dr */
	case 0x23:
		f = INSN_F_CRDR | INSN_F_PRIV | INSN_F_SERIAL;
		break;
	case 0x32:		/* rdmsr */
		f = INSN_F_PRIV;
		break;
	case 0x34:
		insn->branch = INSN_BR_SYSENTER;
		break;
	case 0x35:
		insn->branch = INSN_BR_SYSEXIT;
		f = INSN_F_PRIV;
		break;
	case 0x37:		/* getsec */
		f = INSN_F_VIRT;
		break;
	case 0x78:		/* vmread, vmwrite (no prefix: else SSE4a) */
	case 0x79:
		if (!pfx)
			f = INSN_F_VIRT | INSN_F_PRIV;
		break;
	case 0x80 ... 0x8f:
		insn->branch = INSN_BR_JCC_REL32;
		break;
	case 0xa0:		/* push fs, gs */
	case 0xa8:
		f = INSN_F_PUSH;
		break;
	case 0xa1:		/* pop fs, gs */
	case 0xa9:
		f = INSN_F_POP | INSN_F_SEG;
		break;
	case 0xa2:		/* cpuid */
		f = INSN_F_SERIAL;
		break;
	case 0xaa:
		f = INSN_F_RSM;
		break;
	case 0xae:		/* f3 0f ae /2 /3 mod=3: wrfsbase, wrgsbase */
		if (pfx == 0xf3 && insn->mod == 3 && insn->reg == 2)
			f = INSN_F_SEG;
		if (pfx == 0xf3 && insn->mod == 3 && insn->reg == 3)
			f = INSN_F_SEG | INSN_F_GSBASE;
		break;
	case 0xb2:		/* lss, lfs, lgs */
	case 0xb4:
	case 0xb5:
		f = INSN_F_SEG;
		break;
	case 0xc7:		/* vmptrld vmclear vmxon /6, vmptrst /7 (memory) */
		if (insn->mod != 3 && insn->reg >= 6)
			f = INSN_F_VIRT | INSN_F_PRIV;
		if (insn->mod != 3 && (insn->reg == 3 || insn->reg == 5))
			f = INSN_F_PRIV;	/* xrstors, xsaves */
		break;
	}
	insn->flags |= f;
}

/*
 * Branch kind and INSN_F_* flags of a decoded instruction; only legacy
 * encodings branch or touch system state (VEX/EVEX/XOP are all SIMD/GPR).
 */
void insn_opcode_semantics(struct insn *insn)
{
	if (insn->encoding != INSN_ENC_LEGACY)
		return;
	if (insn->map == INSN_MAP_ONEBYTE)
		onebyte_semantics(insn);
	else if (insn->map == INSN_MAP_0F)
		twobyte_semantics(insn);
	else if (insn->map == INSN_MAP_0F38 && insn->opcode >= 0x80 &&
		 insn->opcode <= 0x82)	/* invept invvpid invpcid */
		insn->flags |= INSN_F_PRIV |
			(insn->opcode < 0x82 ? INSN_F_VIRT : 0);
}
