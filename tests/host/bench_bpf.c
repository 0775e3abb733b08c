/*
 * Interpreter throughput on the host (make bench): a loop of ALU, memory
 * and branch instructions run by the trusted interpreter, reported as
 * eBPF instructions per second and nanoseconds per instruction.
 */
#include <stdio.h>
#include <time.h>
#include "bpf.h"

#define INSN(c, d, s, o, i)	((struct bpf_insn){ (c), (d), (s), (o), (i) })
#define ITERS			1000000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	/* r0 = 0; r1 = ITERS; loop: r0 += r1; r0 ^= 0x55; [fp-8] = r0; r2 = [fp-8]; r1 -= 1; if r1 != 0 goto loop */
	struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, ITERS),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0),
		INSN(BPF_ALU64 | BPF_XOR | BPF_K, 0, 0, 0, 0x55),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_FP, 0, -8, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 2, BPF_REG_FP, -8, 0),
		INSN(BPF_ALU64 | BPF_SUB | BPF_K, 1, 0, 0, 1),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, -6, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_prog prog = { .insnsi = insns, .len = 9 };
	char log[96];
	double t0, t, best = 1e9;
	uint64_t r = 0;

	if (bpf_check_basic(&prog, log, sizeof(log))) {
		printf("bench_bpf: %s\n", log);
		return 1;
	}
	for (int round = 0; round < 5; round++) {
		t0 = now();
		r += bpf_prog_run(&prog, NULL);
		t = now() - t0;
		if (t < best)
			best = t;
	}
	printf("# %d loop iterations of 6 instructions, best of 5 (r0 %llu)\n", ITERS,
	       (unsigned long long)(r & 1));
	printf("bench: bpf_interp=%.0f insn/s\n", ITERS * 6.0 / best);
	return 0;
}
