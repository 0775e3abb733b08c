/*
 * probes/opt_reloc.c on the host: which instructions a jmp may replace and
 * why not, the short form's single instruction, the bytes of relocated
 * copies (rip-relative, jcc rel8, loop, calls), relocated copies actually
 * run (in pages below 2 GiB, so return addresses fit a push imm32 as
 * kernel ones do), and the branch-target scan with a jump table.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "check.h"
#include "opt_reloc.h"

static enum opt_reason plan(struct opt_plan *p, const uint8_t *code, size_t n, uint64_t at)
{
	uint64_t bad;

	return opt_plan_range(p, code, n, 0, at, &bad);
}

static int32_t rel32_at(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void t_plan_whole_instructions(void)
{
	uint64_t bad;
	static const uint8_t add[] = { 0x48, 0x8d, 0x04, 0x37, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc };	/* lea; ret; padding */
	static const uint8_t one[] = { 0x48, 0x8b, 0x05, 1, 2, 3, 4, 0xc3 };		/* 7-byte mov */
	struct opt_plan p;

	CHECK_EQ(plan(&p, add, 5, 0x1000), OPT_OK);
	CHECK_EQ(p.len, 5);
	CHECK_EQ(p.ninsn, 2);
	CHECK_EQ(plan(&p, one, sizeof(one), 0x1000), OPT_OK);
	CHECK_EQ(p.len, 7);
	CHECK_EQ(p.ninsn, 1);
	/* ret then bytes to the function end: only overwritten, never copied */
	CHECK_EQ(plan(&p, add + 4, 3, 0x1004), OPT_NO_ROOM);
	/* ... unless the padding after the function's end makes up the 5 */
	CHECK_EQ(opt_plan_range(&p, add + 4, 1, 4, 0x1004, &bad), OPT_OK);
	CHECK_EQ(p.len, 5);
	CHECK_EQ(p.ninsn, 1);
	CHECK_EQ(opt_plan_range(&p, add + 4, 1, 3, 0x1004, &bad), OPT_NO_ROOM);
	/* padding is never decoded as part of a range that falls through */
	CHECK_EQ(opt_plan_range(&p, add, 4, 8, 0x1000, &bad), OPT_NO_ROOM);
}

static void t_plan_refusals(void)
{
	static const uint8_t icall[] = { 0xff, 0xd0, 0x48, 0x89, 0xc7 };	/* call *rax; mov */
	static const uint8_t int3[] = { 0x90, 0xcc, 0x90, 0x90, 0x90 };
	static const uint8_t fnop[] = { 0xd9, 0xd0, 0x90, 0x90, 0x90 };
	static const uint8_t rspcall[] = { 0x90, 0x90, 0xff, 0x14, 0x24 };	/* call *(%rsp) */
	static const uint8_t lastcall[] = { 0x31, 0xc0, 0xe8, 0, 0, 0, 0 };
	struct opt_plan p;
	uint64_t bad;

	CHECK_EQ(opt_plan_range(&p, icall, 5, 0, 0x1000, &bad), OPT_CALL_INSIDE);
	CHECK_EQ(bad, 0x1000);
	CHECK_EQ(opt_plan_range(&p, int3, 5, 0, 0x1000, &bad), OPT_INSN);
	CHECK_EQ(bad, 0x1001);
	CHECK_EQ(plan(&p, fnop, 5, 0x1000), OPT_INSN);
	CHECK_EQ(plan(&p, rspcall, 5, 0x1000), OPT_INSN);	/* the push would move its operand */
	CHECK_EQ(plan(&p, lastcall, 7, 0x1000), OPT_OK);
	/* a return address above 2 GiB would not fit the push imm32 */
	CHECK_EQ(plan(&p, lastcall, 7, 0x100000000ULL), OPT_OUT_OF_REACH);
}

static void t_plan_short(void)
{
	static const uint8_t xor_add[] = { 0x31, 0xc0, 0x48, 0x01, 0xf8 };	/* xor; add */
	static const uint8_t jmp8[] = { 0xeb, 0x00 };
	static const uint8_t push[] = { 0x55, 0x48, 0x89, 0xe5 };
	static const uint8_t icall[] = { 0xff, 0xd0, 0x48, 0x89, 0xc7 };
	struct opt_plan p;
	uint64_t bad;

	/* only the first instruction, whatever follows it */
	CHECK_EQ(opt_plan_short(&p, xor_add, sizeof(xor_add), 0x1000, &bad), OPT_OK);
	CHECK_EQ(p.len, 2);
	CHECK_EQ(p.ninsn, 1);
	CHECK_EQ(p.orig[1], 0xc0);
	/* a jmp rel8 at the function end: no padding needed */
	CHECK_EQ(opt_plan_short(&p, jmp8, sizeof(jmp8), 0x1000, &bad), OPT_OK);
	/* a call is the last instruction of its copy */
	CHECK_EQ(opt_plan_short(&p, icall, sizeof(icall), 0x1000, &bad), OPT_OK);
	/* one byte cannot hold a jmp rel8 */
	CHECK_EQ(opt_plan_short(&p, push, sizeof(push), 0x1000, &bad), OPT_NO_ROOM);
}

static void t_relocate_bytes(void)
{
	static const uint8_t riprel[] = { 0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t jcc[] = { 0x74, 0x10, 0x48, 0x89, 0xc7 };
	static const uint8_t loop[] = { 0xe2, 0xfe, 0x0f, 0x1f, 0x00 };
	static const uint8_t call[] = { 0xe8, 0x10, 0x00, 0x00, 0x00 };
	uint8_t out[OPT_COPY_MAX], map[OPT_MAX_INSNS];
	uint64_t a = 0x40001000, d = 0x40100000;
	struct opt_plan p;
	int n;

	CHECK_EQ(plan(&p, riprel, 7, a), OPT_OK);
	n = opt_relocate(&p, d, out, map);
	CHECK_EQ(n, 12);
	CHECK_EQ(d + 7 + rel32_at(out + 3), a + 7 + 0x100);	/* same data */
	CHECK_EQ(out[7], 0xe9);
	CHECK_EQ(d + 12 + rel32_at(out + 8), a + 7);		/* back after the range */

	CHECK_EQ(plan(&p, jcc, 5, a), OPT_OK);
	n = opt_relocate(&p, d, out, map);
	CHECK_EQ(n, 6 + 3 + 5);
	CHECK(out[0] == 0x0f && out[1] == 0x84);
	CHECK_EQ(d + 6 + rel32_at(out + 2), a + 2 + 0x10);
	CHECK_EQ(map[1], 6);

	CHECK_EQ(plan(&p, loop, 5, a), OPT_OK);
	n = opt_relocate(&p, d, out, map);
	CHECK(out[0] == 0xe2 && out[1] == 2 && out[2] == 0xeb && out[3] == 5 && out[4] == 0xe9);
	CHECK_EQ(d + 9 + rel32_at(out + 5), a);
	CHECK_EQ(n, 9 + 3 + 5);

	CHECK_EQ(plan(&p, call, 5, a), OPT_OK);
	n = opt_relocate(&p, d, out, map);
	CHECK_EQ(out[0], 0x68);
	CHECK_EQ((uint32_t)rel32_at(out + 1), a + 5);	/* the original return address */
	CHECK_EQ(out[5], 0xe9);
	CHECK_EQ(d + 10 + rel32_at(out + 6), a + 5 + 0x10);
	CHECK_EQ(n, 15);

	/* a displacement that does not reach from the copy */
	CHECK_EQ(plan(&p, riprel, 7, a), OPT_OK);
	CHECK_EQ(opt_relocate(&p, a + 0x90000000ULL, out, map), -34);
}

typedef uint64_t (*fn1_t)(uint64_t);

/* Original code at page a, its copy for the range at a + at in page d: both must agree. */
static void run_both(const uint8_t *code, size_t len, unsigned int at, uint64_t arg)
{
	uint8_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	uint8_t map[OPT_MAX_INSNS];
	struct opt_plan p;
	int n;

	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		return;
	memset(mem, 0xcc, 2 * 4096);
	memcpy(mem, code, len);
	CHECK_EQ(plan(&p, mem + at, len - at, (uint64_t)mem + at), OPT_OK);
	memcpy(mem + 4096, mem, at);	/* the copy is entered where the range starts */
	n = opt_relocate(&p, (uint64_t)mem + 4096 + at, mem + 4096 + at, map);
	CHECK(n > 0);
	if (n > 0)
		CHECK_EQ(((fn1_t)(mem + 4096))(arg), ((fn1_t)mem)(arg));
	munmap(mem, 2 * 4096);
}

static void t_relocated_copies_run(void)
{
	/* mov rax, [rip + 8]; ret; int3 x 7; .quad 0x1122334455667788 */
	static const uint8_t riprel[] = {
		0x48, 0x8b, 0x05, 0x08, 0, 0, 0, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	};
	/* test rdi, rdi; je +6; lea rax, [rdi + 1]; ret; nop; mov rax, 42; ret */
	static const uint8_t jcc[] = {
		0x48, 0x85, 0xff, 0x74, 0x06, 0x48, 0x8d, 0x47, 0x01, 0xc3, 0x90,
		0x48, 0xc7, 0xc0, 0x2a, 0, 0, 0, 0xc3,
	};
	/* mov rax, rdi; call +1; ret; add rax, 5; ret */
	static const uint8_t call[] = {
		0x48, 0x89, 0xf8, 0xe8, 0x01, 0, 0, 0, 0xc3, 0x48, 0x83, 0xc0, 0x05, 0xc3,
	};
	/* mov rcx, rdi; xor eax, eax; 1: add rax, rcx; loop 1b; nop3; ret */
	static const uint8_t loop[] = {
		0x48, 0x89, 0xf9, 0x31, 0xc0, 0x48, 0x01, 0xc8, 0xe2, 0xfb, 0x0f, 0x1f, 0x00, 0xc3,
	};

	run_both(riprel, sizeof(riprel), 0, 0);
	run_both(jcc, sizeof(jcc), 0, 0);
	run_both(jcc, sizeof(jcc), 0, 5);
	run_both(call, sizeof(call), 0, 7);
	run_both(call, sizeof(call), 3, 7);
	run_both(loop, sizeof(loop), 8, 10);
}

/* ---- the scan ---- */

static uint8_t marks[256];
static const uint64_t table[] = { 0x1010, 0x1020, 0x1030, 0x9999 };

static void mark(uint64_t a, void *arg)
{
	(void)arg;
	if (a >= 0x1000 && a < 0x1100)
		marks[a - 0x1000] = 1;
}

static bool read64(uint64_t a, uint64_t *v, void *arg)
{
	(void)arg;
	if (a < 0x2000 || a >= 0x2000 + sizeof(table))
		return false;
	*v = table[(a - 0x2000) / 8];
	return true;
}

static bool is_code(uint64_t a, void *arg)
{
	(void)arg;
	return a >= 0x1000 && a < 0x1100;
}

static void t_scan_targets(void)
{
	/* jmp *0x2000(,%rax,8); je +2; nop; nop; jmp -4; then bytes that do not decode */
	static const uint8_t fn[] = {
		0xff, 0x24, 0xc5, 0x00, 0x20, 0x00, 0x00, 0x74, 0x02, 0x90, 0x90, 0xeb, 0xfc,
		0x0f, 0x0b, 0x06, 0x90,
	};
	const struct opt_scan_env env = { mark, read64, is_code, NULL };

	memset(marks, 0, sizeof(marks));
	CHECK_EQ(opt_scan_targets(fn, 0x1000, 0x1000 + sizeof(fn), &env), -84);
	CHECK(marks[0x10] && marks[0x20] && marks[0x30]);	/* the table, up to a non-code entry */
	CHECK(marks[0x0b]);	/* je +2 */
	CHECK(marks[0x09]);	/* jmp -4 */
	CHECK(!marks[0x07] && !marks[0x0a]);
	CHECK(marks[0x0f] && marks[0x10]);	/* 06 is invalid in 64-bit mode: the rest is suspect */
}

int main(void)
{
	RUN(t_plan_whole_instructions);
	RUN(t_plan_refusals);
	RUN(t_plan_short);
	RUN(t_relocate_bytes);
	RUN(t_relocated_copies_run);
	RUN(t_scan_targets);
	return check_done();
}
