/*
 * Host tests for probes/fetch.c (evaluating and printing fetch-args) and
 * probes/trace_fmt.c (trace lines), ending with the whole hit path.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"
#include "ptregs.h"

/* A fake kernel address space: two mapped pages, nothing else. */
#define MEM_BASE	0xffff888000100000ULL
#define MEM_SIZE	8192
static uint8_t mem[MEM_SIZE];

static int read_mem(void *dst, uint64_t addr, size_t n)
{
	if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE ||
	    n > MEM_SIZE - (addr - MEM_BASE))
		return -EFAULT;
	memcpy(dst, mem + (addr - MEM_BASE), n);
	return 0;
}

static void poke64(uint64_t addr, uint64_t v)
{
	memcpy(mem + (addr - MEM_BASE), &v, 8);
}

static void poke_str(uint64_t addr, const char *s)
{
	memcpy(mem + (addr - MEM_BASE), s, strlen(s) + 1);
}

#define SYM_DO_WORK	0xffffffff81001000ULL
#define SYM_JIFFIES	0xffff888000100800ULL	/* "data" inside mem */

static int lookup(const char *name, uint64_t *addr)
{
	if (!strcmp(name, "do_work") || !strcmp(name, "f"))
		*addr = SYM_DO_WORK;
	else if (!strcmp(name, "jiffies"))
		*addr = SYM_JIFFIES;
	else
		return -ENOENT;
	return 0;
}

static int addr_to_sym(uint64_t addr, char *name, size_t len, uint64_t *off,
		       uint64_t *size)
{
	if (addr < SYM_DO_WORK || addr >= SYM_DO_WORK + 0x40)
		return -ENOENT;
	snprintf(name, len, "do_work");
	*off = addr - SYM_DO_WORK;
	*size = 0x40;
	return 0;
}

static struct trace_event_def def;
static struct pt_regs regs;
static struct fetch_ctx ctx;
static uint8_t rec[TRACE_RECORD_MAX];
static char err[TRACE_ERR_MAX];

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	memset(&regs, 0, sizeof(regs));
	memset(&ctx, 0, sizeof(ctx));
	ctx.regs = &regs;
	ctx.read_mem = read_mem;
	ctx.comm = "kworker/0:1";
	regs.sp = MEM_BASE + 0x100;
}

/* Parse, resolve, fetch and format in one go: " a=... b=...". */
static const char *run(const char *line)
{
	static char out[2048];
	int ret;

	ret = trace_event_parse(line, &def, err, sizeof(err));
	if (!ret)
		ret = trace_event_resolve(&def, lookup, err, sizeof(err));
	if (ret) {
		snprintf(out, sizeof(out), "ERR %s", err);
		return out;
	}
	memset(rec, 0xa5, sizeof(rec));	/* no stale bytes may show */
	if (fetch_args(&def, &ctx, rec, def.rec_size)) {
		snprintf(out, sizeof(out), "ERR fetch");
		return out;
	}
	fetch_format(&def, rec, addr_to_sym, out, sizeof(out));
	return out;
}

static void t_registers(void)
{
	setup();
	regs.di = 3;
	regs.si = 0xffffffffffffff9cULL;
	regs.ax = 0x1234567890abcdefULL;
	regs.r8 = 0xfffffffe00000001ULL;
	regs.ip = SYM_DO_WORK + 4;
	CHECK_STR(run("p:myprobe do_work dfd=%di %si %rax %eax %r8d %ip:symbol"),
		  " dfd=0x3 arg2=0xffffffffffffff9c arg3=0x1234567890abcdef"
		  " arg4=0x90abcdef arg5=0x1 arg6=do_work+0x4/0x40");
	CHECK_STR(run("p f a=%si:s32 b=%si:u32 c=%si:s64 d=%si:u64 e=%ax:u8"
		      " f=%ax:s8 g=%ax:x16 h=%ax:s16 i=%di:x8"),
		  " a=-100 b=4294967196 c=-100 d=18446744073709551516 e=239"
		  " f=-17 g=0xcdef h=-12817 i=0x3");
	regs.flags = 0x246;
	regs.cs = 0x10;
	CHECK_STR(run("p f %flags %cs:u16 %orig_ax"),
		  " arg1=0x246 arg2=16 arg3=0x0");
}

static void t_stack_and_args(void)
{
	setup();
	poke64(regs.sp, SYM_DO_WORK + 0x10);	/* return address */
	poke64(regs.sp + 8, 77);
	poke64(regs.sp + 16, 88);
	regs.di = 1; regs.si = 2; regs.dx = 3; regs.cx = 4; regs.r8 = 5; regs.r9 = 6;
	CHECK_STR(run("p do_work $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7:u64 $arg8:u64"),
		  " arg1=0x1 arg2=0x2 arg3=0x3 arg4=0x4 arg5=0x5 arg6=0x6 arg7=77 arg8=88");
	CHECK_STR(run("p do_work s=$stack r=$stack0:symbol a=$stack1:s8 +8($stack):u32"),
		  " s=0xffff888000100100 r=do_work+0x10/0x40 a=77 arg4=77");
	/* A stack pointer into nothing: $stack still prints, $stackN faults. */
	regs.sp = 0x1000;
	CHECK_STR(run("p do_work $stack $stack2 $arg7 %di"),
		  " arg1=0x1000 arg2=(fault) arg3=(fault) arg4=0x1");
}

static void t_retval_comm_imm(void)
{
	setup();
	ctx.is_return = true;
	ctx.retval = (uint64_t)-2;
	CHECK_STR(run("r:myret do_work $retval rv=$retval:s32 $comm"),
		  " arg1=0xfffffffffffffffe rv=-2 arg3=\"kworker/0:1\"");
	ctx.comm = NULL;
	CHECK_STR(run("r do_work c=$comm:string"), " c=\"\"");
	/* A return-probe definition fetched outside a return: no value. */
	ctx.is_return = false;
	CHECK_STR(run("r do_work $retval"), " arg1=(fault)");
	poke_str(MEM_BASE + 0x200, "imm");
	CHECK_STR(run("p f \\42 \\-1:s16 \\0x10:u8 \\0xffff888000100200:string"),
		  " arg1=0x2a arg2=-1 arg3=16 arg4=\"imm\"");
}

static void t_memory(void)
{
	setup();
	poke64(SYM_JIFFIES, 0x1122334455667788ULL);
	poke64(SYM_JIFFIES + 8, MEM_BASE + 0x300);
	poke64(MEM_BASE + 0x300, 0xabcdULL);
	poke64(MEM_BASE + 0x310, 0xdead);
	CHECK_STR(run("p f @jiffies @jiffies:u32 @jiffies+4:x32 @0xffff888000100800:u8"
		      " +0(@jiffies+8):u16 +16(@jiffies+8):x64"),
		  " arg1=0x1122334455667788 arg2=1432778632 arg3=0x11223344"
		  " arg4=136 arg5=43981 arg6=0xdead");
	/* @SYM-offs and \IMM as an address to dereference. */
	CHECK_STR(run("p f @jiffies+16-8:x64"),
		  "ERR Invalid memory address");
	CHECK_STR(run("p f a=@jiffies-0x10 +0x800(\\0xffff888000100000):x8"),
		  " a=0x0 arg2=0x88");
	/* An unresolved @SYM (resolve not called) reads nothing. */
	CHECK_EQ(trace_event_parse("p f @jiffies", &def, err, sizeof(err)), 0);
	CHECK_EQ(fetch_args(&def, &ctx, rec, sizeof(rec)), 0);
	fetch_format(&def, rec, NULL, (char *)err, sizeof(err));
	CHECK_STR(err, " arg1=(fault)");
}

static void t_nested_and_faults(void)
{
	setup();
	/* di -> struct a { ..., +8: struct b * } ; b { +16: u32 count } */
	regs.di = MEM_BASE + 0x400;
	poke64(MEM_BASE + 0x408, MEM_BASE + 0x500);
	poke64(MEM_BASE + 0x510, 42);
	poke64(MEM_BASE + 0x500, MEM_BASE + 0x600);
	poke_str(MEM_BASE + 0x600, "name");
	poke64(MEM_BASE + 0x4f8, 0x77);
	CHECK_STR(run("p f c=+16(+8(%di)):u32 n=+0(+0(+8(%di))):string neg=-8(+0x408(\\0xffff888000100000))"),
		  " c=42 n=\"name\" neg=0x77");
	/* A pointer into nothing: only that argument faults. */
	poke64(MEM_BASE + 0x408, 0xdead000000000000ULL);
	CHECK_STR(run("p f a=%di c=+16(+8(%di)):u32 s=+0(+8(%di)):string b=%di:u8"),
		  " a=0xffff888000100400 c=(fault) s=(fault) b=0");
	/* The read straddling the end of the mapping faults as a whole. */
	regs.di = MEM_BASE + MEM_SIZE - 4;
	CHECK_STR(run("p f +0(%di):u32 +0(%di):u64 +2(%di):u16 +4(%di):u8"),
		  " arg1=0 arg2=(fault) arg3=0 arg4=(fault)");
}

static void t_strings(void)
{
	char longstr[100];

	setup();
	regs.di = MEM_BASE + 0x100;
	poke_str(MEM_BASE + 0x100, "abc");
	poke_str(MEM_BASE + 0x180, "tab\there\x01");
	memset(longstr, 'L', 99);
	longstr[99] = '\0';
	poke_str(MEM_BASE + 0x200, longstr);
	CHECK_STR(run("p f s=+0(%di):string t=+0x80(%di):string e=+0x3(%di):string"),
		  " s=\"abc\" t=\"tab.here.\" e=\"\"");
	/* Cut at TRACE_STRING_MAX - 1 bytes. */
	CHECK_STR(run("p f +0x100(%di):string"),
		  " arg1=\"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL\"");
	/* A short string right before the unmapped end still reads... */
	poke_str(MEM_BASE + MEM_SIZE - 4, "xyz");
	regs.si = MEM_BASE + MEM_SIZE - 4;
	CHECK_STR(run("p f +0(%si):string"), " arg1=\"xyz\"");
	/* ...one running into it faults. */
	memset(mem + MEM_SIZE - 4, 'q', 4);
	CHECK_STR(run("p f +0(%si):string"), " arg1=(fault)");
	/* A string crossing the page boundary inside the mapping is fine. */
	poke_str(MEM_BASE + 4096 - 2, "cross");
	regs.si = MEM_BASE + 4096 - 2;
	CHECK_STR(run("p f +0(%si):string"), " arg1=\"cross\"");
}

static void t_arrays(void)
{
	uint16_t v16[4] = { 1, 2, 0xfffe, 4 };

	setup();
	regs.di = MEM_BASE + 0x700;
	memcpy(mem + 0x700, v16, sizeof(v16));
	CHECK_STR(run("p f a=+0(%di):u16[4] b=+0(%di):x8[3] c=+0(%di):s16[3]"
		      " d=+4(%di):x16[1]"),
		  " a={1,2,65534,4} b={0x1,0x0,0x2} c={1,2,-2} d={0xfffe}");
	/* string[N]: N pointers, each element faulting on its own. */
	poke64(MEM_BASE + 0x800, MEM_BASE + 0x900);
	poke64(MEM_BASE + 0x808, 0x10);
	poke64(MEM_BASE + 0x810, MEM_BASE + 0x908);
	poke_str(MEM_BASE + 0x900, "one");
	poke_str(MEM_BASE + 0x908, "three");
	regs.si = MEM_BASE + 0x800;
	CHECK_STR(run("p f v=+0(%si):string[3]"), " v={\"one\",(fault),\"three\"}");
	/* symbol arrays and an array running off the mapping. */
	poke64(MEM_BASE + 0xa00, SYM_DO_WORK);
	poke64(MEM_BASE + 0xa08, SYM_DO_WORK + 0x3f);
	poke64(MEM_BASE + 0xa10, 0x1234);
	regs.dx = MEM_BASE + 0xa00;
	CHECK_STR(run("p f +0(%dx):symbol[3]"),
		  " arg1={do_work+0x0/0x40,do_work+0x3f/0x40,0x1234}");
	regs.dx = MEM_BASE + MEM_SIZE - 8;
	CHECK_STR(run("p f +0(%dx):u64[2] +0(%dx):u64[1]"),
		  " arg1=(fault) arg2={0}");
}

/* Linux's newer types: char, symstr, bitfields, immediate strings. */
static void t_linux_types(void)
{
	setup();
	poke_str(MEM_BASE + 0x10, "Hi");
	poke64(MEM_BASE + 0x20, 0xb6);		/* 1011 0110 */
	regs.di = MEM_BASE + 0x10;
	regs.si = MEM_BASE + 0x20;
	regs.ax = SYM_DO_WORK + 8;
	CHECK_STR(run("p f c=+0(%di):char cs=+0(%di):char[3] s=%ax:symstr"
		      " n=%si:symstr b=+0(%si):b3@4/8 w=+0(%si):b4@0/16 i=\\\"abc\""),
		  " c='H' cs={'H','i','.'} s=\"do_work+0x8/0x40\""
		  " n=\"0xffff888000100020\" b=3 w=6 i=\"abc\"");
	/* A register bitfield: bits 8..15 of %di. */
	regs.di = 0x12345678;
	CHECK_STR(run("p f v=%di:b8@8/32"), " v=86");
}

/* A return probe's $argN is what the argument was at the entry. */
static void t_entry_args(void)
{
	uint64_t saved[4];

	setup();
	CHECK_EQ(trace_event_parse("r do_work a=$arg1 r=$retval:s32 b=$arg2:u8",
				   &def, err, sizeof(err)), 0);
	CHECK(def.entry_args);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), 0);
	regs.di = 7;
	regs.si = 0x1ff;
	fetch_entry_args(&def, &ctx, saved);	/* at the entry */
	CHECK_EQ(saved[0], 7);
	CHECK_EQ(saved[2], 0x1ff);
	regs.di = regs.si = 0;			/* the function clobbers them */
	ctx.is_return = true;
	ctx.retval = 0xffffffff;
	ctx.entry = saved;
	CHECK_EQ(fetch_args(&def, &ctx, rec, def.rec_size), 0);
	{
		char out[256];

		fetch_format(&def, rec, addr_to_sym, out, sizeof(out));
		CHECK_STR(out, " a=0x7 r=-1 b=255");
	}
	/* No saved entry (the instance was missed): a fault, not garbage. */
	ctx.entry = NULL;
	CHECK_EQ(fetch_args(&def, &ctx, rec, def.rec_size), 0);
	CHECK(rec[def.args[0].rec_off] != 0);
}

static void t_format_truncation(void)
{
	char small[16];
	int n;

	setup();
	regs.di = 3;
	CHECK_STR(run("p f dfd=%di longer_name=%di"), " dfd=0x3 longer_name=0x3");
	memset(small, 'Z', sizeof(small));
	n = fetch_format(&def, rec, NULL, small, sizeof(small));
	CHECK_EQ(n, (int)strlen(" dfd=0x3 longer_name=0x3"));
	CHECK_STR(small, " dfd=0x3 longer");
	n = fetch_format(&def, rec, NULL, small, 1);
	CHECK_EQ(small[0], '\0');
	CHECK_EQ(n, 24);
	CHECK_EQ(fetch_format(&def, rec, NULL, NULL, 0), 24);
	/* No arguments: nothing at all. */
	CHECK_STR(run("p f"), "");
}

static void t_values_for_filter(void)
{
	uint64_t v;

	setup();
	regs.di = 0xfffffff0;
	regs.si = MEM_BASE + 0x100;
	poke_str(MEM_BASE + 0x100, "eth0");
	run("p f a=%di:s32 b=%di:u8 s=+0(%si):string arr=+0(%si):u8[2] bad=+0(%ax):u8");
	CHECK_EQ(fetch_get_value(&def, rec, 0, &v), 0);
	CHECK_EQ((int64_t)v, -16);
	CHECK_EQ(fetch_get_value(&def, rec, 1, &v), 0);
	CHECK_EQ(v, 0xf0);
	CHECK_EQ(fetch_get_value(&def, rec, 2, &v), -EINVAL);
	CHECK_STR(fetch_get_string(&def, rec, 2), "eth0");
	CHECK(!fetch_get_string(&def, rec, 0));
	CHECK_EQ(fetch_get_value(&def, rec, 3, &v), -EINVAL);
	CHECK_EQ(fetch_get_value(&def, rec, 4, &v), -EFAULT);
	CHECK_EQ(fetch_get_value(&def, rec, 5, &v), -EINVAL);
	CHECK(!fetch_get_string(&def, rec, 9));
}

static void t_errors(void)
{
	setup();
	CHECK_EQ(trace_event_parse("p f %di +0(%si):string", &def, err, sizeof(err)), 0);
	CHECK_EQ(def.rec_size, 16 + 72);
	CHECK_EQ(fetch_args(&def, &ctx, rec, def.rec_size - 1), -ENOSPC);
	CHECK_EQ(trace_event_parse("-:f", &def, err, sizeof(err)), 0);
	CHECK_EQ(fetch_args(&def, &ctx, rec, sizeof(rec)), -EINVAL);
	/* No read_mem at all: memory args fault, registers still print. */
	ctx.read_mem = NULL;
	regs.di = 9;
	CHECK_STR(run("p f %di +0(%di) $stack1"), " arg1=0x9 arg2=(fault) arg3=(fault)");
	ctx.regs = NULL;
	CHECK_STR(run("p f %di \\5"), " arg1=(fault) arg2=0x5");
}

static void t_trace_line(void)
{
	struct trace_line tl = {
		.comm = "<idle>", .pid = 0, .cpu = 0, .flags = "d..1.",
		.ts_ns = 12345678000ULL, .event = "myprobe",
		.ip = "do_work+0x4/0x40", .args = " dfd=0x3 name=\"abc\"",
	};
	char line[256], small[20];
	int n;

	trace_format_line(&tl, line, sizeof(line));
	CHECK_STR(line, "          <idle>-0       [000] d..1.    12.345678: "
		  "myprobe: (do_work+0x4/0x40) dfd=0x3 name=\"abc\"");
	/* Return events: (return site <- function). */
	tl = (struct trace_line){
		.comm = "kworker/u16:3", .pid = 1447, .cpu = 3, .flags = "....1",
		.ts_ns = 1038282286875123ULL, .event = "myret",
		.ip = "caller+0x1c/0x60", .func = "do_work", .args = " arg1=0x0",
	};
	trace_format_line(&tl, line, sizeof(line));
	CHECK_STR(line, "   kworker/u16:3-1447    [003] ....1 1038282.286875: "
		  "myret: (caller+0x1c/0x60 <- do_work) arg1=0x0");
	/* Task names keep 15 characters; wide pids and CPUs push on. */
	tl = (struct trace_line){
		.comm = "a_very_long_task_name", .pid = 12345678, .cpu = 1234,
		.flags = "dNh2.", .ts_ns = 1500, .event = "e", .ip = "f+0x0/0x1",
	};
	trace_format_line(&tl, line, sizeof(line));
	CHECK_STR(line, " a_very_long_tas-12345678 [1234] dNh2.     0.000002: e: (f+0x0/0x1)");
	/* Microseconds round to nearest, as Linux's ns2usecs(). */
	tl.ts_ns = 999999999500ULL;
	tl.comm = NULL;
	tl.args = NULL;
	trace_format_line(&tl, line, sizeof(line));
	CHECK_STR(line, "           <...>-12345678 [1234] dNh2.  1000.000000: e: (f+0x0/0x1)");
	/* snprintf contract. */
	n = trace_format_line(&tl, small, sizeof(small));
	CHECK_EQ(n, (int)strlen(line));
	CHECK_EQ(strlen(small), sizeof(small) - 1);
}

static void t_trace_header(void)
{
	char hdr[1024], line[256];
	const char *cols;
	struct trace_line tl = {
		.comm = "sh", .pid = 7, .cpu = 1, .flags = "d....", .ts_ns = 5,
		.event = "ev", .ip = "x",
	};

	trace_format_header(hdr, sizeof(hdr), 12, 40, 2);
	CHECK_STR(hdr,
		  "# tracer: nop\n"
		  "#\n"
		  "# entries-in-buffer/entries-written: 12/40   #P:2\n"
		  "#\n"
		  "#                                _-----=> irqs-off/BH-disabled\n"
		  "#                               / _----=> need-resched\n"
		  "#                              | / _---=> hardirq/softirq\n"
		  "#                              || / _--=> preempt-depth\n"
		  "#                              ||| / _-=> migrate-disable\n"
		  "#                              |||| /     delay\n"
		  "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		  "#              | |         |   |||||     |         |\n");
	/* The columns line up with a line's fields. */
	cols = strstr(hdr, "#           TASK-PID");
	trace_format_line(&tl, line, sizeof(line));
	CHECK_EQ(strchr(line, '-') - line, strstr(cols, "-PID") - cols);
	CHECK_EQ(strchr(line, '[') - line, strstr(cols, "CPU#") - cols);
	CHECK_EQ(strstr(line, "d....") - line, strstr(cols, "|||||") - cols);
	CHECK_EQ(strchr(line, ':') - line, strstr(cols, "FUNCTION") - cols);
}

static void t_format_ip(void)
{
	char buf[64];

	trace_format_ip(SYM_DO_WORK + 4, true, addr_to_sym, buf, sizeof(buf));
	CHECK_STR(buf, "do_work+0x4/0x40");
	trace_format_ip(SYM_DO_WORK + 4, false, addr_to_sym, buf, sizeof(buf));
	CHECK_STR(buf, "do_work");
	trace_format_ip(0, true, addr_to_sym, buf, sizeof(buf));
	CHECK_STR(buf, "0");
	trace_format_ip(0xffffffff90000000ULL, true, addr_to_sym, buf, sizeof(buf));
	CHECK_STR(buf, "0xffffffff90000000");
	trace_format_ip(0x1234, false, NULL, buf, sizeof(buf));
	CHECK_STR(buf, "0x00001234");
}

/* The whole path: parse, resolve, fetch, filter, format one trace line. */
static void t_end_to_end(void)
{
	static struct trace_filter filt;
	struct trace_line tl = { .comm = "<idle>", .flags = "d..1.",
				 .ts_ns = 12345678000ULL };
	char ip[64], args[256], line[512];

	setup();
	regs.di = 3;
	regs.si = MEM_BASE + 0x40;
	regs.ip = SYM_DO_WORK + 4;
	poke_str(MEM_BASE + 0x40, "abc");
	CHECK_STR(run("p:myprobe do_work+4 dfd=%di:x32 name=+0(%si):string"),
		  " dfd=0x3 name=\"abc\"");
	CHECK_EQ(trace_filter_compile(&filt, "dfd == 3 && name ~ \"a*\"", &def,
				      err, sizeof(err)), 0);
	CHECK(trace_filter_match(&filt, &def, rec));
	trace_format_ip(def.addr, true, addr_to_sym, ip, sizeof(ip));
	fetch_format(&def, rec, addr_to_sym, args, sizeof(args));
	tl.event = def.event;
	tl.ip = ip;
	tl.args = args;
	trace_format_line(&tl, line, sizeof(line));
	CHECK_STR(line, "          <idle>-0       [000] d..1.    12.345678: "
		  "myprobe: (do_work+0x4/0x40) dfd=0x3 name=\"abc\"");
	CHECK_EQ(trace_filter_compile(&filt, "dfd != 3", &def, err, sizeof(err)), 0);
	CHECK(!trace_filter_match(&filt, &def, rec));
}

int main(void)
{
	RUN(t_registers);
	RUN(t_stack_and_args);
	RUN(t_retval_comm_imm);
	RUN(t_memory);
	RUN(t_nested_and_faults);
	RUN(t_strings);
	RUN(t_arrays);
	RUN(t_linux_types);
	RUN(t_entry_args);
	RUN(t_format_truncation);
	RUN(t_values_for_filter);
	RUN(t_errors);
	RUN(t_trace_line);
	RUN(t_trace_header);
	RUN(t_format_ip);
	RUN(t_end_to_end);
	return check_done();
}
