/* Host tests for probes/filter.c: compiling and evaluating event filters. */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"
#include "ptregs.h"

#define MEM_BASE	0xffff888000100000ULL
static uint8_t mem[4096];

static int read_mem(void *dst, uint64_t addr, size_t n)
{
	if (addr < MEM_BASE || addr - MEM_BASE > sizeof(mem) ||
	    n > sizeof(mem) - (addr - MEM_BASE))
		return -EFAULT;
	memcpy(dst, mem + (addr - MEM_BASE), n);
	return 0;
}

static struct trace_event_def def;
static struct trace_filter filt;
static uint8_t rec[TRACE_RECORD_MAX];
static char err[TRACE_ERR_MAX];

/*
 * The event every test filters: a=-5 (s32) b=7 (u64) c=0x0c (x8)
 * name="eth0" arr={1,2} bad=(fault) sym=0x1000 (symbol).
 */
static void setup(void)
{
	static struct pt_regs regs;
	struct fetch_ctx ctx = { .regs = &regs, .read_mem = read_mem };
	int ret;

	ret = trace_event_parse("p:ev f a=%di:s32 b=%si:u64 c=%dx:x8"
				" name=+0(%cx):string arr=+0(%cx):u8[2]"
				" bad=+0(%r8):u32 sym=%r9:symbol",
				&def, err, sizeof(err));
	CHECK_EQ(ret, 0);
	memset(mem, 0, sizeof(mem));
	memcpy(mem + 0x10, "eth0", 5);
	regs.di = (uint32_t)-5;
	regs.si = 7;
	regs.dx = 0x10c;
	regs.cx = MEM_BASE + 0x10;
	regs.r8 = 0x1234;
	regs.r9 = 0x1000;
	CHECK_EQ(fetch_args(&def, &ctx, rec, sizeof(rec)), 0);
}

/* 1: passes, 0: blocked, -1: did not compile. */
static int verdict(const char *expr)
{
	if (trace_filter_compile(&filt, expr, &def, err, sizeof(err)))
		return -1;
	return trace_filter_match(&filt, &def, rec);
}

static const struct {
	const char *expr;
	int pass;
} cases[] = {
	{ "a == -5", 1 }, { "a == 5", 0 }, { "a != -5", 0 }, { "a < 0", 1 },
	{ "a <= -5", 1 }, { "a < -5", 0 }, { "a > -6", 1 }, { "a >= -4", 0 },
	{ "b == 7", 1 }, { "b > 6", 1 }, { "b < 7", 0 }, { "b == 0x7", 1 },
	{ "b == 07", 1 }, { "b >= 8", 0 }, { "b != 8", 1 },
	{ "c == 0xc", 1 }, { "c == 12", 1 }, { "c & 4", 1 }, { "c & 0x3", 0 },
	{ "c&8", 1 }, { "sym == 0x1000", 1 }, { "sym > 0xfff", 1 },
	{ "a==-5&&b==7", 1 }, { "a == -5 && b == 8", 0 },
	{ "a == 1 || b == 7", 1 }, { "a == 1 || b == 8", 0 },
	/* && binds tighter than || */
	{ "b == 7 || a == 1 && c == 0", 1 }, { "(b == 7 || a == 1) && c == 0", 0 },
	{ "a == 1 && b == 7 || c == 12", 1 },
	{ "!(a == -5)", 0 }, { "!a == 1", 1 }, { "!!(b == 7)", 1 },
	{ "!(a == 1 || b == 8) && (c & 8)", 1 },
	{ "((((b == 7))))", 1 },
	{ "name == \"eth0\"", 1 }, { "name == 'eth0'", 1 }, { "name != \"lo\"", 1 },
	{ "name == \"eth\"", 0 }, { "name ~ \"eth*\"", 1 }, { "name ~ \"?th0\"", 1 },
	{ "name ~ \"lo*\"", 0 }, { "name == \"eth0\" && b == 7", 1 },
	{ "name == \"\"", 0 }, { "name ~ \"*\"", 1 },
	/* A faulted argument fails every test on it, whichever way. */
	{ "bad == 0", 0 }, { "bad != 0", 0 }, { "!(bad == 0)", 1 },
	{ "bad == 0 || b == 7", 1 },
	{ "  b == 7  ", 1 }, { "\tb\t==\t7\t", 1 },
};

static void t_pass_and_block(void)
{
	unsigned int i;
	int v;

	setup();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = verdict(cases[i].expr);
		if (v != cases[i].pass)
			printf("    # \"%s\": got %d (%s)\n", cases[i].expr, v, err);
		CHECK_EQ(v, cases[i].pass);
	}
}

static void t_clear_and_keep(void)
{
	setup();
	CHECK_EQ(verdict("b == 8"), 0);
	CHECK(filt.nnodes > 0);
	CHECK_STR(filt.text, "b == 8");
	/* A bad filter leaves the old one in place. */
	CHECK_EQ(trace_filter_compile(&filt, "b = 8", &def, err, sizeof(err)), -EINVAL);
	CHECK_STR(filt.text, "b == 8");
	CHECK_EQ(trace_filter_match(&filt, &def, rec), 0);
	/* "0" clears: everything passes, as does no filter at all. */
	CHECK_EQ(verdict("0"), 1);
	CHECK_EQ(filt.nnodes, 0);
	CHECK_STR(filt.text, "none");
	CHECK_EQ(verdict(" 0 "), 1);
	CHECK(trace_filter_match(NULL, &def, rec));
}

static const struct {
	const char *expr;
	const char *msg;
} bad[] = {
	{ "", "bad filter at end: empty filter (use 0 to clear)" },
	{ "   ", "bad filter at end: empty filter (use 0 to clear)" },
	{ "foo == 1", "bad filter at 'foo == 1': unknown field 'foo'" },
	{ "b = 8", "bad filter at '= 8': expected ==, !=, <, <=, >, >=, & or ~ after 'b'" },
	{ "b == ", "bad filter at end: expected a number" },
	{ "b ==", "bad filter at end: expected a number" },
	{ "b == x", "bad filter at 'x': expected a number" },
	{ "b == 12abc", "bad filter at '12abc': expected a number" },
	{ "b == -1", "bad filter at '-1': negative value for unsigned field 'b'" },
	{ "b == 0x1ffffffffffffffff", "bad filter at '0x1ffffffffffffffff': number out of range" },
	{ "a == 9223372036854775808", "bad filter at '9223372036854775808': number out of range" },
	{ "b == \"7\"", "bad filter at '\"7\"': 'b' is a number, not a string" },
	{ "b ~ \"7\"", "bad filter at '~ \"7\"': '~' is only for string fields" },
	{ "name < \"x\"", "bad filter at '< \"x\"': '<' is not valid for string field 'name' (use ==, != or ~)" },
	{ "name & 1", "bad filter at '& 1': '&' is not valid for string field 'name' (use ==, != or ~)" },
	{ "name == eth0", "bad filter at 'eth0': expected a quoted string for 'name'" },
	{ "name == \"eth0", "bad filter at '\"eth0': missing closing quote" },
	{ "arr == 1", "bad filter at 'arr == 1': 'arr' is an array; arrays cannot be filtered" },
	{ "b == 7 &&", "bad filter at end: expected a field name after an operator" },
	{ "b == 7 || || a == 1", "bad filter at '|| a == 1': expected a field name" },
	{ "b == 7 a == 1", "bad filter at 'a == 1': expected '&&' or '||'" },
	{ "b == 7 & a == 1", "bad filter at '& a == 1': expected '&&' or '||'" },
	{ "(b == 7", "bad filter at end: missing ')'" },
	{ "b == 7)", "bad filter at ')': unbalanced ')'" },
	{ "()", "bad filter at ')': expected a field name" },
	{ "b && a", "bad filter at '&& a': expected ==, !=, <, <=, >, >=, & or ~ after 'b'" },
	{ "1 == b", "bad filter at '1 == b': expected a field name" },
	{ "0 == b", "bad filter at '0 == b': expected a field name" },
	{ "!= 3", "bad filter at '!= 3': expected a field name" },
	{ "b == 7 ||| a == 1", "bad filter at '| a == 1': expected a field name" },
};

static void t_syntax_errors(void)
{
	unsigned int i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_EQ(trace_filter_compile(&filt, bad[i].expr, &def, err,
					      sizeof(err)), -EINVAL);
		CHECK_STR(err, bad[i].msg);
	}
}

static void t_limits(void)
{
	char expr[TRACE_FILTER_TEXT_MAX + 8];
	unsigned int i;

	setup();
	/* 32 predicates + 31 ORs = 63 nodes, a NOT makes 64, one more is too many. */
	expr[0] = '\0';
	for (i = 0; i < 32; i++)
		strcat(expr, i ? "||b==1" : "b==1");
	CHECK_EQ(strlen(expr), 32 * 4 + 31 * 2);
	CHECK_EQ(verdict(expr), 0);
	CHECK_EQ(filt.nnodes, 63);
	memmove(expr + 2, expr, strlen(expr) + 1);
	memcpy(expr, "!(", 2);
	strcat(expr, ")");
	CHECK_EQ(verdict(expr), 1);
	CHECK_EQ(filt.nnodes, 64);
	expr[strlen(expr) - 1] = '\0';
	memmove(expr, expr + 2, strlen(expr + 2) + 1);
	strcat(expr, "||b==7");
	CHECK_EQ(verdict(expr), -1);
	CHECK_STR(err, "bad filter at '||b==7': too many terms (max 64 nodes)");
	/* 16 nested parentheses are fine, 17 are not. */
	strcpy(expr, "((((((((((((((((b==7))))))))))))))))");
	CHECK_EQ(verdict(expr), 1);
	strcpy(expr, "(((((((((((((((((b==7)))))))))))))))))");
	CHECK_EQ(verdict(expr), -1);
	CHECK_STR(err, "bad filter at '(b==7)))))))))))))))))': nested too deeply (max 16)");
	/* Text up to 255 characters. */
	memset(expr, ' ', 255);
	memcpy(expr + 200, "b == 7", 6);
	expr[255] = '\0';
	CHECK_EQ(verdict(expr), 1);
	strcat(expr, " ");
	CHECK_EQ(verdict(expr), -1);
	CHECK_STR(err, "bad filter at end: longer than 255 characters");
}

int main(void)
{
	RUN(t_pass_and_block);
	RUN(t_clear_and_keep);
	RUN(t_syntax_errors);
	RUN(t_limits);
	return check_done();
}
