/*
 * The verifier against a table of programs it must accept and must refuse,
 * each refusal checked for its instruction and its reason; and the XDP
 * context rewrite, jumps moved across a load that became two instructions.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "bpf_verifier_host.h"
#include "ptregs.h"
#include "xdp.h"

struct vcase {
	const char *name;
	enum bpf_prog_type type;
	const struct bpf_insn *insns;
	uint32_t len;
	int insn;		/* -1: must be accepted */
	const char *why;
};

#define P(...)	((const struct bpf_insn[]){ __VA_ARGS__ }), \
	sizeof((const struct bpf_insn[]){ __VA_ARGS__ }) / sizeof(struct bpf_insn)
#define XDP	BPF_PROG_TYPE_XDP
#define KPROBE	BPF_PROG_TYPE_KPROBE
#define OK	-1, NULL

/* r2 = data, r3 = data_end */
#define PKT_PTRS	LDX(W, 2, 1, 0), LDX(W, 3, 1, 4)
/* r0 = map_lookup_elem(map, &key 0 at fp-4) */
#define LOOKUP(map)	ST(W, 10, -4, 0), LD_MAP(1, map), MOV64_REG(2, 10), \
			ALU64_IMM(ADD, 2, -4), CALL(1)

static const struct vcase cases[] = {
	{ "drop_all", XDP, P(MOV64_IMM(0, XDP_DROP), EXIT()), OK },
	{ "eth_proto_after_data_end_check", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 14),
		JMP_REG(JGT, 4, 3, 3),
		LDX(H, 5, 2, 12), MOV64_IMM(0, XDP_PASS), EXIT(),
		MOV64_IMM(0, XDP_DROP), EXIT()), OK },
	{ "eth_ip_udp_port", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 42),
		JMP_REG(JGT, 4, 3, 8),
		LDX(H, 5, 2, 12), JMP_IMM(JNE, 5, 0x0008, 6),
		LDX(B, 5, 2, 23), JMP_IMM(JNE, 5, 17, 4),
		LDX(H, 5, 2, 36), JMP_IMM(JNE, 5, 0x3500, 2),
		MOV64_IMM(0, XDP_DROP), EXIT(),
		MOV64_IMM(0, XDP_PASS), EXIT()), OK },
	{ "variable_ip_header_length", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 34),
		JMP_REG(JGT, 4, 3, 11),
		LDX(B, 5, 2, 14), ALU64_IMM(AND, 5, 0xf), ALU64_IMM(LSH, 5, 2),
		ALU64_REG(ADD, 5, 2), MOV64_REG(6, 5), ALU64_IMM(ADD, 6, 22),
		JMP_REG(JGT, 6, 3, 4),	/* end < udp header end: drop */
		LDX(H, 0, 5, 16), ALU64_IMM(AND, 0, 1),
		MOV64_IMM(0, XDP_PASS), EXIT(),
		MOV64_IMM(0, XDP_DROP), EXIT()), OK },
	{ "end_compared_first", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 8),
		JMP_REG(JLE, 3, 4, 2),	/* end <= data + 8: drop */
		LDX(DW, 0, 2, 0), EXIT(),
		MOV64_IMM(0, XDP_DROP), EXIT()), OK },
	{ "map_lookup_null_check_update", XDP, P(
		LOOKUP(0),
		JMP_IMM(JEQ, 0, 0, 3),
		LDX(DW, 1, 0, 0), ALU64_IMM(ADD, 1, 1), STX(DW, 0, 1, 0),
		ST(DW, 10, -16, 1), LD_MAP(1, 0),
		MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		MOV64_REG(3, 10), ALU64_IMM(ADD, 3, -16),
		MOV64_IMM(4, 0), CALL(2),
		MOV64_IMM(0, XDP_PASS), EXIT()), OK },
	{ "null_check_through_copy", XDP, P(
		LOOKUP(1), MOV64_REG(6, 0),
		JMP_IMM(JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT(),
		LDX(DW, 0, 6, 8), EXIT()), OK },
	{ "array_index_bounded", XDP, P(
		LOOKUP(1), JMP_IMM(JEQ, 0, 0, 6),
		LDX(W, 2, 0, 0), ALU64_IMM(AND, 2, 3), ALU64_IMM(LSH, 2, 2),
		ALU64_REG(ADD, 0, 2), LDX(W, 0, 0, 0), EXIT(),
		MOV64_IMM(0, 0), EXIT()), OK },
	{ "stack_buffer_probe_read", KPROBE, P(
		MOV64_REG(6, 1), MOV64_REG(1, 10), ALU64_IMM(ADD, 1, -16),
		MOV64_IMM(2, 16), LDX(DW, 3, 6, offsetof(struct pt_regs, di)), CALL(113),
		LDX(DW, 0, 10, -16), LDX(DW, 1, 10, -8), ALU64_REG(ADD, 0, 1),
		EXIT()), OK },
	{ "spill_and_fill_pointer", XDP, P(
		STX(DW, 10, 1, -8), LDX(DW, 6, 10, -8), LDX(W, 0, 6, 16), EXIT()), OK },
	{ "bounded_loop", KPROBE, P(
		MOV64_IMM(0, 0), MOV64_IMM(1, 0),
		ALU64_REG(ADD, 0, 1), ALU64_IMM(ADD, 1, 1), JMP_IMM(JLT, 1, 100, -3),
		EXIT()), OK },
	{ "bpf_to_bpf_call", KPROBE, P(
		MOV64_IMM(1, 5), CALL_REL(2), ALU64_IMM(ADD, 0, 1), EXIT(),
		MOV64_REG(0, 1), ALU64_IMM(MUL, 0, 3), ST(DW, 10, -8, 7),
		LDX(DW, 2, 10, -8), ALU64_REG(ADD, 0, 2), EXIT()), OK },
	{ "callee_writes_caller_stack", KPROBE, P(
		MOV64_REG(1, 10), ALU64_IMM(ADD, 1, -8), CALL_REL(2),
		LDX(DW, 0, 10, -8), EXIT(),
		ST(DW, 1, 0, 3), MOV64_IMM(0, 0), EXIT()), OK },
	{ "ringbuf_reserve_submit", KPROBE, P(
		LD_MAP(1, 3), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(131),
		JMP_IMM(JEQ, 0, 0, 5), ST(DW, 0, 8, 42), MOV64_REG(1, 0), MOV64_IMM(2, 0),
		CALL(132), JA(0), MOV64_IMM(0, 0), EXIT()), OK },
	{ "global_data_read", KPROBE, P(
		LD_MAP_VALUE(1, 4, 0), LDX(DW, 0, 1, 0), EXIT()), OK },
	{ "atomic_add_map_value", XDP, P(
		LOOKUP(0), JMP_IMM(JEQ, 0, 0, 2), MOV64_IMM(1, 1),
		ATOMIC(DW, 0, 1, 0, BPF_ADD), MOV64_IMM(0, 2), EXIT()), OK },
	{ "alu32_bounds", XDP, P(
		LOOKUP(1), JMP_IMM(JEQ, 0, 0, 5),
		LDX(DW, 2, 0, 0), ALU32_IMM(AND, 2, 7), ALU64_REG(ADD, 0, 2),
		LDX(B, 0, 0, 8), EXIT(),
		MOV64_IMM(0, 0), EXIT()), OK },

	/* refusals */
	{ "packet_read_past_check", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 14),
		JMP_REG(JGT, 4, 3, 3),
		LDX(B, 5, 2, 14), MOV64_IMM(0, XDP_PASS), EXIT(),
		MOV64_IMM(0, XDP_DROP), EXIT()), 5, "invalid access to packet, off=14 size=1" },
	{ "no_data_end_check", XDP, P(
		LDX(W, 2, 1, 0), LDX(B, 0, 2, 0), EXIT()), 1, "invalid access to packet, off=0 size=1" },
	{ "packet_read_on_failed_check", XDP, P(
		PKT_PTRS, MOV64_REG(4, 2), ALU64_IMM(ADD, 4, 14),
		JMP_REG(JGT, 4, 3, 2),
		MOV64_IMM(0, XDP_PASS), EXIT(),
		LDX(B, 0, 2, 0), EXIT()), 7, "invalid access to packet" },
	{ "null_map_value_use", XDP, P(
		LOOKUP(0), LDX(DW, 1, 0, 0), MOV64_IMM(0, 0), EXIT()),
		6, "R0 invalid mem access 'map_value_or_null'" },
	{ "map_value_out_of_bounds", XDP, P(
		LOOKUP(0), JMP_IMM(JEQ, 0, 0, 1), LDX(DW, 0, 0, 8), MOV64_IMM(0, 0), EXIT()),
		7, "invalid access to map value" },
	{ "unbounded_array_index", XDP, P(
		LOOKUP(1), JMP_IMM(JEQ, 0, 0, 3),
		LDX(W, 2, 0, 0), ALU64_REG(ADD, 0, 2), LDX(W, 0, 0, 0),
		MOV64_IMM(0, 0), EXIT()), 9, "unbounded memory access" },
	{ "uninitialised_stack_read", KPROBE, P(LDX(DW, 0, 10, -8), EXIT()),
		0, "invalid read from stack R10 off -8 size 8" },
	{ "uninitialised_key_for_helper", KPROBE, P(
		LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4), CALL(1),
		MOV64_IMM(0, 0), EXIT()), 4, "invalid indirect read from stack" },
	{ "uninitialised_register", KPROBE, P(MOV64_REG(0, 3), EXIT()), 0, "R3 !read_ok" },
	{ "uninitialised_r0_at_exit", XDP, P(EXIT()), 0, "R0 !read_ok" },
	{ "unbounded_loop", KPROBE, P(
		MOV64_IMM(0, 0), ALU64_IMM(ADD, 0, 1), JMP_IMM(JNE, 0, 0, -2), EXIT()),
		-3, "program too complex: processed 1000001 insns" },
	{ "infinite_loop", KPROBE, P(MOV64_IMM(0, 0), JA(-1)),
		1, "infinite loop detected at insn 1" },
	{ "helper_scalar_as_key", XDP, P(
		LD_MAP(1, 0), MOV64_IMM(2, 0), CALL(1), MOV64_IMM(0, 0), EXIT()),
		3, "R2 type=scalar expected=fp" },
	{ "helper_scalar_as_map", XDP, P(
		MOV64_IMM(1, 0), MOV64_REG(2, 10), CALL(1), MOV64_IMM(0, 0), EXIT()),
		2, "R1 type=scalar expected=map_ptr" },
	{ "tail_call_into_array", XDP, P(
		LD_MAP(2, 1), MOV64_IMM(3, 0), CALL(12), MOV64_IMM(0, 0), EXIT()),
		3, "cannot pass map_type 2 into func tail_call#12" },
	{ "unknown_helper", XDP, P(CALL(9999), EXIT()), 0, "invalid func unknown#9999" },
	{ "kprobe_helper_in_xdp", XDP, P(CALL(14), EXIT()), 0, "not allowed for this program type" },
	{ "xdp_helper_in_kprobe", KPROBE, P(MOV64_IMM(2, 0), CALL(44), EXIT()),
		1, "not allowed for this program type" },
	{ "xdp_ctx_write", XDP, P(ST(W, 1, 0, 0), MOV64_IMM(0, 0), EXIT()),
		0, "invalid bpf_context access off=0 size=4" },
	{ "kprobe_ctx_write", KPROBE, P(MOV64_IMM(2, 0), STX(DW, 1, 2, 0), MOV64_IMM(0, 0), EXIT()),
		1, "invalid bpf_context access off=0 size=8" },
	{ "kprobe_ctx_out_of_range", KPROBE, P(LDX(DW, 0, 1, 168), EXIT()),
		0, "invalid bpf_context access off=168 size=8" },
	{ "xdp_ctx_narrow_load", XDP, P(LDX(H, 0, 1, 0), EXIT()),
		0, "invalid bpf_context access off=0 size=2" },
	{ "modified_ctx", XDP, P(ALU64_IMM(ADD, 1, 4), LDX(W, 0, 1, 0), EXIT()),
		1, "dereference of modified ctx ptr R1 off=4 disallowed" },
	{ "pkt_end_arithmetic", XDP, P(LDX(W, 3, 1, 4), ALU64_IMM(ADD, 3, 1), MOV64_IMM(0, 0), EXIT()),
		1, "R3 pointer arithmetic on pkt_end prohibited" },
	{ "pointer_multiply", XDP, P(ALU64_IMM(MUL, 1, 2), MOV64_IMM(0, 0), EXIT()),
		0, "R1 pointer arithmetic with this operator prohibited" },
	{ "null_pointer_arithmetic", XDP, P(LOOKUP(0), ALU64_IMM(ADD, 0, 8), MOV64_IMM(0, 0), EXIT()),
		6, "R0 pointer arithmetic on map_value_or_null prohibited" },
	{ "pointer_stored_into_map", XDP, P(
		LOOKUP(0), JMP_IMM(JEQ, 0, 0, 1), STX(DW, 0, 10, 0), MOV64_IMM(0, 0), EXIT()),
		7, "R10 leaks addr into map" },
	{ "write_read_only_map", KPROBE, P(LD_MAP_VALUE(1, 4, 0), ST(DW, 1, 0, 1), MOV64_IMM(0, 0), EXIT()),
		2, "write into a read-only map" },
	{ "pointer_at_exit", XDP, P(MOV64_REG(0, 1), EXIT()), 1, "At program exit R0 is ctx" },
	{ "ringbuf_leak", KPROBE, P(
		LD_MAP(1, 3), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(131), MOV64_IMM(0, 0), EXIT()),
		6, "Unreleased reference" },
	{ "div_by_zero", KPROBE, P(MOV64_IMM(0, 1), ALU64_IMM(DIV, 0, 0), EXIT()), 1, "div by zero" },
	{ "jump_out_of_range", KPROBE, P(MOV64_IMM(0, 1), JA(5), EXIT()),
		1, "jump out of range from insn 1 to 7" },
	{ "jump_into_lddw", KPROBE, P(JA(1), LD_IMM64(0, 1), EXIT()),
		0, "jump into the middle of ldimm64 insn 1" },
	{ "unreachable_insn", KPROBE, P(MOV64_IMM(0, 1), EXIT(), MOV64_IMM(0, 2), EXIT()),
		2, "unreachable insn 2" },
	{ "no_exit_at_end", KPROBE, P(MOV64_IMM(0, 1)), 0, "last insn is not an exit or jmp" },
	{ "frame_pointer_write", KPROBE, P(MOV64_IMM(10, 0), EXIT()), 0, "frame pointer is read only" },
	{ "stack_out_of_frame", KPROBE, P(ST(DW, 10, 0, 0), MOV64_IMM(0, 0), EXIT()),
		0, "invalid stack off=0 size=8" },
	{ "recursion_too_deep", KPROBE, P(CALL_REL(-1), EXIT()),
		0, "the call stack of 9 frames is too deep" },
	{ "return_callee_stack", KPROBE, P(CALL_REL(1), EXIT(), MOV64_REG(0, 10), EXIT()),
		3, "cannot return stack pointer to the caller" },
	{ "partial_pointer_copy", XDP, P(ALU32_REG(MOV, 0, 1), EXIT()), 0, "R1 partial copy of pointer" },
	{ "pointer_comparison", XDP, P(MOV64_IMM(0, 0), JMP_IMM(JGT, 1, 5, 0), EXIT()),
		1, "R1 pointer comparison prohibited" },
};

/* The refusal is the log's last line: "insn N: reason". */
static const char *last_line(const char *log)
{
	const char *end = log + strlen(log), *p;

	while (end > log && end[-1] == '\n')
		end--;
	for (p = end; p > log && p[-1] != '\n'; p--)
		;
	return p;
}

static void run_case(const struct vcase *c)
{
	struct bpf_prog *p = test_prog(c->type, c->insns, c->len);
	char log[4096], want[160];
	int err = bpf_verify(p, log, sizeof(log));

	if (c->insn < 0 && !c->why) {
		if (err)
			printf("    # %s: refused: %s", c->name, log);
		CHECK_EQ(err, 0);
	} else {
		const char *line = last_line(log);

		if (c->insn >= 0)
			snprintf(want, sizeof(want), "insn %d: ", c->insn);
		else
			snprintf(want, sizeof(want), "insn ");
		CHECK(err < 0);
		if (strncmp(line, want, strlen(want)) || !strstr(line, c->why))
			printf("    # %s: got \"%s\", want \"%s...%s\"\n", c->name, line, want, c->why);
		CHECK(!strncmp(line, want, strlen(want)));
		CHECK(strstr(line, c->why) != NULL);
	}
	test_prog_free(p);
}

static void t_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = check_failed_now;

		check_failed_now = 0;
		run_case(&cases[i]);
		check_report(cases[i].name, check_failed_now);
		check_failed_now = before;
	}
}

/* ingress_ifindex and rx_queue_index become two loads; a jump over one moves. */
static void t_ctx_rewrite(void)
{
	const struct bpf_insn prog[] = {
		LDX(W, 3, 1, offsetof(struct xdp_md, rx_queue_index)),
		JMP_IMM(JEQ, 3, 0, 2),
		LDX(W, 2, 1, offsetof(struct xdp_md, ingress_ifindex)),
		MOV64_REG(3, 2),
		LDX(W, 4, 1, offsetof(struct xdp_md, data_end)),
		MOV64_IMM(0, XDP_PASS),
		EXIT(),
	};
	struct bpf_prog *p = test_prog(XDP, prog, sizeof(prog) / sizeof(prog[0]));
	char log[512];

	CHECK_EQ(bpf_verify(p, log, sizeof(log)), 0);
	CHECK_EQ(p->len, 9);
	CHECK_EQ(p->insnsi[0].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ(p->insnsi[0].off, offsetof(struct xdp_buff, rxq));
	CHECK_EQ(p->insnsi[1].code, BPF_LDX | BPF_MEM | BPF_W);
	CHECK_EQ(p->insnsi[1].dst_reg, 3);
	CHECK_EQ(p->insnsi[1].src_reg, 3);
	CHECK_EQ(p->insnsi[1].off, offsetof(struct xdp_rxq_info, queue_index));
	/* old insn 1 jumped to old 4; now at 2 it jumps to 6 */
	CHECK_EQ(p->insnsi[2].off, 3);
	CHECK_EQ(p->insnsi[4].off, offsetof(struct xdp_rxq_info, ifindex));
	CHECK_EQ(p->insnsi[6].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ(p->insnsi[6].off, offsetof(struct xdp_buff, data_end));
	test_prog_free(p);
}

/* The full log shows each instruction and the states; the summary ends it. */
static void t_log_levels(void)
{
	const struct bpf_insn prog[] = { MOV64_IMM(0, 1), EXIT() };
	struct bpf_prog *p = test_prog(KPROBE, prog, 2);
	struct bpf_verify_opts o = { .log_level = 2 };
	char log[2048];

	CHECK_EQ(bpf_verify_opts(p, &o, log, sizeof(log)), 0);
	CHECK(strstr(log, "0: (b7)") != NULL);
	CHECK(strstr(log, "R1=ctx") != NULL);
	CHECK(strstr(log, "verified: processed 2 insns") != NULL);
	CHECK_EQ(o.insn_processed, 2);
	CHECK_EQ(bpf_verify(p, log, sizeof(log)), 0);
	CHECK_STR(log, "");
	test_prog_free(p);
}

/* A small log still ends with the whole refusal. */
static void t_small_log(void)
{
	const struct bpf_insn prog[] = { MOV64_IMM(0, 1), MOV64_REG(0, 7), EXIT() };
	struct bpf_prog *p = test_prog(KPROBE, prog, 3);
	struct bpf_verify_opts o = { .log_level = 2 };
	char log[40];

	CHECK(bpf_verify_opts(p, &o, log, sizeof(log)) < 0);
	CHECK(strstr(log, "insn 1: R7 !read_ok\n") != NULL);
	test_prog_free(p);
}

int main(void)
{
	t_table();
	RUN(t_ctx_rewrite);
	RUN(t_log_levels);
	RUN(t_small_log);
	return check_done();
}
