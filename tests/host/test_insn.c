/*
 * Hand-written cases for the x86-64 decoder: every special encoding, field,
 * branch target and error. The probe classification built on it is in
 * test_insn_class.c.
 */
#include <string.h>

#include "check.h"
#include "insn_hex.h"
#include "kerrno.h"

static void t_legacy_prefixes(void)
{
	struct insn in;

	/* cs nopw 0x0(%rax,%rax,1) */
	CHECK_EQ(dec(&in, "66 2e 0f 1f 84 00 00 00 00 00"), 0);
	CHECK_EQ(in.len, 10);
	CHECK(in.opsize);
	CHECK_EQ(in.seg, 0x2e);
	CHECK_EQ(in.nr_prefixes, 2);
	CHECK_EQ(in.map, INSN_MAP_0F);
	CHECK_EQ(in.opcode, 0x1f);
	CHECK_EQ(in.opcode_offset, 3);
	CHECK(in.has_sib);
	CHECK_EQ(in.disp_size, 4);

	/* repeated, redundant prefixes all count */
	CHECK_EQ(dec(&in, "66 66 66 2e 0f 1f 84 00 00 00 00 00"), 0);
	CHECK_EQ(in.len, 12);
	CHECK_EQ(in.nr_prefixes, 4);

	/* F2 then F3: both seen, the later one selects */
	CHECK_EQ(dec(&in, "f2 f3 a4"), 0);
	CHECK(in.rep && in.repne);
	CHECK_EQ(in.last_rep, 0xf3);
	CHECK(in.flags & INSN_F_REP);

	/* mov %fs:0x28,%rax: segment, SIB with no base and no index */
	CHECK_EQ(dec(&in, "64 48 8b 04 25 28 00 00 00"), 0);
	CHECK_EQ(in.len, 9);
	CHECK_EQ(in.seg, 0x64);
	CHECK_EQ(in.rex, 0x48);
	CHECK(in.has_sib && !in.rip_relative);
	CHECK_EQ(in.base, 5);
	CHECK_EQ(in.index, 4);
	CHECK_EQ(in.disp, 0x28);

	CHECK_EQ(dec(&in, "67 8b 00"), 0);
	CHECK(in.adsize);
	CHECK_EQ(in.len, 3);

	/* lock only on read-modify-write memory forms */
	CHECK_EQ(dec(&in, "f0 48 0f b1 0e"), 0);
	CHECK(in.lock);
	CHECK_EQ(in.len, 5);
	LEN("f0 ff 00", 3);
	LEN("f0 83 00 01", 4);
	LEN("f0 0f c7 0e", 4);
	BAD("f0 90", -EILSEQ);
	BAD("f0 01 c0", -EILSEQ);	/* register destination */
	BAD("f0 3b 00", -EILSEQ);	/* cmp */
	BAD("f0 8b 00", -EILSEQ);	/* mov */
}

static void t_rex(void)
{
	struct insn in;

	/* mov (%r12),%r8 */
	CHECK_EQ(dec(&in, "4d 8b 04 24"), 0);
	CHECK_EQ(in.rex, 0x4d);
	CHECK(in.rex_w && in.rex_r && !in.rex_x && in.rex_b);
	CHECK_EQ(in.nr_prefixes, 0);
	CHECK_EQ(in.opcode_offset, 1);
	CHECK(in.has_sib);
	CHECK_EQ(in.len, 4);

	/* REX before a legacy prefix is ignored (but still takes a byte) */
	CHECK_EQ(dec(&in, "48 66 90"), 0);
	CHECK_EQ(in.rex, 0);
	CHECK(!in.rex_w);
	CHECK_EQ(in.nr_prefixes, 2);
	CHECK_EQ(in.len, 3);
	CHECK_EQ(dec(&in, "48 66 b8 34 12"), 0);	/* so 66 applies: imm16 */
	CHECK_EQ(in.len, 5);
	CHECK_EQ(dec(&in, "66 48 b8 01 00 00 00 00 00 00 00"), 0); /* REX.W wins */
	CHECK(in.rex_w);
	CHECK_EQ(in.imm_size, 8);
	CHECK_EQ(in.len, 11);

	/* REX REX: only the last counts */
	CHECK_EQ(dec(&in, "40 48 89 c0"), 0);
	CHECK_EQ(in.rex, 0x48);
	CHECK_EQ(in.nr_prefixes, 1);
	CHECK_EQ(in.len, 4);

	/* 41 90 is xchg %eax,%r8d, not nop */
	CHECK_EQ(dec(&in, "41 90"), 0);
	CHECK(in.rex_b);
	CHECK(!(in.flags & INSN_F_NOP));
	CHECK_EQ(insn_opcode_reg(&in), 8);
	CHECK_EQ(dec(&in, "41 57"), 0);
	CHECK_EQ(insn_opcode_reg(&in), 15);
}

static void t_modrm_sib_disp(void)
{
	struct insn in;

	CHECK_EQ(dec(&in, "8b 45 f8"), 0);	/* mov -0x8(%rbp),%eax */
	CHECK(in.has_modrm && !in.has_sib);
	CHECK_EQ(in.mod, 1);
	CHECK_EQ(in.reg, 0);
	CHECK_EQ(in.rm, 5);
	CHECK_EQ(in.modrm_offset, 1);
	CHECK_EQ(in.disp, -8);
	CHECK_EQ(in.disp_size, 1);
	CHECK_EQ(in.disp_offset, 2);
	CHECK(!in.rip_relative);

	CHECK_EQ(dec(&in, "8b 84 24 00 01 00 00"), 0);	/* 0x100(%rsp) */
	CHECK_EQ(in.mod, 2);
	CHECK(in.has_sib);
	CHECK_EQ(in.sib, 0x24);
	CHECK_EQ(in.disp, 0x100);
	CHECK_EQ(in.disp_offset, 3);
	CHECK_EQ(in.len, 7);

	CHECK_EQ(dec(&in, "8b 04 8d 78 56 34 12"), 0);	/* 0x12345678(,%rcx,4) */
	CHECK_EQ(in.scale, 2);
	CHECK_EQ(in.index, 1);
	CHECK_EQ(in.base, 5);
	CHECK_EQ(in.disp, 0x12345678);
	CHECK(!in.rip_relative);

	CHECK_EQ(dec(&in, "41 8b 45 00"), 0);	/* 0x0(%r13) needs a disp8 */
	CHECK_EQ(in.disp_size, 1);
	CHECK_EQ(in.len, 4);

	CHECK_EQ(dec(&in, "8b 80 00 00 00 80"), 0);	/* disp32 sign-extends */
	CHECK_EQ(in.disp, -0x80000000ll);

	CHECK_EQ(dec(&in, "89 c8"), 0);	/* register form */
	CHECK_EQ(in.mod, 3);
	CHECK_EQ(in.disp_size, 0);
	CHECK_EQ(in.len, 2);

	/* mov cr/dr: mod is ignored, never a memory operand */
	CHECK_EQ(dec(&in, "0f 20 00"), 0);
	CHECK_EQ(in.len, 3);
	CHECK_EQ(in.disp_size, 0);
	LEN("0f 22 84", 3);
	LEN("0f 23 45", 3);
}

static void t_rip_relative(void)
{
	struct insn in;

	/* mov 0xff9(%rip),%rax at 0x1000 */
	CHECK_EQ(dec(&in, "48 8b 05 f9 0f 00 00"), 0);
	CHECK(in.rip_relative);
	CHECK_EQ(in.disp, 0xff9);
	CHECK_EQ(in.disp_size, 4);
	CHECK_EQ(in.disp_offset, 3);
	CHECK_EQ(in.len, 7);

	CHECK_EQ(dec(&in, "41 8b 05 00 00 00 00"), 0);	/* REX.B doesn't matter */
	CHECK(in.rip_relative);
	CHECK_EQ(dec(&in, "67 8b 05 00 00 00 00"), 0);	/* eip-relative */
	CHECK(in.rip_relative);
	CHECK_EQ(dec(&in, "8b 04 05 00 00 00 00"), 0);	/* SIB, no base: absolute */
	CHECK(!in.rip_relative);
	CHECK_EQ(dec(&in, "8b 45 00"), 0);
	CHECK(!in.rip_relative);

	/* immediate after the displacement: cmpl $0x7,0x10(%rip) */
	CHECK_EQ(dec(&in, "83 3d 10 00 00 00 07"), 0);
	CHECK(in.rip_relative);
	CHECK_EQ(in.disp_offset, 2);
	CHECK_EQ(in.imm_offset, 6);
	CHECK_EQ(in.imm, 7);
	CHECK_EQ(in.len, 7);

	/* VEX and EVEX forms */
	CHECK_EQ(dec(&in, "c5 fa 6f 05 10 00 00 00"), 0);
	CHECK(in.rip_relative);
	CHECK_EQ(in.disp_offset, 4);
	CHECK_EQ(in.len, 8);
	CHECK_EQ(dec(&in, "62 f1 7c 48 10 05 00 01 00 00"), 0);
	CHECK(in.rip_relative);
	CHECK_EQ(in.disp_offset, 6);
	CHECK_EQ(in.disp, 0x100);
	CHECK_EQ(in.len, 10);
}

static void t_immediates(void)
{
	struct insn in;

	LEN("04 7f", 2);
	LEN("05 78 56 34 12", 5);
	LEN("66 05 34 12", 4);
	CHECK_EQ(dec(&in, "48 05 ff ff ff ff"), 0);	/* id sign-extended */
	CHECK_EQ(in.imm, -1);
	CHECK_EQ(in.imm_size, 4);
	CHECK_EQ(in.imm_offset, 2);

	/* mov r, imm: 64 bits only with REX.W */
	CHECK_EQ(dec(&in, "48 b8 88 77 66 55 44 33 22 11"), 0);
	CHECK_EQ(in.len, 10);
	CHECK_EQ(in.imm, 0x1122334455667788ll);
	CHECK_EQ(in.imm_size, 8);
	LEN("b8 01 00 00 00", 5);
	LEN("66 b8 01 00", 4);
	LEN("41 b8 01 00 00 00", 6);
	LEN("b0 01", 2);

	/* moffs: 8-byte address, 4 with 67 (zero-extended) */
	CHECK_EQ(dec(&in, "a1 88 77 66 55 44 33 22 11"), 0);
	CHECK_EQ(in.len, 9);
	CHECK_EQ(in.disp_size, 8);
	CHECK_EQ(in.disp, 0x1122334455667788ll);
	CHECK_EQ(in.imm_size, 0);
	CHECK_EQ(dec(&in, "67 a0 00 00 00 80"), 0);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.disp_size, 4);
	CHECK_EQ(in.disp, 0x80000000ll);
	LEN("48 a3 00 00 00 00 00 00 00 00", 10);
	LEN("66 a3 00 00 00 00 00 00 00 00", 10);	/* 66 doesn't shrink moffs */

	/* enter iw, ib */
	CHECK_EQ(dec(&in, "c8 10 00 01"), 0);
	CHECK_EQ(in.len, 4);
	CHECK_EQ(in.imm, 16);
	CHECK_EQ(in.imm_size, 2);
	CHECK_EQ(in.imm2, 1);
	CHECK_EQ(in.imm2_size, 1);
	CHECK_EQ(in.imm2_offset, 3);
	LEN("66 c8 10 00 01", 5);

	/* F6/F7: only test /0 and /1 have an immediate */
	LEN("f6 c0 7f", 3);
	LEN("f6 c8 7f", 3);
	LEN("f6 d0", 2);
	LEN("f6 f1", 2);
	LEN("f7 c0 78 56 34 12", 6);
	LEN("f7 c8 78 56 34 12", 6);
	LEN("66 f7 c0 34 12", 5);
	LEN("f7 d8", 2);
	LEN("48 f7 04 24 ff ff ff ff", 8);
	LEN("48 f7 3c 24", 4);

	/* ret iw / lret iw: always 16 bits */
	CHECK_EQ(dec(&in, "c2 08 00"), 0);
	CHECK_EQ(in.imm, 8);
	LEN("66 c2 08 00", 4);
	LEN("ca 10 00", 3);

	/* immediates are sign-extended: mask for unsigned uses */
	CHECK_EQ(dec(&in, "cd 80"), 0);
	CHECK_EQ((uint8_t)in.imm, 0x80);
	CHECK_EQ(dec(&in, "c2 ff ff"), 0);
	CHECK_EQ((uint16_t)in.imm, 0xffff);
	CHECK_EQ(dec(&in, "6a ff"), 0);
	CHECK_EQ(in.imm, -1);

	LEN("68 78 56 34 12", 5);
	LEN("66 68 34 12", 4);
	LEN("69 c0 78 56 34 12", 6);
	LEN("6b c0 05", 3);
	LEN("c0 e0 04", 3);
	LEN("c1 e0 04", 3);
	LEN("d1 e0", 2);
	LEN("e4 60", 2);
	LEN("a8 01", 2);
	LEN("a9 01 00 00 00", 5);
	LEN("c6 00 01", 3);
	LEN("c7 00 01 00 00 00", 6);
	LEN("48 c7 c0 ff ff ff ff", 7);
	LEN("80 38 00", 3);
	LEN("81 38 00 00 00 00", 6);
	LEN("83 38 00", 3);

	/* 0F map immediates */
	LEN("0f ba e0 05", 4);
	LEN("0f a4 c2 04", 4);
	LEN("0f ac c2 04", 4);
	LEN("66 0f 70 c0 1b", 5);
	LEN("66 0f 73 d8 08", 5);
	LEN("0f c2 c1 00", 4);
	LEN("0f c6 c1 00", 4);
	LEN("66 0f c4 c0 01", 5);
	LEN("66 0f 3a 0f c1 08", 6);
	LEN("66 0f 38 00 c1", 5);
	LEN("66 48 0f 3a 16 c0 01", 7);

	/* SSE4a extrq/insertq: two ib; vmread: none */
	CHECK_EQ(dec(&in, "66 0f 78 c0 04 08"), 0);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.imm, 4);
	CHECK_EQ(in.imm2, 8);
	LEN("f2 0f 78 c1 04 08", 6);
	LEN("66 0f 79 c1", 4);
	LEN("0f 78 c0", 3);
	BAD("66 0f 78 00 04 08", -EILSEQ);	/* registers only */
	BAD("f3 0f 78 c0", -EILSEQ);

	/* 3DNow!: ModRM, then the opcode suffix where an ib would be */
	CHECK_EQ(dec(&in, "0f 0f c1 b4"), 0);
	CHECK_EQ(in.encoding, INSN_ENC_3DNOW);
	CHECK_EQ(in.len, 4);
	CHECK_EQ((uint8_t)in.imm, 0xb4);
	LEN("0f 0f 44 24 08 9e", 6);
	LEN("0f 0f 05 00 00 00 00 9e", 8);
}

static void t_relative_branches(void)
{
	struct insn in;

	CHECK_EQ(dec(&in, "eb 05"), 0);
	CHECK_EQ(in.branch, INSN_BR_JMP_REL8);
	CHECK_EQ(in.target, ADDR + 7);
	CHECK_EQ(dec(&in, "eb fe"), 0);
	CHECK_EQ(in.target, ADDR);
	CHECK_EQ(dec(&in, "e9 fb ff ff ff"), 0);
	CHECK_EQ(in.branch, INSN_BR_JMP_REL32);
	CHECK_EQ(in.target, ADDR);
	CHECK_EQ(dec(&in, "e8 00 00 00 00"), 0);
	CHECK_EQ(in.branch, INSN_BR_CALL_REL32);
	CHECK_EQ(in.target, ADDR + 5);
	CHECK(in.flags & INSN_F_PUSH);
	CHECK_EQ(dec(&in, "74 10"), 0);
	CHECK_EQ(in.branch, INSN_BR_JCC_REL8);
	CHECK_EQ(in.target, ADDR + 0x12);
	CHECK_EQ(dec(&in, "0f 84 00 01 00 00"), 0);
	CHECK_EQ(in.branch, INSN_BR_JCC_REL32);
	CHECK_EQ(in.target, ADDR + 0x106);
	CHECK_EQ(in.imm_size, 4);
	CHECK_EQ(dec(&in, "e2 fe"), 0);
	CHECK_EQ(in.branch, INSN_BR_LOOP);
	CHECK_EQ(in.target, ADDR);
	CHECK_EQ(dec(&in, "e3 02"), 0);	/* jrcxz */
	CHECK_EQ(in.branch, INSN_BR_LOOP);
	CHECK_EQ(in.target, ADDR + 4);
	CHECK_EQ(dec(&in, "f2 e8 00 00 00 00"), 0);	/* bnd call */
	CHECK_EQ(in.target, ADDR + 6);

	/* 66 on near branches: rel32 as Intel does (objdump: rel16) */
	CHECK_EQ(dec(&in, "66 e8 00 00 00 00"), 0);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.target, ADDR + 6);
	LEN("66 e9 00 00 00 00", 6);
	LEN("66 0f 84 00 00 00 00", 7);
	LEN("66 eb 00", 3);

	/* xbegin: a relative abort target; iz, so 66 makes it rel16 */
	CHECK_EQ(dec(&in, "c7 f8 10 00 00 00"), 0);
	CHECK_EQ(in.branch, INSN_BR_XBEGIN);
	CHECK_EQ(in.target, ADDR + 0x16);
	CHECK_EQ(dec(&in, "66 c7 f8 10 00"), 0);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(in.target, ADDR + 0x15);
	CHECK_EQ(dec(&in, "c6 f8 ff"), 0);	/* xabort */
	CHECK_EQ(in.branch, INSN_BR_NONE);

	/* targets wrap like rip does */
	CHECK_EQ(dec_n(&in, "e8 00 00 00 80", -1, 0xffffffff81000000ull), 0);
	CHECK(in.target == 0xffffffff81000005ull - 0x80000000ull);
	CHECK_EQ(dec_n(&in, "eb 10", -1, 0xfffffffffffffff0ull), 0);
	CHECK(in.target == 0x2);
}

struct kind_case {
	const char *hex;
	enum insn_branch br;
};

static void t_branch_kinds(void)
{
	static const struct kind_case cases[] = {
		{ "ff d0", INSN_BR_CALL_IND },
		{ "ff 15 00 00 00 00", INSN_BR_CALL_IND },
		{ "41 ff d3", INSN_BR_CALL_IND },
		{ "ff e0", INSN_BR_JMP_IND },
		{ "3e ff e0", INSN_BR_JMP_IND },	/* notrack */
		{ "ff 25 00 00 00 00", INSN_BR_JMP_IND },
		{ "ff 18", INSN_BR_CALL_FAR },
		{ "ff 28", INSN_BR_JMP_FAR },
		{ "c3", INSN_BR_RET },
		{ "f3 c3", INSN_BR_RET },
		{ "c2 08 00", INSN_BR_RET_IMM },
		{ "cb", INSN_BR_RET_FAR },
		{ "48 cb", INSN_BR_RET_FAR },
		{ "ca 08 00", INSN_BR_RET_FAR_IMM },
		{ "cc", INSN_BR_INT3 },
		{ "cd 03", INSN_BR_INT },
		{ "f1", INSN_BR_INT1 },
		{ "cf", INSN_BR_IRET },
		{ "48 cf", INSN_BR_IRET },
		{ "0f 05", INSN_BR_SYSCALL },
		{ "0f 07", INSN_BR_SYSRET },
		{ "48 0f 07", INSN_BR_SYSRET },
		{ "0f 34", INSN_BR_SYSENTER },
		{ "0f 35", INSN_BR_SYSEXIT },
		{ "e0 fe", INSN_BR_LOOP },
		{ "e1 fe", INSN_BR_LOOP },
		{ "48 89 e5", INSN_BR_NONE },
		{ "ff 30", INSN_BR_NONE },		/* push */
	};
	struct insn in;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(dec(&in, cases[i].hex), 0);
		if (in.branch != cases[i].br)
			printf("    # %s\n", cases[i].hex);
		CHECK_EQ(in.branch, cases[i].br);
		if (in.branch != INSN_BR_LOOP)
			CHECK_EQ(in.target, 0);
	}
	BAD("ce", -EILSEQ);		/* into: invalid in 64-bit mode */
	BAD("ff d8", -EILSEQ);		/* far call needs memory */
	BAD("ff e8", -EILSEQ);
	BAD("ff f8", -EILSEQ);		/* ff /7 */
}

static void t_invalid(void)
{
	static const char *const inv64[] = {
		"06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f",
		"60", "61", "82 c0 01", "9a 00 00 00 00 00 00", "d4 0a", "d5 0a",
		"d6", "ea 00 00 00 00 00 00", "ce",
	};
	static const char *const undef[] = {
		"0f 04", "0f 0a", "0f 0c", "0f 24 c0", "0f 25 c0", "0f 26 c0",
		"0f 27 c0", "0f 36", "0f 39", "0f 3b", "0f 3c", "0f 3d", "0f 3e",
		"0f 3f", "0f 7a c0", "0f 7b c0", "0f b8 c0",
		"8d c0",		/* lea with a register */
		"c6 c8 00", "c7 c8 00 00 00 00", "fe 10", "fe 38",
		"8e c8",		/* mov to cs */
		"8e f0", "8c f8",	/* Sreg 6, 7 */
	};
	size_t i;

	for (i = 0; i < sizeof(inv64) / sizeof(inv64[0]); i++)
		BAD(inv64[i], -EILSEQ);
	for (i = 0; i < sizeof(undef) / sizeof(undef[0]); i++)
		BAD(undef[i], -EILSEQ);
	LEN("f3 0f b8 c0", 4);		/* popcnt */
	LEN("0f a7 c0", 3);		/* VIA xstore */
	LEN("8e d8", 2);		/* mov %eax,%ds */
	LEN("8c c8", 2);		/* mov %cs,%eax is fine */
	LEN("0f ff c0", 3);		/* ud0 has a ModRM */
	LEN("0f b9 40 10", 4);
	LEN("0f 0b", 2);

	/* VEX/EVEX/XOP after 66, F2, F3, F0 or REX is #UD */
	BAD("66 c5 f8 77", -EILSEQ);
	BAD("f3 c5 f8 77", -EILSEQ);
	BAD("f0 c5 f8 77", -EILSEQ);
	BAD("48 c5 f8 77", -EILSEQ);
	BAD("66 62 f1 7c 48 10 c0", -EILSEQ);
	LEN("2e c5 f8 77", 4);		/* segment and 67 are allowed */
	LEN("67 c5 f8 77", 4);
	/* bad maps, reserved bits */
	BAD("c4 e0 7d 00 c0", -EILSEQ);
	BAD("c4 e4 7d 00 c0", -EILSEQ);
	BAD("62 f9 7c 48 10 c0", -EILSEQ);	/* EVEX P0 bit 3 */
	BAD("62 f1 78 48 10 c0", -EILSEQ);	/* EVEX P1 bit 2 */
	BAD("62 f4 7c 48 10 c0", -EILSEQ);	/* map 4 */
	BAD("62 f7 7c 48 10 c0", -EILSEQ);
	BAD("8f e7 78 c0 c0", -EILSEQ);	/* XOP map 7 */
	BAD("8f 20", -EILSEQ);		/* 8f /4 with map 0 */
}

static void t_vex_evex_xop(void)
{
	struct insn in;

	CHECK_EQ(dec(&in, "c5 f9 6f c1"), 0);	/* vmovdqa %xmm1,%xmm0 */
	CHECK_EQ(in.encoding, INSN_ENC_VEX);
	CHECK_EQ(in.map, INSN_MAP_0F);
	CHECK_EQ(in.opcode, 0x6f);
	CHECK_EQ(in.opcode_offset, 2);
	CHECK_EQ(in.vex_pp, 1);
	CHECK_EQ(in.vex_l, 0);
	CHECK_EQ(in.vex_vvvv, 0);
	CHECK(!in.rex_r);
	CHECK_EQ(in.vex[0], 0xf9);
	CHECK_EQ(in.len, 4);

	CHECK_EQ(dec(&in, "c5 b0 58 c1"), 0);	/* vaddps %xmm1,%xmm9,%xmm0 */
	CHECK_EQ(in.vex_vvvv, 9);
	CHECK_EQ(dec(&in, "c5 78 58 c1"), 0);	/* VEX.R clear: xmm8 dest */
	CHECK(in.rex_r);

	CHECK_EQ(dec(&in, "c4 e2 7d 18 c0"), 0);	/* vbroadcastss %xmm0,%ymm0 */
	CHECK_EQ(in.map, INSN_MAP_0F38);
	CHECK_EQ(in.vex_l, 1);
	CHECK(!in.rex_w);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(dec(&in, "c4 c1 7d 18 c0"), 0);	/* map 1 here */
	CHECK(in.rex_b && !in.rex_x);
	CHECK_EQ(dec(&in, "c4 e3 fd 00 c1 1b"), 0);	/* vpermq $0x1b */
	CHECK_EQ(in.map, INSN_MAP_0F3A);
	CHECK(in.rex_w);
	CHECK_EQ(in.imm, 0x1b);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(dec(&in, "c5 f8 77"), 0);	/* vzeroupper: no ModRM */
	CHECK(!in.has_modrm);
	CHECK_EQ(in.len, 3);
	LEN("c5 fc 77", 3);
	LEN("c5 fd c6 c0 00", 5);	/* vshufpd: ib in map 1 */
	LEN("c5 fd 70 c0 00", 5);
	LEN("c5 f9 c5 c0 01", 5);
	LEN("c5 f8 92 c8", 4);		/* kmovw: ModRM, no ib */
	LEN("c4 e1 f9 90 c1", 5);

	CHECK_EQ(dec(&in, "62 f1 7c 48 10 c0"), 0);	/* vmovups %zmm0,%zmm0 */
	CHECK_EQ(in.encoding, INSN_ENC_EVEX);
	CHECK_EQ(in.map, INSN_MAP_0F);
	CHECK_EQ(in.vex_l, 2);
	CHECK_EQ(in.vex_vvvv, 0);
	CHECK_EQ(in.evex_aaa, 0);
	CHECK(!in.evex_z && !in.evex_b);
	CHECK_EQ(in.opcode_offset, 4);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(dec(&in, "62 f1 7c cd 10 c0"), 0);	/* {%k5}{z} */
	CHECK(in.evex_z);
	CHECK_EQ(in.evex_aaa, 5);
	CHECK_EQ(dec(&in, "62 81 7c 40 10 c0"), 0);
	CHECK(!in.rex_r && in.rex_x && in.rex_b && in.evex_r2);
	CHECK_EQ(in.vex_vvvv, 16);		/* V' */
	CHECK_EQ(dec(&in, "62 f1 7c 58 58 40 01"), 0);	/* {1to16}, disp8*N raw */
	CHECK(in.evex_b);
	CHECK_EQ(in.disp, 1);
	CHECK_EQ(in.disp_size, 1);
	CHECK_EQ(dec(&in, "62 f3 fd 48 00 c0 01"), 0);	/* vpermq zmm, ib */
	CHECK_EQ(in.map, INSN_MAP_0F3A);
	CHECK(in.rex_w);
	CHECK_EQ(in.len, 7);
	LEN("62 f1 7d 48 72 c0 05", 7);	/* map 1 shift with ib */
	LEN("62 f2 7d 48 18 c0", 6);
	LEN("62 f5 7c 48 58 c1", 6);		/* FP16 map 5 */
	LEN("62 f6 7d 48 2c c1", 6);		/* FP16 map 6 */
	CHECK_EQ(dec(&in, "62 f5 7c 48 58 c1"), 0);
	CHECK_EQ(in.map, INSN_MAP_EVEX5);

	/* 8F: pop when ModRM.reg is 0, XOP otherwise */
	CHECK_EQ(dec(&in, "8f 00"), 0);
	CHECK_EQ(in.encoding, INSN_ENC_LEGACY);
	CHECK(in.flags & INSN_F_POP);
	CHECK_EQ(in.len, 2);
	LEN("8f c0", 2);
	LEN("41 8f 44 24 08", 5);
	CHECK_EQ(dec(&in, "8f e8 78 c0 c1 05"), 0);	/* vprotb $5: map 8 ib */
	CHECK_EQ(in.encoding, INSN_ENC_XOP);
	CHECK_EQ(in.map, INSN_MAP_XOP8);
	CHECK_EQ(in.imm, 5);
	CHECK_EQ(in.len, 6);
	LEN("8f e9 78 90 c0", 5);			/* map 9: none */
	CHECK_EQ(dec(&in, "8f ea 78 10 c0 78 56 34 12"), 0);	/* bextr: map A id */
	CHECK_EQ(in.imm, 0x12345678);
	CHECK_EQ(in.len, 9);
}

/* Every proper prefix of a valid instruction is -ENODATA. */
static void t_truncated(void)
{
	static const char *const insns[] = {
		"48 b8 88 77 66 55 44 33 22 11",
		"66 2e 0f 1f 84 00 00 00 00 00",
		"62 f1 7c 48 10 84 24 00 01 00 00",
		"c4 e3 fd 00 84 24 00 01 00 00 1b",
		"c5 fa 6f 05 10 00 00 00",
		"a1 88 77 66 55 44 33 22 11",
		"c8 10 00 01",
		"0f 0f 44 24 08 9e",
		"8f ea 78 10 c0 78 56 34 12",
		"f7 84 24 00 01 00 00 78 56 34 12",
		"66 0f 3a 0f 44 24 08 01",
		"66 0f 78 c0 04 08",
		"0f 84 00 01 00 00",
		"8f 44 24 08",
	};
	struct insn in;
	size_t i, n;
	uint8_t tmp[32];
	long k;

	for (i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		n = parse_hex(insns[i], tmp);
		CHECK_EQ(dec(&in, insns[i]), 0);
		CHECK_EQ(in.len, n);
		for (k = 0; k < (long)n; k++) {
			if (dec_n(&in, insns[i], k, ADDR) != -ENODATA)
				printf("    # %s truncated to %ld\n", insns[i], k);
			CHECK_EQ(dec_n(&in, insns[i], k, ADDR), -ENODATA);
			CHECK_EQ(in.len, 0);
		}
	}
	CHECK_EQ(insn_decode(&in, (const uint8_t *)"", 0, 0), -ENODATA);
}

static void t_length_limit(void)
{
	struct insn in;

	/* 14 prefixes + opcode: exactly 15 bytes is fine */
	LEN("66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15);
	LEN("26 2e 36 3e 64 65 26 2e 36 3e 64 65 48 89 c0", 15);
	/* 16 bytes is #UD, even when the buffer is 15 bytes long */
	BAD("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", -EILSEQ);
	CHECK_EQ(dec_n(&in, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, 0),
		 -EILSEQ);
	/* a legal-looking instruction that ends past byte 15 */
	BAD("66 66 66 66 66 66 66 48 c7 84 24 00 01 00 00 78 56 34 12", -EILSEQ);
	BAD("f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 f0 ff 00", -EILSEQ);
	/* but with too few bytes to know, it is -ENODATA */
	CHECK_EQ(dec_n(&in, "66 66 66 66 66 66 66 48 c7 84 24 00 01 00 00 78", 12, 0),
		 -ENODATA);
}

static void t_flags(void)
{
	static const struct {
		const char *hex;
		uint32_t set;
	} cases[] = {
		{ "55", INSN_F_PUSH }, { "5d", INSN_F_POP },
		{ "6a 01", INSN_F_PUSH }, { "ff 34 24", INSN_F_PUSH },
		{ "8f 04 24", INSN_F_POP },
		{ "9c", INSN_F_PUSH | INSN_F_PUSHF },
		{ "9d", INSN_F_POP | INSN_F_POPF | INSN_F_IF },
		{ "c8 10 00 00", INSN_F_ENTER | INSN_F_PUSH },
		{ "c9", INSN_F_LEAVE | INSN_F_POP },
		{ "e8 00 00 00 00", INSN_F_PUSH }, { "ff d0", INSN_F_PUSH },
		{ "c3", INSN_F_POP }, { "c2 08 00", INSN_F_POP },
		{ "0f a0", INSN_F_PUSH }, { "0f a9", INSN_F_POP | INSN_F_SEG },
		{ "fa", INSN_F_IF }, { "fb", INSN_F_IF },
		{ "48 cf", INSN_F_IF | INSN_F_POPF | INSN_F_SERIAL },
		{ "f4", INSN_F_HLT | INSN_F_PRIV },
		{ "0f 20 d8", INSN_F_CRDR | INSN_F_PRIV },
		{ "0f 22 d8", INSN_F_CRDR | INSN_F_PRIV | INSN_F_SERIAL },
		{ "0f 21 f8", INSN_F_CRDR | INSN_F_PRIV },
		{ "0f 23 f8", INSN_F_CRDR | INSN_F_PRIV | INSN_F_SERIAL },
		{ "0f 01 15 00 00 00 00", INSN_F_PRIV | INSN_F_SERIAL },	/* lgdt */
		{ "0f 01 18", INSN_F_PRIV | INSN_F_SERIAL },		/* lidt */
		{ "0f 00 d8", INSN_F_PRIV | INSN_F_SERIAL },		/* ltr */
		{ "0f 00 10", INSN_F_PRIV | INSN_F_SERIAL },		/* lldt */
		{ "0f 30", INSN_F_PRIV | INSN_F_SERIAL },		/* wrmsr */
		{ "0f 32", INSN_F_PRIV },				/* rdmsr */
		{ "e4 60", INSN_F_IO | INSN_F_PRIV }, { "ee", INSN_F_IO },
		{ "f3 6c", INSN_F_IO | INSN_F_REP },
		{ "0f a2", INSN_F_SERIAL },				/* cpuid */
		{ "0f 08", INSN_F_PRIV | INSN_F_SERIAL },		/* invd */
		{ "0f 09", INSN_F_PRIV | INSN_F_SERIAL },		/* wbinvd */
		{ "0f 01 38", INSN_F_PRIV | INSN_F_SERIAL },		/* invlpg */
		{ "0f 06", INSN_F_PRIV },				/* clts */
		{ "0f 01 c1", INSN_F_VIRT },				/* vmcall */
		{ "0f 01 c4", INSN_F_VIRT },				/* vmxoff */
		{ "0f 01 d8", INSN_F_VIRT },				/* vmrun */
		{ "0f 01 dd", INSN_F_VIRT },				/* clgi */
		{ "66 0f 38 80 08", INSN_F_VIRT },			/* invept */
		{ "0f 78 c0", INSN_F_VIRT }, { "0f 79 c0", INSN_F_VIRT },
		{ "f3 0f c7 30", INSN_F_VIRT },				/* vmxon */
		{ "0f c7 38", INSN_F_VIRT },				/* vmptrst */
		{ "0f 37", INSN_F_VIRT },				/* getsec */
		{ "8e d0", INSN_F_MOV_SS | INSN_F_SEG },
		{ "8e d8", INSN_F_SEG }, { "0f b2 00", INSN_F_SEG },
		{ "0f 01 f8", INSN_F_GSBASE | INSN_F_PRIV },		/* swapgs */
		{ "f3 48 0f ae d8", INSN_F_GSBASE },			/* wrgsbase */
		{ "f3 48 0f ae d0", INSN_F_SEG },			/* wrfsbase */
		{ "0f 0b", INSN_F_UD }, { "0f b9 c0", INSN_F_UD },
		{ "0f ff c0", INSN_F_UD },
		{ "90", INSN_F_NOP }, { "66 90", INSN_F_NOP },
		{ "0f 1f 00", INSN_F_NOP }, { "0f 1f 44 00 00", INSN_F_NOP },
		{ "66 0f 1f 44 00 00", INSN_F_NOP },
		{ "f3 0f 1e fa", INSN_F_NOP }, { "f3 0f 1e fb", INSN_F_NOP },
		{ "d9 c9", INSN_F_X87 }, { "9b", INSN_F_X87 },
		{ "dd 05 00 00 00 00", INSN_F_X87 },
		{ "f3 a4", INSN_F_REP }, { "f3 48 ab", INSN_F_REP },
		{ "f2 ae", INSN_F_REP },
		{ "0f aa", INSN_F_RSM },
		{ "0f 01 e8", INSN_F_SERIAL },				/* serialize */
		{ "48 0f c7 1f", INSN_F_PRIV },				/* xrstors64 */
	};
	static const struct {
		const char *hex;
		uint32_t clear;
	} not_set[] = {
		{ "41 90", INSN_F_NOP }, { "f3 90", INSN_F_NOP },
		{ "0f 1f c8", INSN_F_NOP }, { "f3 0f 1e c8", INSN_F_NOP },
		{ "a4", INSN_F_REP }, { "f3 0f ae c0", INSN_F_GSBASE },
		{ "0f 01 d0", INSN_F_PRIV }, { "48 89 e5", ~0u },
		{ "c5 f8 77", ~0u }, { "0f 31", ~0u },
	};
	struct insn in;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(dec(&in, cases[i].hex), 0);
		if ((in.flags & cases[i].set) != cases[i].set)
			printf("    # %s: flags %#x, want %#x\n", cases[i].hex,
			       in.flags, cases[i].set);
		CHECK_EQ(in.flags & cases[i].set, cases[i].set);
	}
	for (i = 0; i < sizeof(not_set) / sizeof(not_set[0]); i++) {
		CHECK_EQ(dec(&in, not_set[i].hex), 0);
		if (in.flags & not_set[i].clear)
			printf("    # %s: flags %#x\n", not_set[i].hex, in.flags);
		CHECK_EQ(in.flags & not_set[i].clear, 0);
	}
}

/* A failed decode leaves len 0; a good one leaves no stale fields. */
static void t_no_stale_state(void)
{
	struct insn in;

	memset(&in, 0xa5, sizeof(in));
	CHECK_EQ(dec(&in, "06"), -EILSEQ);
	CHECK_EQ(in.len, 0);
	memset(&in, 0xa5, sizeof(in));
	CHECK_EQ(dec(&in, "c3"), 0);
	CHECK(!in.has_modrm && !in.has_sib && !in.rip_relative && !in.opsize);
	CHECK_EQ(in.disp_size + in.imm_size + in.imm2_size + in.rex + in.seg, 0);
	CHECK_EQ(in.addr, ADDR);
	CHECK_EQ(insn_probe_class(&in, NULL), INSN_CLASS_EMULATE);
}

static void t_opcode_attr(void)
{
	CHECK(insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, 0x66) & INSN_A_PREFIX);
	CHECK(insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, 0x4f) & INSN_A_REX);
	CHECK(insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, 0x27) & INSN_A_INV64);
	CHECK(insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_0F, 0x04) & INSN_A_UNDEF);
	CHECK_EQ(insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_0F, 0x80) & INSN_A_IMM_MASK,
		 INSN_A_REL32);
	CHECK_EQ(insn_opcode_attr(INSN_ENC_VEX, INSN_MAP_0F, 0x80), INSN_A_MODRM);
	CHECK_EQ(insn_opcode_attr(INSN_ENC_VEX, INSN_MAP_0F, 0x77), 0);
	CHECK_EQ(insn_opcode_attr(INSN_ENC_EVEX, INSN_MAP_0F3A, 0x00),
		 INSN_A_MODRM | INSN_A_IB);
	CHECK(insn_opcode_attr(INSN_ENC_XOP, (enum insn_map)4, 0) & INSN_A_UNDEF);
}

int main(void)
{
	RUN(t_legacy_prefixes);
	RUN(t_rex);
	RUN(t_modrm_sib_disp);
	RUN(t_rip_relative);
	RUN(t_immediates);
	RUN(t_relative_branches);
	RUN(t_branch_kinds);
	RUN(t_invalid);
	RUN(t_vex_evex_xop);
	RUN(t_truncated);
	RUN(t_length_limit);
	RUN(t_flags);
	RUN(t_no_stale_state);
	RUN(t_opcode_attr);
	return check_done();
}
