/*
 * bpf_check_basic(): a table of programs it must refuse, each with the
 * instruction and reason it must name, and some it must accept; then
 * random programs (ASan/UBSan build) through the check and a checked run:
 * nothing crashes, and whatever runs touches only its stack and the one
 * region it was given (a canary around that region must survive).
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "bpf.h"
#include "bpf_asm.h"
#include "kerrno.h"

static uint64_t helper_zero(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return 0;
}

static const bpf_helper_fn helpers[8] = { [1] = helper_zero, [5] = helper_zero };

static int check_words(struct bpf_insn *insns, int n, char *log, size_t size)
{
	struct bpf_prog prog = { .insnsi = insns, .len = (uint32_t)n,
				 .helpers = helpers, .nr_helpers = 8 };

	return bpf_check_basic(&prog, log, size);
}

static int check_asm(const char *src, char *log, size_t size)
{
	static struct bpf_insn insns[64];
	int n = bpf_asm(src, insns, 64, log, size);

	return n < 0 ? -1000 : check_words(insns, n, log, size);
}

static const struct { const char *src, *why; } refused[] = {
	{ "mov %r0, 1\n", "insn 0: last instruction of a function is not an exit or a jump" },
	{ "mov %r10, 1\nexit\n", "insn 0: frame pointer is read only" },
	{ "div %r0, 0\nexit\n", "insn 0: division by zero" },
	{ "mod32 %r0, 0\nexit\n", "insn 0: division by zero" },
	{ "ja +5\nexit\n", "insn 0: jump out of range" },
	{ "jeq %r0, 0, -3\nexit\n", "insn 0: jump out of range" },
	{ "lddw %r0, 1\nja -2\nexit\n", "insn 2: jump out of range" },
	{ "call 99\nexit\n", "insn 0: unknown helper" },
	{ "call 3\nexit\n", "insn 0: unknown helper" },
	{ "call local f\nexit\nf:\ncall local f\nexit\n", "insn 2: recursive call" },
	{ "call local f\nexit\nf:\nja +1\nexit\nmov %r0, 0\nexit\n", NULL },
	{ "call local f\nexit\nf:\njeq %r1, 0, -3\nexit\n", "insn 2: jump out of its function" },
	{ "call local a\nexit\na:\ncall local b\nexit\nb:\ncall local c\nexit\nc:\ncall local d\nexit\n"
	  "d:\ncall local e\nexit\ne:\ncall local f\nexit\nf:\ncall local g\nexit\ng:\nexit\n", NULL },
	{ "call local a\nexit\na:\ncall local b\nexit\nb:\ncall local c\nexit\nc:\ncall local d\nexit\n"
	  "d:\ncall local e\nexit\ne:\ncall local f\nexit\nf:\ncall local g\nexit\ng:\ncall local h\n"
	  "exit\nh:\nexit\n", "insn 16: call stack too deep" },
	{ "ldxdw %r10, [%r1]\nexit\n", "insn 0: frame pointer is read only" },
	{ "stdw [%r10-8], 1\nexit\n", NULL },
	{ "call 12\nexit\n", NULL },
};

static void t_refusals(void)
{
	char log[128];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int err = check_asm(refused[i].src, log, sizeof(log));

		if (!refused[i].why) {
			if (err)
				printf("    # case %zu refused: %s\n", i, log);
			CHECK_EQ(err, 0);
			continue;
		}
		CHECK_EQ(err, -EINVAL);
		if (err == -EINVAL && strcmp(log, refused[i].why))
			printf("    # case %zu: \"%s\", expected \"%s\"\n", i, log, refused[i].why);
		CHECK(err != -EINVAL || !strcmp(log, refused[i].why));
	}
}

/* Encodings the assembler cannot write. */
static void t_bad_words(void)
{
	static const struct { struct bpf_insn insn; const char *why; } words[] = {
		{ { 0xff, 0, 0, 0, 0 }, "insn 0: invalid alu opcode" },
		{ { 0xf5, 0, 0, 0, 0 }, "insn 0: invalid jmp opcode" },
		{ { BPF_ALU64 | 0xe0, 0, 0, 0, 0 }, "insn 0: invalid alu opcode" },
		{ { BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 0 }, "insn 0: invalid register" },
		{ { BPF_ALU64 | BPF_ADD | BPF_X, 0, 12, 0, 0 }, "insn 0: invalid register" },
		{ { BPF_ALU64 | BPF_ADD | BPF_K, 0, 1, 0, 0 }, "insn 0: reserved field (src) is not zero" },
		{ { BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 3, 0 }, "insn 0: reserved field (off) is not zero" },
		{ { BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 12, 0 }, "insn 0: invalid movsx width" },
		{ { BPF_ALU | BPF_MOV | BPF_X, 0, 1, 32, 0 }, "insn 0: invalid movsx width" },
		{ { BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16 }, "insn 0: invalid byte swap" },
		{ { BPF_ALU | BPF_END, 0, 0, 0, 8 }, "insn 0: invalid byte swap width" },
		{ { BPF_ALU64 | BPF_DIV | BPF_X, 0, 1, 2, 0 }, "insn 0: invalid signedness in div/mod" },
		{ { BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0 },
		  "insn 0: legacy packet loads (BPF_ABS, BPF_IND) are not supported" },
		{ { BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0 }, "insn 0: invalid ldx opcode" },
		{ { BPF_STX | BPF_ATOMIC | BPF_B, 1, 2, 0, BPF_ADD }, "insn 0: invalid stx opcode" },
		{ { BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, 0x20 }, "insn 0: invalid atomic operation" },
		{ { BPF_JMP32 | BPF_CALL, 0, 0, 0, 1 }, "insn 0: invalid jmp32 opcode" },
		{ { BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0 }, "insn 0: invalid exit" },
		{ { BPF_JMP | BPF_CALL, 0, 2, 0, 1 }, "insn 0: unsupported call kind" },
		{ { BPF_LD | BPF_IMM | BPF_DW, 0, 1, 0, 0 }, "insn 0: unknown map" },
		{ { BPF_LD | BPF_IMM | BPF_DW, 0, 4, 0, 0 }, "insn 0: unsupported lddw form" },
	};
	struct bpf_insn prog[3];
	char log[128];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int err;

		memset(prog, 0, sizeof(prog));
		prog[0] = words[i].insn;
		prog[2].code = BPF_JMP | BPF_EXIT;
		err = check_words(prog, 3, log, sizeof(log));
		CHECK_EQ(err, -EINVAL);
		if (strcmp(log, words[i].why))
			printf("    # word %zu: \"%s\", expected \"%s\"\n", i, log, words[i].why);
		CHECK(!strcmp(log, words[i].why));
	}
	memset(prog, 0, sizeof(prog));
	prog[0].code = BPF_LD | BPF_IMM | BPF_DW;
	prog[1].code = BPF_JMP | BPF_EXIT;	/* a second half must be all zero but imm */
	prog[2].code = BPF_JMP | BPF_EXIT;
	CHECK_EQ(check_words(prog, 3, log, sizeof(log)), -EINVAL);
	CHECK_STR(log, "insn 0: invalid second half of lddw");
	CHECK_EQ(check_words(prog, 1, log, sizeof(log)), -EINVAL);
	CHECK_STR(log, "insn 0: lddw is missing its second half");
	CHECK_EQ(check_words(prog, 0, log, sizeof(log)), -EINVAL);
	CHECK_STR(log, "insn 0: empty program");
}

/* The checked run refuses what a trusted run would do blindly. */
static void t_checked_run_bounds(void)
{
	static const struct { const char *src; int err; } runs[] = {
		{ "ldxdw %r0, [%r1+0]\nexit\n", 0 },
		{ "ldxdw %r0, [%r1+1]\nexit\n", -EFAULT },
		{ "ldxb %r0, [%r1-1]\nexit\n", -EFAULT },
		{ "stb [%r10+0], 1\nexit\n", -EFAULT },
		{ "stb [%r10-512], 1\nmov %r0, 0\nexit\n", 0 },
		{ "stb [%r10-513], 1\nexit\n", -EFAULT },
		{ "stdw [%r1+0], 1\nexit\n", -EFAULT },	/* read-only region */
		{ "lock add [%r1+0], %r2\nexit\n", -EFAULT },
		{ "ldxdw %r0, [%r2+0]\nexit\n", -EFAULT },
		{ "l:\nja l\n", -E2BIG },
		{ "mov %r3, 5\ncall %r3\nmov %r3, 4\ncall %r3\nexit\n", -EFAULT },
	};
	static struct bpf_insn insns[16];
	uint64_t mem = 0x1122334455667788ull, r0;
	struct bpf_region rg = { (uintptr_t)&mem, (uintptr_t)(&mem + 1), false };
	char err[128];

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct bpf_checked_run cr = { .regions = &rg, .nr_regions = 1, .insn_budget = 1000 };
		struct bpf_prog prog = { .insnsi = insns, .helpers = helpers, .nr_helpers = 8 };
		int n = bpf_asm(runs[i].src, insns, 16, err, sizeof(err)), e;

		prog.len = (uint32_t)n;
		CHECK(n > 0);
		CHECK_EQ(bpf_check_basic(&prog, err, sizeof(err)), 0);
		e = bpf_prog_run_checked(&prog, (uintptr_t)&mem, 0x1000, &cr, &r0);
		if (e != runs[i].err)
			printf("    # run %zu: %d, expected %d\n", i, e, runs[i].err);
		CHECK_EQ(e, runs[i].err);
	}
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * Mostly plausible instructions (real opcodes, reserved fields zero, small
 * registers, offsets and immediates) so that many programs pass the check;
 * now and then a raw random word.
 */
static void random_insn(struct bpf_insn *in, int pc, int len)
{
	static const uint8_t classes[] = { BPF_ALU, BPF_ALU64, BPF_ALU64, BPF_JMP, BPF_JMP32,
					   BPF_LDX, BPF_ST, BPF_STX };
	uint64_t r = rnd();
	uint8_t cls;

	memset(in, 0, sizeof(*in));
	if (r % 64 == 0) {
		r = rnd();
		memcpy(in, &r, sizeof(*in));
		return;
	}
	cls = classes[r % sizeof(classes)];
	in->code = cls | (uint8_t)((r >> 8) & 0xf8);
	in->dst_reg = (r >> 16) % 11;
	in->src_reg = (r >> 20) % 11;
	in->off = (int16_t)((int)((r >> 24) % 40) - 20);
	in->imm = (r >> 32) % 4 == 0 ? (int32_t)(r >> 32) : (int32_t)((r >> 40) % 130) - 64;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		in->dst_reg %= 10;
		in->off = BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD ?
			  (int16_t)((r >> 50) & 1) : 0;
		if (BPF_OP(in->code) == BPF_END)
			in->imm = 16 << ((r >> 52) % 3);
		if (BPF_SRC(in->code) == BPF_X && BPF_OP(in->code) != BPF_END)
			in->imm = 0;
		else
			in->src_reg = 0;
		break;
	case BPF_JMP:
	case BPF_JMP32:
		in->off = (int16_t)((int)(rnd() % len) - pc - 1);
		if (BPF_OP(in->code) == BPF_CALL && (r & 1)) {	/* a bpf-to-bpf call */
			in->code = BPF_JMP | BPF_CALL;
			in->dst_reg = 0;
			in->src_reg = BPF_PSEUDO_CALL;
			in->imm = in->off;
			in->off = 0;
		} else if (BPF_SRC(in->code) == BPF_X)
			in->imm = 0;
		else
			in->src_reg = 0;
		break;
	case BPF_LDX:
		in->dst_reg %= 10;
		in->imm = 0;
		break;
	case BPF_ST:
		in->src_reg = 0;
		break;
	default:	/* BPF_STX */
		in->imm = BPF_MODE(in->code) == BPF_ATOMIC ? (int32_t)(rnd() % 0x100) : 0;
		break;
	}
}

static void t_fuzz(void)
{
	enum { LEN = 24, MEM = 64, ROUNDS = 1000000 };
	static struct bpf_insn insns[LEN];
	static uint8_t buf[MEM + 32];
	unsigned int accepted = 0, ran = 0, faulted = 0;
	char log[128];

	for (int round = 0; round < ROUNDS; round++) {
		struct bpf_region rg = { (uintptr_t)buf + 16, (uintptr_t)buf + 16 + MEM, true };
		struct bpf_checked_run cr = { .regions = &rg, .nr_regions = 1, .insn_budget = 4096 };
		int len = 2 + (int)(rnd() % (rnd() % 2 ? 6 : LEN - 2));
		uint64_t r0;
		int e;

		for (int i = 0; i < len; i++)
			random_insn(&insns[i], i, len);
		memset(&insns[len - 1], 0, sizeof(insns[0]));
		insns[len - 1].code = BPF_JMP | BPF_EXIT;
		if (check_words(insns, len, log, sizeof(log)))
			continue;
		accepted++;
		memset(buf, 0xa5, sizeof(buf));
		e = bpf_prog_run_checked(&(struct bpf_prog){ .insnsi = insns, .len = (uint32_t)len,
				.helpers = helpers, .nr_helpers = 8 }, rg.start, MEM, &cr, &r0);
		if (e == 0)
			ran++;
		else
			faulted++;
		for (int i = 0; i < 16; i++) {
			if (buf[i] != 0xa5 || buf[16 + MEM + i] != 0xa5) {
				printf("    # round %d wrote outside its region\n", round);
				check_failed_now = 1;
				return;
			}
		}
	}
	printf("    # %d random programs: %u passed the check, %u ran to exit, %u stopped\n",
	       ROUNDS, accepted, ran, faulted);
	CHECK(accepted > 10000);
	CHECK(ran > 1000);
}

int main(void)
{
	RUN(t_refusals);
	RUN(t_bad_words);
	RUN(t_checked_run_bounds);
	RUN(t_fuzz);
	return check_done();
}
