/*
 * Fuzz insn_decode() with a fixed seed under ASan/UBSan. Every input is in
 * a malloc'ed buffer of exactly its length, so any read past the end is an
 * ASan report. Half the inputs are plain random bytes; the other half are
 * built from prefixes, escapes and VEX/EVEX/XOP leads so the deep paths
 * are reached as often as the shallow ones. INSN_FUZZ_N sets the count.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "insn.h"
#include "kerrno.h"

static uint64_t rng = 0x6b70726f62653634ull;	/* "kprobe64" */

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t gen(uint8_t *p)
{
	static const uint8_t pfx[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65,
		0x40, 0x41, 0x44, 0x48, 0x4f,
	};
	static const uint8_t lead[][2] = {
		{ 0x0f }, { 0x0f, 0x38 }, { 0x0f, 0x3a }, { 0x0f, 0x0f },
		{ 0xc4 }, { 0xc5 }, { 0x62 }, { 0x8f }, { 0xf6 }, { 0xf7 },
		{ 0xc8 }, { 0xa0 }, { 0xb8 }, { 0xe8 }, { 0xff },
	};
	size_t n = 0, len = 1 + next_rand() % 20, k;

	if (next_rand() & 1) {
		for (k = next_rand() % 4; k-- && n < len;)
			p[n++] = pfx[next_rand() % sizeof(pfx)];
		k = next_rand() % (sizeof(lead) / sizeof(lead[0]));
		if (n < len)
			p[n++] = lead[k][0];
		if (lead[k][1] && n < len)
			p[n++] = lead[k][1];
	}
	while (n < len)
		p[n++] = (uint8_t)next_rand();
	return len;
}

static unsigned long bad_ret, bad_len, bad_field, bad_monotone, bad_class;

static void check_one(const uint8_t *src, size_t len, uint64_t addr)
{
	uint8_t *buf = malloc(len), *more;
	enum insn_probe_class cls;
	struct insn in, in2;
	const char *why = NULL;
	int ret, ret2;

	memcpy(buf, src, len);
	ret = insn_decode(&in, buf, len, addr);
	if (ret != 0 && ret != -EILSEQ && ret != -ENODATA)
		bad_ret++;
	cls = insn_probe_class(&in, &why);
	if (!why || !insn_class_name(cls) || (ret && cls != INSN_CLASS_REFUSE))
		bad_class++;
	if (ret) {
		if (in.len != 0)
			bad_len++;
	} else {
		if (in.len < 1 || in.len > INSN_MAX_LEN || in.len > len)
			bad_len++;
		if (in.disp_offset + in.disp_size > in.len ||
		    in.imm_offset + in.imm_size > in.len ||
		    in.imm2_offset + in.imm2_size > in.len ||
		    in.opcode_offset >= in.len ||
		    (in.has_modrm && in.modrm_offset >= in.len) ||
		    (in.rip_relative && in.disp_size != 4))
			bad_field++;
		/* Exactly len bytes decode the same; one fewer is -ENODATA. */
		if (insn_decode(&in2, buf, in.len, addr) || in2.len != in.len ||
		    insn_decode(&in2, buf, in.len - 1, addr) != -ENODATA)
			bad_monotone++;
	}
	/* More bytes after the end never change a verdict already reached. */
	if (ret != -ENODATA) {
		more = malloc(len + 4);
		memcpy(more, buf, len);
		memset(more + len, 0x0f, 4);
		ret2 = insn_decode(&in2, more, len + 4, addr);
		if (ret2 != ret || (ret == 0 && in2.len != in.len))
			bad_monotone++;
		free(more);
	}
	free(buf);
}

static void t_fuzz(void)
{
	const char *env = getenv("INSN_FUZZ_N");
	unsigned long n = env ? strtoul(env, NULL, 0) : 3000000, i;
	uint8_t p[32];
	size_t len;

	for (i = 0; i < n; i++) {
		len = gen(p);
		check_one(p, len, next_rand());
	}
	printf("# fuzz: %lu inputs\n", n);
	CHECK_EQ(bad_ret, 0);
	CHECK_EQ(bad_len, 0);
	CHECK_EQ(bad_field, 0);
	CHECK_EQ(bad_monotone, 0);
	CHECK_EQ(bad_class, 0);
}

/* Every one- and two-byte string, exhaustively. */
static void t_all_short(void)
{
	uint8_t p[2];
	unsigned int a, b;

	for (a = 0; a < 256; a++) {
		p[0] = a;
		check_one(p, 1, 0);
		for (b = 0; b < 256; b++) {
			p[1] = b;
			check_one(p, 2, 0);
		}
	}
	CHECK_EQ(bad_ret + bad_len + bad_field + bad_monotone + bad_class, 0);
}

int main(void)
{
	RUN(t_all_short);
	RUN(t_fuzz);
	return check_done();
}
