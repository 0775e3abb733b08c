/*
 * The conformance suite's assembly syntax, two passes: the first gives each
 * label its instruction index (lddw takes two words), the second encodes.
 * Strict: an unknown mnemonic, register or operand is an error, so a typo in
 * a test cannot turn into a silently different program.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf_asm.h"

#define MAX_LABELS	256
#define MAX_OPS		4
#define MAX_EXITS	1024

struct asm_state {
	struct { char name[32]; int pc; } labels[MAX_LABELS];
	int nr_labels;
	int exits[MAX_EXITS];		/* pc of each exit, for the target "exit" */
	int nr_exits;
	char *err;
	size_t errlen;
	int line;
};

static int fail(struct asm_state *a, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(a->err, a->errlen, "line %d: ", a->line);

	va_start(ap, fmt);
	vsnprintf(a->err + n, a->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int reg(struct asm_state *a, const char *s, int *r)
{
	char *end;
	long v;

	if (s[0] != '%' || s[1] != 'r')
		return fail(a, "expected a register: '%s'", s);
	errno = 0;
	v = strtol(s + 2, &end, 10);
	if (end == s + 2 || *end || v < 0 || v > 10)
		return fail(a, "bad register '%s'", s);
	*r = (int)v;
	return 0;
}

static int number(struct asm_state *a, const char *s, long long *v)
{
	char *end;

	errno = 0;
	if (*s == '-')
		*v = strtoll(s, &end, 0);
	else
		*v = (long long)strtoull(*s == '+' ? s + 1 : s, &end, 0);
	if (end == s || *end || errno)
		return fail(a, "bad number '%s'", s);
	return 0;
}

static int imm32(struct asm_state *a, const char *s, int32_t *imm)
{
	long long v;

	if (number(a, s, &v))
		return -1;
	if (v < -2147483648LL || v > 0xffffffffLL)
		return fail(a, "immediate out of range '%s'", s);
	*imm = (int32_t)(uint32_t)v;
	return 0;
}

/* [%rN], [%rN+off], [%rN-off] */
static int memref(struct asm_state *a, char *s, int *r, int16_t *off)
{
	size_t n = strlen(s);
	char *sign;
	long long v = 0;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return fail(a, "expected [%%rN+off]: '%s'", s);
	s[n - 1] = '\0';
	s++;
	sign = strpbrk(s, "+-");
	if (sign) {
		if (number(a, sign, &v))
			return -1;
		if (v < -32768 || v > 32767)
			return fail(a, "offset out of range");
		*sign = '\0';
	}
	*off = (int16_t)v;
	return reg(a, trim(s), r);
}

static int label_pc(struct asm_state *a, const char *name)
{
	for (int i = 0; i < a->nr_labels; i++)
		if (!strcmp(a->labels[i].name, name))
			return a->labels[i].pc;
	return -1;
}

/*
 * A jump target: a label, a signed offset, or (unless a label has that name)
 * "exit", the first exit after the jump; returns the pc-relative offset.
 */
static int target(struct asm_state *a, const char *s, int pc, long long *rel)
{
	int t = label_pc(a, s);

	for (int i = 0; t < 0 && !strcmp(s, "exit") && i < a->nr_exits; i++)
		if (a->exits[i] > pc)
			t = a->exits[i];

	if (t >= 0) {
		*rel = t - pc - 1;
		return 0;
	}
	if (*s != '+' && *s != '-' && !isdigit((unsigned char)*s))
		return fail(a, "unknown label '%s'", s);
	return number(a, s, rel);
}

static const struct { const char *name; uint8_t op; int16_t off; } alu_ops[] = {
	{ "add", BPF_ADD, 0 }, { "sub", BPF_SUB, 0 }, { "mul", BPF_MUL, 0 }, { "div", BPF_DIV, 0 },
	{ "sdiv", BPF_DIV, 1 }, { "or", BPF_OR, 0 }, { "and", BPF_AND, 0 }, { "lsh", BPF_LSH, 0 },
	{ "rsh", BPF_RSH, 0 }, { "neg", BPF_NEG, 0 }, { "mod", BPF_MOD, 0 }, { "smod", BPF_MOD, 1 },
	{ "xor", BPF_XOR, 0 }, { "mov", BPF_MOV, 0 }, { "arsh", BPF_ARSH, 0 },
};

static const struct { const char *name; uint8_t op; } jmp_ops[] = {
	{ "ja", BPF_JA }, { "jeq", BPF_JEQ }, { "jgt", BPF_JGT }, { "jge", BPF_JGE },
	{ "jset", BPF_JSET }, { "jne", BPF_JNE }, { "jsgt", BPF_JSGT }, { "jsge", BPF_JSGE },
	{ "jlt", BPF_JLT }, { "jle", BPF_JLE }, { "jslt", BPF_JSLT }, { "jsle", BPF_JSLE },
};

static const struct { const char *name; uint8_t op; } atomic_ops[] = {
	{ "add", BPF_ADD }, { "or", BPF_OR }, { "and", BPF_AND }, { "xor", BPF_XOR },
	{ "xchg", BPF_XCHG }, { "cmpxchg", BPF_CMPXCHG },
};

static int size_code(const char *s)
{
	if (!strcmp(s, "b"))
		return BPF_B;
	if (!strcmp(s, "h"))
		return BPF_H;
	if (!strcmp(s, "w"))
		return BPF_W;
	if (!strcmp(s, "dw"))
		return BPF_DW;
	return -1;
}

/* Strip a trailing "32": returns true if it was there. */
static bool cut32(char *m)
{
	size_t n = strlen(m);

	if (n > 2 && !strcmp(m + n - 2, "32")) {
		m[n - 2] = '\0';
		return true;
	}
	return false;
}

/* An ALU or JMP source operand: %rN (the X form) or a 32-bit immediate. */
static int source(struct asm_state *a, const char *op, struct bpf_insn *in)
{
	int s;

	if (op[0] != '%')
		return imm32(a, op, &in->imm);
	if (reg(a, op, &s))
		return -1;
	in->code |= BPF_X;
	in->src_reg = s;
	return 0;
}

static int encode_alu(struct asm_state *a, char *m, char **ops, int nops, struct bpf_insn *in)
{
	bool is32 = cut32(m);
	int d;

	for (size_t i = 0; i < sizeof(alu_ops) / sizeof(alu_ops[0]); i++) {
		if (strcmp(m, alu_ops[i].name))
			continue;
		in->code = (is32 ? BPF_ALU : BPF_ALU64) | alu_ops[i].op;
		in->off = alu_ops[i].off;
		if (alu_ops[i].op == BPF_NEG) {
			if (nops != 1)
				return fail(a, "neg takes one register");
			return reg(a, ops[0], &d) ? -1 : (in->dst_reg = d, 0);
		}
		if (nops != 2 || reg(a, ops[0], &d))
			return nops != 2 ? fail(a, "%s takes two operands", m) : -1;
		in->dst_reg = d;
		return source(a, ops[1], in);
	}
	return 1;	/* not an ALU mnemonic */
}

static int encode_jmp(struct asm_state *a, char *m, char **ops, int nops, int pc,
		      struct bpf_insn *in)
{
	bool is32 = cut32(m);
	long long rel;
	int d;

	for (size_t i = 0; i < sizeof(jmp_ops) / sizeof(jmp_ops[0]); i++) {
		if (strcmp(m, jmp_ops[i].name))
			continue;
		in->code = (is32 ? BPF_JMP32 : BPF_JMP) | jmp_ops[i].op;
		if (jmp_ops[i].op == BPF_JA) {
			if (nops != 1 || target(a, ops[0], pc, &rel))
				return nops != 1 ? fail(a, "ja takes a target") : -1;
			if (is32)
				in->imm = (int32_t)rel;
			else
				in->off = (int16_t)rel;
			return 0;
		}
		if (nops != 3 || reg(a, ops[0], &d) || target(a, ops[2], pc, &rel))
			return nops != 3 ? fail(a, "%s takes three operands", m) : -1;
		if (rel < -32768 || rel > 32767)
			return fail(a, "jump too far");
		in->dst_reg = d;
		in->off = (int16_t)rel;
		return source(a, ops[1], in);
	}
	return 1;
}

/* ldx*, st*, stx*, lock ... */
static int encode_mem(struct asm_state *a, char *m, char **ops, int nops, struct bpf_insn *in)
{
	int size, d, s;
	int16_t off;

	if (!strncmp(m, "ldxs", 4) && (size = size_code(m + 4)) >= 0 && size != BPF_DW) {
		in->code = BPF_LDX | BPF_MEMSX | size;
	} else if (!strncmp(m, "ldx", 3) && (size = size_code(m + 3)) >= 0) {
		in->code = BPF_LDX | BPF_MEM | size;
	} else if (!strncmp(m, "stx", 3) && (size = size_code(m + 3)) >= 0) {
		in->code = BPF_STX | BPF_MEM | size;
	} else if (!strncmp(m, "st", 2) && (size = size_code(m + 2)) >= 0) {
		in->code = BPF_ST | BPF_MEM | size;
	} else {
		return 1;
	}
	if (nops != 2)
		return fail(a, "%s takes two operands", m);
	if (BPF_CLASS(in->code) == BPF_LDX) {
		if (reg(a, ops[0], &d) || memref(a, ops[1], &s, &off))
			return -1;
	} else {
		if (memref(a, ops[0], &d, &off))
			return -1;
		if (BPF_CLASS(in->code) == BPF_ST) {
			s = 0;
			if (imm32(a, ops[1], &in->imm))
				return -1;
		} else if (reg(a, ops[1], &s)) {
			return -1;
		}
	}
	in->dst_reg = d;
	in->src_reg = s;
	in->off = off;
	return 0;
}

static int encode_lock(struct asm_state *a, char **words, int nwords, char **ops, int nops,
		       struct bpf_insn *in)
{
	bool fetch = nwords == 3 && !strcmp(words[1], "fetch");
	char *m = words[nwords - 1];
	bool is32 = cut32(m);
	int d, s;
	int16_t off;

	if (nwords != 2 && !fetch)
		return fail(a, "bad lock instruction");
	for (size_t i = 0; i < sizeof(atomic_ops) / sizeof(atomic_ops[0]); i++) {
		if (strcmp(m, atomic_ops[i].name))
			continue;
		if (nops != 2 || memref(a, ops[0], &d, &off) || reg(a, ops[1], &s))
			return nops != 2 ? fail(a, "lock takes two operands") : -1;
		in->code = BPF_STX | BPF_ATOMIC | (is32 ? BPF_W : BPF_DW);
		in->dst_reg = d;
		in->src_reg = s;
		in->off = off;
		in->imm = atomic_ops[i].op | (fetch ? BPF_FETCH : 0);
		return 0;
	}
	return fail(a, "unknown atomic operation '%s'", m);
}

static int encode_end(struct asm_state *a, const char *m, char **ops, int nops,
		      struct bpf_insn *in)
{
	static const struct { const char *prefix; uint8_t code; } kinds[] = {
		{ "le", BPF_ALU | BPF_END | BPF_TO_LE }, { "be", BPF_ALU | BPF_END | BPF_TO_BE },
		{ "bswap", BPF_ALU64 | BPF_END }, { "swap", BPF_ALU64 | BPF_END },
	};
	int d;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);
		const char *w = m + n;

		if (strncmp(m, kinds[i].prefix, n) || (strcmp(w, "16") && strcmp(w, "32") && strcmp(w, "64")))
			continue;
		if (nops != 1 || reg(a, ops[0], &d))
			return nops != 1 ? fail(a, "%s takes one register", m) : -1;
		in->code = kinds[i].code;
		in->dst_reg = d;
		in->imm = atoi(w);
		return 0;
	}
	return 1;
}

/* movsx{8,16,32}{32,64} */
static int encode_movsx(struct asm_state *a, const char *m, char **ops, int nops,
			struct bpf_insn *in)
{
	static const struct { const char *suffix; int from, to; } forms[] = {
		{ "832", 8, 32 }, { "864", 8, 64 }, { "1632", 16, 32 }, { "1664", 16, 64 },
		{ "3264", 32, 64 },
	};
	int from = 0, to = 0, d, s;

	if (strncmp(m, "movsx", 5))
		return 1;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (!strcmp(m + 5, forms[i].suffix)) {
			from = forms[i].from;
			to = forms[i].to;
		}
	}
	if (!from)
		return 1;
	if (nops != 2 || reg(a, ops[0], &d) || reg(a, ops[1], &s))
		return nops != 2 ? fail(a, "%s takes two registers", m) : -1;
	in->code = (to == 64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X;
	in->dst_reg = d;
	in->src_reg = s;
	in->off = (int16_t)from;
	return 0;
}

/* One instruction at pc; the number of words it takes, or -1. */
static int encode(struct asm_state *a, char *text, int pc, struct bpf_insn *in)
{
	char *words[4], *ops[MAX_OPS], *rest, *p;
	int nwords = 0, nops = 0, r, d;
	long long v;

	memset(in, 0, 2 * sizeof(*in));
	/* mnemonic words up to the first operand ('%', '[', digit, sign or label) */
	p = text;
	while (*p && nwords < 4) {
		char *w = p;

		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
		words[nwords++] = w;
		while (isspace((unsigned char)*p))
			p++;
		if (strcmp(w, "lock") && strcmp(w, "fetch") && strcmp(w, "call"))
			break;
		if (!strcmp(w, "call") && strncmp(p, "local", 5))
			break;
	}
	rest = p;
	for (char *tok = strtok(rest, ","); tok && nops < MAX_OPS; tok = strtok(NULL, ","))
		ops[nops++] = trim(tok);
	if (!strcmp(words[0], "lock"))
		return encode_lock(a, words, nwords, ops, nops, in) ? -1 : 1;
	if (!strcmp(words[0], "call")) {
		in->code = BPF_JMP | BPF_CALL;
		if (nwords == 2 && !strcmp(words[1], "local")) {
			long long rel;

			if (nops != 1 || label_pc(a, ops[0]) < 0)
				return fail(a, "call local needs a label");
			target(a, ops[0], pc, &rel);
			in->src_reg = BPF_PSEUDO_CALL;
			in->imm = (int32_t)rel;
			return 1;
		}
		if (nops != 1)
			return fail(a, "call takes one operand");
		if (ops[0][0] == '%') {
			in->code |= BPF_X;
			return reg(a, ops[0], &d) ? -1 : (in->dst_reg = d, 1);
		}
		return imm32(a, ops[0], &in->imm) ? -1 : 1;
	}
	if (!strcmp(words[0], "exit")) {
		in->code = BPF_JMP | BPF_EXIT;
		return nops ? fail(a, "exit takes no operand") : 1;
	}
	if (!strcmp(words[0], "lddw")) {
		if (nops != 2 || reg(a, ops[0], &d) || number(a, ops[1], &v))
			return nops != 2 ? fail(a, "lddw takes two operands") : -1;
		in[0].code = BPF_LD | BPF_IMM | BPF_DW;
		in[0].dst_reg = d;
		in[0].imm = (int32_t)(uint32_t)v;
		in[1].imm = (int32_t)(uint32_t)((unsigned long long)v >> 32);
		return 2;
	}
	if ((r = encode_movsx(a, words[0], ops, nops, in)) <= 0 ||
	    (r = encode_end(a, words[0], ops, nops, in)) <= 0 ||
	    (r = encode_mem(a, words[0], ops, nops, in)) <= 0)
		return r ? -1 : 1;
	{
		char m[16];

		snprintf(m, sizeof(m), "%s", words[0]);
		if ((r = encode_alu(a, m, ops, nops, in)) <= 0)
			return r ? -1 : 1;
		snprintf(m, sizeof(m), "%s", words[0]);
		if ((r = encode_jmp(a, m, ops, nops, pc, in)) <= 0)
			return r ? -1 : 1;
	}
	return fail(a, "unknown instruction '%s'", words[0]);
}

/* One pass over the lines: define labels, or encode into out; the word count. */
static int walk(struct asm_state *a, const char *src, struct bpf_insn *out, int max, bool define)
{
	char line[256];
	int pc = 0;

	a->line = 0;
	while (*src) {
		size_t n = strcspn(src, "\n");
		char *s, *hash;
		int w;

		a->line++;
		if (n >= sizeof(line))
			return fail(a, "line too long");
		memcpy(line, src, n);
		line[n] = '\0';
		src += n + (src[n] == '\n');
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		if (s[strlen(s) - 1] == ':') {
			s[strlen(s) - 1] = '\0';
			if (define) {
				if (a->nr_labels == MAX_LABELS || strlen(s) >= sizeof(a->labels[0].name))
					return fail(a, "too many labels or label too long");
				snprintf(a->labels[a->nr_labels].name, sizeof(a->labels[0].name), "%s", s);
				a->labels[a->nr_labels++].pc = pc;
			}
			continue;
		}
		if (define) {
			if (!strcmp(s, "exit") && a->nr_exits < MAX_EXITS)
				a->exits[a->nr_exits++] = pc;
			pc += strncmp(s, "lddw", 4) || !isspace((unsigned char)s[4]) ? 1 : 2;
			continue;
		}
		if (pc + 2 > max)
			return fail(a, "program too long");
		w = encode(a, s, pc, &out[pc]);
		if (w < 0)
			return -1;
		pc += w;
	}
	return pc;
}

int bpf_asm(const char *src, struct bpf_insn *out, int max, char *err, size_t errlen)
{
	static struct asm_state a;

	memset(&a, 0, sizeof(a));
	a.err = err;
	a.errlen = errlen;
	if (walk(&a, src, out, max, true) < 0)
		return -1;
	return walk(&a, src, out, max, false);
}
