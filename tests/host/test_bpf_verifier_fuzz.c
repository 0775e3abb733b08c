/*
 * Random and mutated programs never crash the verifier (ASan/UBSan catch
 * the memory and arithmetic faults) and each answer comes within its
 * complexity limit. A fixed seed keeps every run the same.
 */
#include <stdio.h>
#include "check.h"
#include "bpf_verifier_host.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Opcodes worth trying: every valid class/op/size mix and some that are not. */
static uint8_t rnd_code(void)
{
	static const uint8_t common[] = {
		0xb7, 0xbf, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x57, 0x67, 0x77, 0xc7, 0x37, 0x97,
		0x04, 0x0c, 0xb4, 0xbc, 0x54, 0x61, 0x69, 0x71, 0x79, 0x62, 0x6a, 0x72, 0x7a,
		0x63, 0x6b, 0x73, 0x7b, 0xdb, 0xc3, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d,
		0x45, 0x55, 0x5d, 0x65, 0xa5, 0xad, 0xb5, 0xc5, 0x16, 0x1e, 0x26, 0x85, 0x95,
		0x18, 0xd4, 0xdc, 0xd7, 0x87, 0x81, 0x89, 0x91,
	};

	if (rnd() % 8 == 0)
		return rnd();
	return common[rnd() % sizeof(common)];
}

static void rnd_insn(struct bpf_insn *in, uint32_t len)
{
	in->code = rnd_code();
	in->dst_reg = rnd() % 11;
	in->src_reg = rnd() % 16 < 14 ? rnd() % 11 : rnd() % 16;
	in->off = rnd() % 4 ? (int16_t)((int)(rnd() % (2 * len)) - (int)len) : (int16_t)rnd();
	in->imm = rnd() % 4 ? (int32_t)(rnd() % 64) - 8 : (int32_t)rnd();
	if (BPF_CLASS(in->code) == BPF_LDX || BPF_CLASS(in->code) == BPF_STX ||
	    BPF_CLASS(in->code) == BPF_ST)
		in->off = -(int16_t)(rnd() % 64);
	if (in->code == 0x85 && rnd() % 2)
		in->imm = (int32_t[]){ 1, 2, 3, 5, 12, 44, 113, 131, 132 }[rnd() % 9];
}

static const char *last_line_of(const char *log)
{
	const char *end = log + strlen(log), *p;

	while (end > log && end[-1] == '\n')
		end--;
	for (p = end; p > log && p[-1] != '\n'; p--)
		;
	return p;
}

static void t_random(void)
{
	struct bpf_insn prog[64];
	char log[256];
	int accepted = 0;

	for (int n = 0; n < 20000; n++) {
		uint32_t len = 2 + rnd() % 62;
		struct bpf_verify_opts o = { .insn_limit = 20000, .log_level = n % 50 == 0 };
		struct bpf_prog *p;
		int err;

		for (uint32_t i = 0; i < len; i++)
			rnd_insn(&prog[i], len);
		prog[len - 1] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
		p = test_prog(n % 2 ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_KPROBE, prog, len);
		err = bpf_verify_opts(p, &o, log, sizeof(log));
		CHECK(o.insn_processed <= 20001);
		if (!err)
			accepted++;
		else
			CHECK(strncmp(last_line_of(log), "insn ", 5) == 0);
		test_prog_free(p);
	}
	printf("    # %d of 20000 random programs accepted\n", accepted);
}

/* Valid programs with one to three fields changed: most stay close to valid. */
static const struct bpf_insn base_pkt[] = {
	LDX(W, 2, 1, 0), LDX(W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 34),
	JMP_REG(JGT, 4, 3, 11), LDX(B, 5, 2, 14), ALU64_IMM(AND, 5, 0xf), ALU64_IMM(LSH, 5, 2),
	ALU64_REG(ADD, 5, 2), MOV64_REG(6, 5), ALU64_IMM(ADD, 6, 22), JMP_REG(JGT, 6, 3, 4),
	LDX(H, 0, 5, 16), ALU64_IMM(AND, 0, 1), MOV64_IMM(0, 2), EXIT(), MOV64_IMM(0, 1), EXIT(),
};
static const struct bpf_insn base_map[] = {
	ST(W, 10, -4, 0), LD_MAP(1, 1), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4), CALL(1),
	JMP_IMM(JEQ, 0, 0, 6), LDX(W, 2, 0, 0), ALU64_IMM(AND, 2, 3), ALU64_IMM(LSH, 2, 2),
	ALU64_REG(ADD, 0, 2), LDX(W, 0, 0, 0), EXIT(), MOV64_IMM(0, 0), EXIT(),
};
static const struct bpf_insn base_loop[] = {
	MOV64_IMM(0, 0), MOV64_IMM(1, 0), MOV64_REG(1, 10), ALU64_IMM(ADD, 1, -8),
	ST(DW, 1, 0, 3), CALL_REL(4), ALU64_IMM(ADD, 0, 1), JMP_IMM(JLT, 0, 50, -3), EXIT(),
	EXIT(), LDX(DW, 0, 1, 0), EXIT(),
};

static void t_mutated(void)
{
	static const struct { const struct bpf_insn *p; uint32_t len; } bases[] = {
		{ base_pkt, sizeof(base_pkt) / sizeof(base_pkt[0]) },
		{ base_map, sizeof(base_map) / sizeof(base_map[0]) },
		{ base_loop, sizeof(base_loop) / sizeof(base_loop[0]) },
	};
	struct bpf_insn prog[32];
	char log[256];
	int accepted = 0;

	for (int n = 0; n < 30000; n++) {
		uint32_t b = rnd() % 3, len = bases[b].len;
		struct bpf_verify_opts o = { .insn_limit = 50000 };
		struct bpf_prog *p;

		memcpy(prog, bases[b].p, len * sizeof(prog[0]));
		for (uint32_t k = 1 + rnd() % 3; k; k--) {
			struct bpf_insn *in = &prog[rnd() % len], r;

			rnd_insn(&r, len);
			switch (rnd() % 5) {
			case 0: in->code = r.code; break;
			case 1: in->dst_reg = r.dst_reg; break;
			case 2: in->src_reg = r.src_reg; break;
			case 3: in->off = rnd() % 2 ? in->off + (int)(rnd() % 5) - 2 : r.off; break;
			default: in->imm = rnd() % 2 ? in->imm + (int)(rnd() % 9) - 4 : r.imm; break;
			}
		}
		p = test_prog(b == 2 ? BPF_PROG_TYPE_KPROBE : BPF_PROG_TYPE_XDP, prog, len);
		if (!bpf_verify_opts(p, &o, log, sizeof(log)))
			accepted++;
		else
			CHECK(strncmp(last_line_of(log), "insn ", 5) == 0);
		CHECK(o.insn_processed <= 50001);
		test_prog_free(p);
	}
	printf("    # %d of 30000 mutated programs accepted\n", accepted);
	CHECK(accepted > 0);
}

int main(void)
{
	RUN(t_random);
	RUN(t_mutated);
	return check_done();
}
