/*
 * In-kernel tests of the eBPF runtime: the interpreter with a bpf-to-bpf
 * call and the stack, the kernel helpers (time, CPU id, fault-safe reads,
 * the current task), and a hash map driven through the helper table, all on
 * the kernel's own heap and stacks.
 */
#include "ktest.h"
#include "arch.h"
#include "bpf.h"
#include "lib.h"

#define INSN(c, d, s, o, i)	((struct bpf_insn){ (c), (d), (s), (o), (i) })
#define MOV_K(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_X(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, i)		INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define CALL(id)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static struct bpf_prog prog_of(struct bpf_insn *insns, uint32_t len)
{
	return (struct bpf_prog){ .insnsi = insns, .len = len, .helpers = bpf_helper_table(),
				  .nr_helpers = BPF_MAX_HELPERS };
}

static uint64_t known_word = 0x1122334455667788ull;

KTEST(bpf, call_and_stack)
{
	/* r1 = ctx; f(x) = x * 3 stored through the callee's stack; main adds 1 */
	struct bpf_insn insns[] = {
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2),
		ADD_K(0, 1),
		EXIT(),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_FP, 1, -8, 0),
		INSN(BPF_ALU64 | BPF_MUL | BPF_K, 1, 0, 0, 3),
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_FP, 1, -16, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, BPF_REG_FP, -16, 0),
		EXIT(),
	};
	struct bpf_prog p = prog_of(insns, 8);
	char log[96];

	KT_ASSERT(bpf_check_basic(&p, log, sizeof(log)) == 0);
	KT_EXPECT_EQ(bpf_prog_run(&p, (void *)14), 43);
}

KTEST(bpf, kernel_helpers)
{
	struct bpf_insn cpu[] = { CALL(BPF_FUNC_get_smp_processor_id), EXIT() };
	/* probe_read_kernel(fp - 8, 8, r1) then return the word, or the error */
	struct bpf_insn rd[] = {
		MOV_X(3, 1), MOV_X(1, BPF_REG_FP), ADD_K(1, -8), MOV_K(2, 8),
		CALL(BPF_FUNC_probe_read_kernel),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 1, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, BPF_REG_FP, -8, 0),
		EXIT(),
	};
	struct bpf_insn t[] = { CALL(BPF_FUNC_ktime_get_ns), EXIT() };
	struct bpf_prog p = prog_of(cpu, 2), r = prog_of(rd, 8), k = prog_of(t, 2);
	uint64_t t0, t1;

	KT_EXPECT_EQ(bpf_prog_run(&p, NULL), this_cpu()->cpu);
	KT_EXPECT_EQ(bpf_prog_run(&r, &known_word), known_word);
	KT_EXPECT_EQ((int64_t)bpf_prog_run(&r, (void *)8), -EFAULT);	/* no oops */
	t0 = bpf_prog_run(&k, NULL);
	t1 = bpf_prog_run(&k, NULL);
	KT_EXPECT(t1 >= t0 && t0 > 0);
}

KTEST(bpf, hash_map_through_helpers)
{
	struct bpf_map_spec spec = { BPF_MAP_TYPE_HASH, 4, 8, 16, 0, "kt" };
	const bpf_helper_fn *h = bpf_helper_table();
	uint32_t key = 3;
	uint64_t v = 99, *got;
	int err;
	struct bpf_map *m = bpf_map_create(&spec, &err);

	KT_ASSERT(m != NULL);
	KT_EXPECT_EQ(h[BPF_FUNC_map_update_elem]((uintptr_t)m, (uintptr_t)&key, (uintptr_t)&v,
						 BPF_NOEXIST, 0), 0);
	KT_EXPECT_EQ((int64_t)h[BPF_FUNC_map_update_elem]((uintptr_t)m, (uintptr_t)&key,
							  (uintptr_t)&v, BPF_NOEXIST, 0), -EEXIST);
	got = (uint64_t *)(uintptr_t)h[BPF_FUNC_map_lookup_elem]((uintptr_t)m, (uintptr_t)&key,
								 0, 0, 0);
	KT_EXPECT(got && *got == 99);
	KT_EXPECT_EQ(h[BPF_FUNC_map_delete_elem]((uintptr_t)m, (uintptr_t)&key, 0, 0, 0), 0);
	bpf_map_free(m);
}

/* comm into fp-16..fp-1 (prefilled with 0xff), then the word at fp+off */
#define COMM_PROG(off) { \
	INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_FP, 0, -16, -1), \
	INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_FP, 0, -8, -1), \
	MOV_X(1, BPF_REG_FP), ADD_K(1, -16), MOV_K(2, 16), \
	CALL(BPF_FUNC_get_current_comm), \
	INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, BPF_REG_FP, off, 0), \
	EXIT() }

static struct bpf_insn pid_insns[] = { CALL(BPF_FUNC_get_current_pid_tgid), EXIT() };
static struct bpf_insn comm_lo[] = COMM_PROG(-16), comm_hi[] = COMM_PROG(-8);
static uint64_t ap_pid, ap_comm;

static uint64_t word_of(const char *s)
{
	char w[8] = { 0 };

	memcpy(w, s, strnlen(s, 8));
	return *(uint64_t *)w;
}

static void task_on_ap(void *arg)
{
	struct bpf_prog p = prog_of(pid_insns, 2), c = prog_of(comm_lo, 8);

	(void)arg;
	ap_pid = bpf_prog_run(&p, NULL);
	ap_comm = bpf_prog_run(&c, NULL);
}

/* The console shell is pid 1 "kp-shell"; another CPU's idle loop pid 0 "swapper/N". */
KTEST(bpf, current_task_helpers)
{
	struct bpf_prog p = prog_of(pid_insns, 2), lo = prog_of(comm_lo, 8),
			hi = prog_of(comm_hi, 8);
	char want[16];

	KT_EXPECT_EQ(bpf_prog_run(&p, NULL), 1ull << 32 | 1);
	KT_EXPECT_EQ(bpf_prog_run(&lo, NULL), word_of("kp-shell"));
	KT_EXPECT_EQ(bpf_prog_run(&hi, NULL), 0);	/* NUL and zero padding, as Linux */
	if (num_cpus() < 2)
		return;
	KT_ASSERT(smp_call_on(1, task_on_ap, NULL) == 0);
	KT_EXPECT_EQ(ap_pid, 0);
	snprintf(want, sizeof(want), "swapper/1");
	KT_EXPECT_EQ(ap_comm, word_of(want));
}
