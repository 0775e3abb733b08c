/* Host tests for probes/event_parse.c + probes/fetch_parse.c. */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"
#include "ptregs.h"

static struct trace_event_def def;
static char err[TRACE_ERR_MAX];

static int parse(const char *line)
{
	return trace_event_parse(line, &def, err, sizeof(err));
}

/* The kprobe_events line for a definition, or "ERR <message>". */
static const char *listing(const char *line)
{
	static char buf[1024];

	if (parse(line))
		snprintf(buf, sizeof(buf), "ERR %s", err);
	else
		trace_event_print(&def, buf, sizeof(buf));
	return buf;
}

static void t_probe_basic(void)
{
	CHECK_EQ(parse("p:myprobe do_work"), 0);
	CHECK_EQ(def.cmd, TRACE_CMD_PROBE);
	CHECK(!def.is_return && def.has_symbol && !def.symbol_glob);
	CHECK(!def.name_auto);
	CHECK_STR(def.group, "kprobes");
	CHECK_STR(def.event, "myprobe");
	CHECK_STR(def.symbol, "do_work");
	CHECK_EQ(def.offset, 0);
	CHECK_EQ(def.nargs, 0);
	CHECK_STR(listing("p:myprobe do_work"), "p:kprobes/myprobe do_work");
	CHECK_STR(listing("p:grp/ev do_work+4"), "p:grp/ev do_work+4");
	CHECK_STR(listing("p:_g1/_e2 do_work+0x10"), "p:_g1/_e2 do_work+16");
	CHECK_STR(listing("p:myprobe do_work+010"), "p:kprobes/myprobe do_work+8");
	CHECK_STR(listing("p:m foo.cold"), "p:kprobes/m foo.cold");
	CHECK_STR(listing("p:m mod:sym+2"), "p:kprobes/m mod:sym+2");
	CHECK_STR(listing("p:m 0xffffffff81000010"),
		  "p:kprobes/m 0xffffffff81000010");
	CHECK_EQ(def.addr, 0xffffffff81000010ULL);
	CHECK(!def.has_symbol);
}

static void t_default_names(void)
{
	CHECK_STR(listing("p do_work"), "p:kprobes/p_do_work_0 do_work");
	CHECK(def.name_auto);
	CHECK_STR(listing("p do_work+0x10"), "p:kprobes/p_do_work_16 do_work+16");
	CHECK_STR(listing("r do_work"), "r:kprobes/r_do_work_0 do_work");
	CHECK_STR(listing("p foo.isra.0+3"), "p:kprobes/p_foo_isra_0_3 foo.isra.0+3");
	CHECK_STR(listing("p mod:sym"), "p:kprobes/p_mod_sym_0 mod:sym");
	CHECK_STR(listing("p 0xffffffff81000010"),
		  "p:kprobes/p_0xffffffff81000010 0xffffffff81000010");
	CHECK_STR(listing("r 4096"),
		  "r:kprobes/r_0x0000000000001000 0x0000000000001000");
	CHECK_STR(listing("p:grp/ do_work"), "p:grp/p_do_work_0 do_work");
	CHECK(def.name_auto);
	CHECK_STR(listing("r7 do_work"), "r7:kprobes/r_do_work_0 do_work");
}

static void t_default_name_fn(void)
{
	char buf[TRACE_NAME_MAX];
	char longsym[80];

	CHECK_STR(trace_event_default_name(buf, sizeof(buf), false, "do_work", 0, 0),
		  "p_do_work_0");
	CHECK_STR(trace_event_default_name(buf, sizeof(buf), true, "a.b:c", 12, 0),
		  "r_a_b_c_12");
	CHECK_STR(trace_event_default_name(buf, sizeof(buf), false, NULL, 0,
					   0xffffffff8100abcdULL),
		  "p_0xffffffff8100abcd");
	/* Cut to 63 characters like Linux's MAX_EVENT_NAME_LEN buffer. */
	memset(longsym, 'x', 70);
	longsym[70] = '\0';
	trace_event_default_name(buf, sizeof(buf), false, longsym, 0, 0);
	CHECK_EQ(strlen(buf), 63);
}

static void t_return_forms(void)
{
	CHECK_STR(listing("r:myret do_work $retval"),
		  "r:kprobes/myret do_work arg1=$retval");
	CHECK(def.is_return);
	CHECK_EQ(def.args[0].kind, FETCH_RETVAL);
	CHECK_STR(listing("r10:myret do_work"), "r10:kprobes/myret do_work");
	CHECK_EQ(def.maxactive, 10);
	CHECK_STR(listing("r4096:myret do_work"), "r4096:kprobes/myret do_work");
	/* p ... %return is a return probe, listed as Linux lists it: r: */
	CHECK_STR(listing("p:myret do_work%return rv=$retval"),
		  "r:kprobes/myret do_work rv=$retval");
	CHECK(def.is_return);
	CHECK_STR(listing("p do_work%return"), "r:kprobes/r_do_work_0 do_work");
	CHECK_STR(listing("r do_work+0"), "r:kprobes/r_do_work_0 do_work");
	CHECK_STR(listing("p do_work+0%return"), "r:kprobes/r_do_work_0 do_work");
	CHECK_STR(listing("r:x 0xffffffff81000000"),
		  "r:kprobes/x 0xffffffff81000000");
}

static void t_remove(void)
{
	CHECK_EQ(parse("-:myprobe"), 0);
	CHECK_EQ(def.cmd, TRACE_CMD_REMOVE);
	CHECK_STR(def.group, "");
	CHECK_STR(def.event, "myprobe");
	CHECK(!def.remove_glob);
	CHECK_EQ(parse("-:grp/ev"), 0);
	CHECK_STR(def.group, "grp");
	CHECK_STR(def.event, "ev");
	CHECK_EQ(parse("-:grp/*"), 0);
	CHECK(def.remove_glob);
	CHECK_STR(def.event, "*");
	CHECK_EQ(parse("  -:p_e1000_*  "), 0);
	CHECK(def.remove_glob);
	CHECK_STR(listing("-:grp/*"), "-:grp/*");
	CHECK_STR(listing("-:ev"), "-:ev");
}

static void t_glob_and_expand(void)
{
	struct trace_event_def pat, one;

	CHECK_EQ(parse("p e1000_* %di"), 0);
	CHECK(def.symbol_glob && def.name_auto);
	CHECK_STR(def.event, "");
	pat = def;
	CHECK_EQ(trace_event_expand(&pat, "e1000_xmit", &one, err, sizeof(err)), 0);
	CHECK_STR(one.event, "p_e1000_xmit_0");
	CHECK_STR(one.symbol, "e1000_xmit");
	CHECK(!one.symbol_glob);
	CHECK_EQ(one.nargs, 1);
	CHECK_EQ(parse("r:net/ *"), 0);
	CHECK(def.symbol_glob);
	pat = def;
	CHECK_EQ(trace_event_expand(&pat, "rx_poll", &one, err, sizeof(err)), 0);
	CHECK_STR(one.group, "net");
	CHECK_STR(one.event, "r_rx_poll_0");
	/* A pattern lists (and re-parses) with an empty event name. */
	CHECK_STR(listing("p e1000_?x+2"), "p:kprobes/ e1000_?x+2");
	pat = def;
	CHECK_EQ(trace_event_expand(&pat, "e1000_tx", &one, err, sizeof(err)), 0);
	CHECK_STR(one.event, "p_e1000_tx_2");
	CHECK_EQ(trace_event_expand(&pat, "", &one, err, sizeof(err)), -EINVAL);
}

static void t_fetch_kinds(void)
{
	CHECK_EQ(parse("p do_work %di %rsi %eax %r8d %ip %flags @0x1000 @jiffies"
		       " @jiffies+8 @jiffies-0x10 $stack $stack3 $arg1 $arg7"
		       " $comm \\42"), 0);
	CHECK_EQ(def.nargs, 16);
	CHECK_EQ(def.args[0].kind, FETCH_REG);
	CHECK_EQ(def.args[0].param, offsetof(struct pt_regs, di));
	CHECK_EQ(def.args[0].width, 8);
	CHECK_EQ(def.args[1].param, offsetof(struct pt_regs, si));
	CHECK_EQ(def.args[2].param, offsetof(struct pt_regs, ax));
	CHECK_EQ(def.args[2].width, 4);
	CHECK_EQ(def.args[3].param, offsetof(struct pt_regs, r8));
	CHECK_EQ(def.args[3].width, 4);
	CHECK_EQ(def.args[4].param, offsetof(struct pt_regs, ip));
	CHECK_EQ(def.args[5].param, offsetof(struct pt_regs, flags));
	CHECK_EQ(def.args[6].kind, FETCH_IMM);
	CHECK_EQ(def.args[6].imm, 0x1000);
	CHECK_EQ(def.args[6].nderef, 1);
	CHECK_EQ(def.args[7].kind, FETCH_SYM);
	CHECK_EQ(def.args[7].nderef, 1);
	CHECK_EQ(def.args[7].sym_off, 0);
	CHECK_EQ(def.args[8].sym_off, 8);
	CHECK_EQ(def.args[9].sym_off, -16);
	CHECK_EQ(def.args[9].sym_len, 7);
	CHECK_EQ(def.args[10].kind, FETCH_STACKP);
	CHECK_EQ(def.args[11].kind, FETCH_STACK);
	CHECK_EQ(def.args[11].param, 3);
	CHECK_EQ(def.args[12].kind, FETCH_ARG);
	CHECK_EQ(def.args[12].param, 1);
	CHECK_EQ(def.args[13].param, 7);
	CHECK_EQ(def.args[14].kind, FETCH_COMM);
	CHECK_EQ(def.args[14].type, TRACE_TYPE_STRING);
	CHECK_EQ(def.args[15].kind, FETCH_IMM);
	CHECK_EQ(def.args[15].imm, 42);
	CHECK_EQ(def.args[15].nderef, 0);
	CHECK_STR(def.args[15].name, "arg16");
	CHECK_EQ(parse("p do_work \\-1 \\0x10 %orig_ax %cs %ss %r15 %rip %rflags"
		       " %ebp %r15d $stack2048"), 0);
	CHECK_EQ(def.args[0].imm, (uint64_t)-1);
	CHECK_EQ(def.args[1].imm, 16);
	CHECK_EQ(def.args[2].param, offsetof(struct pt_regs, orig_ax));
	CHECK_EQ(def.args[6].param, offsetof(struct pt_regs, ip));
	CHECK_EQ(def.args[7].param, offsetof(struct pt_regs, flags));
	CHECK_EQ(def.args[8].width, 4);
	CHECK_EQ(def.args[9].param, offsetof(struct pt_regs, r15));
	CHECK_EQ(def.args[10].param, 2048);
	/* Unsigned immediates use all 64 bits; signed ones must fit int64. */
	CHECK_EQ(parse("p f \\0xffffffffffffffff \\-0x8000000000000000 \\+7"), 0);
	CHECK_EQ(def.args[0].imm, UINT64_MAX);
	CHECK_EQ(def.args[1].imm, 0x8000000000000000ULL);
	CHECK_EQ(def.args[2].imm, 7);
	CHECK_EQ(parse("p f \\-0x8000000000000001"), -EINVAL);
	CHECK_STR(err, "Invalid immediate value");
	CHECK_EQ(def.err_pos, 5);
	CHECK_EQ(parse("p f \\0x10000000000000000"), -EINVAL);
	CHECK_EQ(parse("p do_work+08"), -EINVAL);
	CHECK_STR(err, "Invalid probed address or symbol");
	CHECK_EQ(def.err_pos, 2);
}

static void t_nested_deref(void)
{
	CHECK_EQ(parse("p do_work +0(+8(-16(%di)))"), 0);
	CHECK_EQ(def.args[0].nderef, 3);
	CHECK_EQ(def.args[0].deref[0], -16);	/* innermost first */
	CHECK_EQ(def.args[0].deref[1], 8);
	CHECK_EQ(def.args[0].deref[2], 0);
	CHECK_EQ(parse("p do_work -8(@cfg+4)"), 0);
	CHECK_EQ(def.args[0].nderef, 2);
	CHECK_EQ(def.args[0].deref[0], 0);
	CHECK_EQ(def.args[0].deref[1], -8);
	CHECK_EQ(parse("p do_work +0x10($stack) +4($retval)"), -EINVAL);
	CHECK_EQ(parse("r do_work +0x10($stack) +4($retval) +1(\\0x1000)"), 0);
	CHECK_EQ(def.args[0].deref[0], 16);
	CHECK_EQ(def.args[1].kind, FETCH_RETVAL);
	CHECK_EQ(def.args[2].kind, FETCH_IMM);
	CHECK_EQ(def.args[2].nderef, 1);	/* \IMM itself reads nothing */
	/*
	 * Linux's fetch program has 15 operations: a register and 14 reads,
	 * @ADDR (two) and 13 more, @SYM (three) and 12 more.
	 */
	CHECK_EQ(parse("p f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(%di))))))))))))))"), 0);
	CHECK_EQ(def.args[0].nderef, 14);
	CHECK_EQ(parse("p f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0)))))))))))))"), 0);
	CHECK_EQ(def.args[0].nderef, 14);
	CHECK_EQ(parse("p f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@s)))))))))))))"), -EINVAL);
	CHECK_STR(err, "Dereference is too much nested");
	CHECK_EQ(def.err_pos, 7);	/* inside the outermost '(' */
	/* The string store is one more operation; a plain deref store is not. */
	CHECK_EQ(parse("p f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))):string"), 0);
	CHECK_EQ(parse("p f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))):symstr"), -EINVAL);
	CHECK_STR(err, "Dereference is too much nested");
}

static void t_types(void)
{
	static const char *const names[] = {
		"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
		"x8", "x16", "x32", "x64", "string", "symbol",
	};
	char line[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(line, sizeof(line), "p f v=+0(%%di):%s", names[i]);
		CHECK_EQ(parse(line), 0);
		CHECK_EQ(def.args[0].type, i);
		CHECK_STR(trace_type_name(i), names[i]);
	}
	/* No type: x64, as Linux on x86-64; $comm: string. */
	CHECK_EQ(parse("p f %di $comm $comm:string"), 0);
	CHECK_EQ(def.args[0].type, TRACE_TYPE_X64);
	CHECK_EQ(def.args[1].type, TRACE_TYPE_STRING);
	CHECK_EQ(def.args[2].type, TRACE_TYPE_STRING);
	CHECK_EQ(parse("p f +0(%di):u16[4] @sym:x8[64] +0(%si):string[2]"
		       " \\0x1000:string %ax:s32 %ax:symbol"), 0);
	CHECK_EQ(def.args[0].count, 4);
	CHECK_EQ(def.args[0].type, TRACE_TYPE_U16);
	CHECK_EQ(def.args[1].count, 64);
	CHECK_EQ(def.args[2].count, 2);
	CHECK_EQ(def.args[2].type, TRACE_TYPE_STRING);
	CHECK_EQ(def.args[3].type, TRACE_TYPE_STRING);
	CHECK_EQ(def.args[4].type, TRACE_TYPE_S32);
	CHECK_EQ(def.args[5].type, TRACE_TYPE_SYMBOL);
	/* Record slots follow one another. */
	CHECK_EQ(def.args[0].rec_off, 0);
	CHECK_EQ(def.args[1].rec_off, 8 + 4 * 8);
	CHECK_EQ(def.rec_size, (8 + 32) + (8 + 512) + (8 + 2 * 72) + 72 + 16 + 16);
}

static void t_arg_names(void)
{
	CHECK_STR(listing("p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)"),
		  "p:kprobes/myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)");
	CHECK_STR(def.args[3].name, "mode");
	CHECK_STR(listing("p f a=%di %si +0(%dx):u8"),
		  "p:kprobes/p_f_0 f a=%di arg2=%si arg3=+0(%dx):u8");
	CHECK_STR(listing("p f _x9=%rdi:s64"), "p:kprobes/p_f_0 f _x9=%rdi:s64");
	CHECK_EQ(parse("p f abcdefghijabcdefghijabcdefghij12=%di"), 0);	/* 32 */
	CHECK_EQ(parse("p f abcdefghijabcdefghijabcdefghij123=%di"), -EINVAL);
	CHECK_STR(err, "Argument name is too long");
}

static void t_return_only_args(void)
{
	CHECK_EQ(parse("p do_work $retval"), -EINVAL);
	CHECK_EQ(parse("p do_work%return $retval"), 0);
	/* Linux 6.x: a return probe reads $argN as saved at the entry. */
	CHECK_EQ(parse("r do_work $arg1 a=$arg2 %di"), 0);
	CHECK(def.entry_args);
	CHECK_EQ(def.args[1].kind, FETCH_ARG);
	CHECK_EQ(def.args[1].param, 2);
	CHECK_EQ(parse("p do_work $arg1"), 0);
	CHECK(!def.entry_args);
	CHECK_EQ(parse("p do_work+4 $arg1"), -EINVAL);
	CHECK_EQ(parse("p 0xffffffff81000000 $arg1"), -EINVAL);
	CHECK_EQ(parse("p do_work+0 $arg1 $arg2048"), 0);
}

/*
 * Refusals as Linux's error_log reports them, ported from the ftrace
 * selftest kprobe_syntax_errors.tc ('^' marks Linux's caret; vfs_read is
 * do_work here), then the rest of the grammar's refusals.
 */
static const struct {
	const char *line;	/* with a '^' where the caret must point */
	const char *msg;
} bad[] = {
	{ "p^100 do_work", "Maxactive is only for function exit" },
	{ "r^1a111 do_work", "Invalid maxactive number" },
	{ "r^100000 do_work", "Maxactive is too big" },
	{ "r^0 do_work", "Invalid maxactive number" },
	{ "p ^hoge-fuga", "Invalid probed address or symbol" },
	{ "p ^hoge+1000-1000", "Invalid probed address or symbol" },
	{ "r ^do_work+10", "Retprobe address must be an function entry" },
	{ "p:^/bar do_work", "Group name is not specified" },
	{ "p:^12345678901234567890123456789012345678901234567890123456789012345/bar do_work",
	  "Group name is too long" },
	{ "p:^foo.1/bar do_work", "Group name must follow the same rules as C identifiers" },
	{ "p:^ do_work", "Event name is not specified" },
	{ "p:foo/^12345678901234567890123456789012345678901234567890123456789012345 do_work",
	  "Event name is too long" },
	{ "p:foo/^bar.1 do_work", "Event name must follow the same rules as C identifiers" },
	{ "p do_work ^$retval", "$retval is not available on probe" },
	{ "p do_work ^$stack10000", "Invalid stack number" },
	{ "p do_work ^$arg10000", "Invalid argument number" },
	{ "p do_work ^$none_var", "Invalid $-valiable specified" },
	{ "p do_work ^%none_reg", "Invalid register name" },
	{ "p do_work ^@12345678abcde", "Invalid memory address" },
	{ "p do_work ^@+10", "File offset is not available with kprobe" },
	{ "p do_work arg1=\\^x", "Invalid immediate value" },
	{ "p do_work arg1=\\\"abcd^", "String is not closed with '\"'" },
	{ "p do_work ^+0@0)", "Dereference needs a brace" },
	{ "p do_work ^+0ab1(@0)", "Invalid dereference offset" },
	{ "p do_work +0(+0(@0^)", "Dereference brace is not closed" },
	{ "p do_work +0(^$comm)", "$comm can not be dereferenced" },
	{ "p do_work ^&1", "Invalid fetch argument" },
	{ "p do_work +0(^+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))))",
	  "Dereference is too much nested" },
	{ "p do_work +0(@11):u8[10^", "Array is not closed" },
	{ "p do_work +0(@11):u8[10]^a", "Array has wrong suffix" },
	{ "p do_work +0(@11):u8[^10a]", "Invalid array size" },
	{ "p do_work +0(@11):u8[^256]", "Array number is too big" },
	{ "p do_work @11:^unknown_type", "Unknown type is specified" },
	{ "p do_work $stack0:^string", "String accepts only memory argument" },
	{ "p do_work @11:^b10@a/16", "Invalid bitfield" },
	{ "p do_work ^arg123456789012345678901234567890=@11", "Argument name is too long" },
	{ "p do_work ^=@11", "Argument name is not specified" },
	{ "p do_work ^var.1=@11", "Argument name must follow the same rules as C identifiers" },
	{ "p do_work var1=@11 ^var1=@12", "This argument name is already used" },
	{ "p do_work ^+1234567(+1234567(+1234567(+1234567(+1234567(+1234567(@1234))))))",
	  "Argument expression is too long" },
	{ "p do_work arg1=^", "No argument expression" },
	{ "p do_work^%hoge", "Invalid probed address suffix" },
	{ "p ^do_work+10%return", "Retprobe address must be an function entry" },
	{ "p do_work ^$args", "BTF is not available or not supported" },
	{ "p do_work ^$arg*", "BTF is not available or not supported" },
	{ "p do_work ^hoge", "BTF is not available or not supported" },
	{ "p do_work+8 ^$arg1", "$arg* can be used only on function entry or exit" },
	{ "p 0xffffffff81000000 ^$arg1", "$arg* can be used only on function entry or exit" },
	/* The rest of the grammar. */
	{ "^x:foo do_work", "expected 'p', 'r' or '-'" },
	{ "p:^1grp/ev do_work", "Group name must follow the same rules as C identifiers" },
	{ "p:^g+x/ev do_work", "Group name must follow the same rules as C identifiers" },
	{ "p:g-x/^ev-1 do_work", "Event name must follow the same rules as C identifiers" },
	{ "p:^9ev do_work", "Event name must follow the same rules as C identifiers" },
	{ "p:foo ^+4", "Invalid probed address or symbol" },
	{ "p:foo ^do_work-4", "Invalid probed address or symbol" },
	{ "p:foo ^do_work+", "Invalid probed address or symbol" },
	{ "p:foo ^do_work+0x100000000", "Invalid probed address or symbol" },
	{ "p:foo ^0x12zz", "Invalid probed address or symbol" },
	{ "p:foo ^do$work", "Invalid probed address or symbol" },
	{ "p:foo ^0x10%return", "Invalid probed address or symbol" },
	{ "p:foo ^e1000_*", "a symbol pattern needs a generated event name (use 'p:GRP/' or no name)" },
	{ "p:foo do_work ^%di)", "Invalid register name" },
	{ "p:foo do_work +8(^)", "Invalid fetch argument" },
	{ "p:foo do_work ^%eip", "Invalid register name" },
	{ "p:foo do_work ^$arg0", "Invalid argument number" },
	{ "p:foo do_work ^$argx", "Invalid $-valiable specified" },
	{ "p:foo do_work a=^$argx", "Invalid $-valiable specified" },
	{ "p:foo do_work ^@", "Invalid memory address" },
	{ "p:foo do_work ^+u0(%di)", "user-space dereference (+u) has no meaning here: this kernel has no user space" },
	{ "p:foo do_work +0(%di):^ustring", "ustring has no meaning here: this kernel has no user space" },
	{ "p:foo do_work +0(%di):^%pd", "%pd needs struct dentry, which this kernel has no notion of" },
	{ "p:foo do_work %si:^%pD", "%pD needs struct file, which this kernel has no notion of" },
	{ "p:foo do_work %di:^", "Unknown type is specified" },
	{ "p:foo do_work %di:^u8[4]", "String accepts only memory argument" },
	{ "p:foo do_work +0(%di):u8[^0]", "Invalid array size" },
	{ "p:foo do_work %di:^string", "String accepts only memory argument" },
	{ "p:foo do_work $comm:^u32", "$comm and immediate-string only accepts string type" },
	{ "p:foo do_work \\\"ab\":^u8", "$comm and immediate-string only accepts string type" },
	{ "p:foo do_work $comm:^string[2]", "$comm and immediate-string only accepts string type" },
	{ "p:foo do_work \\\"a:^b\"", "$comm and immediate-string only accepts string type" },
	{ "p:foo do_work \\1:^symstr", "Symbol String doesn't accept data/userdata" },
	{ "p:foo do_work +0(%di):^b0@0/8", "Invalid bitfield" },
	{ "p:foo do_work +0(%di):^b4@5/8", "Invalid bitfield" },
	{ "p:foo do_work +0(%di):^b4@2", "Unknown type is specified" },
	{ "p:foo do_work arg2=%di ^%si", "This argument name is already used" },
	{ "p:foo do_work ^common_pid=%di", "This argument name is already used" },
	{ "p:foo do_work ^1x=%di", "Argument name must follow the same rules as C identifiers" },
	{ "p:foo do_work +0(%di):string[64]", "fetch-args need more than 4096 bytes per hit (from 'arg1' on)" },
	{ "-^foo", "expected '-:[GRP/]EVENT'" },
	{ "-:^", "Event name is not specified" },
	{ "-:ev do_work ^abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij=%di",
	  "Argument expression is too long" },
	{ "-:^g.x/ev", "Group name must follow the same rules as C identifiers" },
};

static void t_malformed(void)
{
	char line[256];
	const char *caret;
	unsigned int i;
	int ret, pos;

	CHECK(ARRAY_SIZE(bad) >= 80);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		caret = strchr(bad[i].line, '^');
		pos = caret ? (int)(caret - bad[i].line) : -1;
		snprintf(line, sizeof(line), "%.*s%s", caret ? pos : (int)strlen(bad[i].line),
			 bad[i].line, caret ? caret + 1 : "");
		err[0] = '\0';
		ret = parse(line);
		if (ret != -EINVAL || def.err_pos != pos || strcmp(err, bad[i].msg))
			printf("    # \"%s\": %d at %d \"%s\"\n", bad[i].line, ret, def.err_pos, err);
		CHECK_EQ(ret, -EINVAL);
		CHECK_STR(err, bad[i].msg);
		CHECK_EQ(def.err_pos, pos);
	}
	/* 128 fetch-args, as Linux; the 129th is refused where it starts. */
	{
		static char many[2048];
		size_t n = snprintf(many, sizeof(many), "p f");

		for (i = 0; i < 128; i++)
			n += snprintf(many + n, sizeof(many) - n, " a%u=%%di", i);
		CHECK_EQ(parse(many), 0);
		CHECK_EQ(def.nargs, 128);
		snprintf(many + n, sizeof(many) - n, " z=%%si");
		CHECK_EQ(parse(many), -EINVAL);
		CHECK_EQ(def.err_pos, (int)n + 1);
	}
}

/* Accepted as Linux accepts them, and listed back as Linux lists them. */
static void t_linux_forms(void)
{
	CHECK_STR(listing("p:grp.ev do_work"), "p:grp/ev do_work");
	/* Linux 6.x's is_good_system_name(): '-' anywhere in a group name */
	CHECK_STR(listing("p:xhci-hcd/ev do_work"), "p:xhci-hcd/ev do_work");
	CHECK_STR(listing("p:-g-/ do_work"), "p:-g-/p_do_work_0 do_work");
	CHECK_STR(listing("p:g-x.ev do_work"), "p:g-x/ev do_work");
	CHECK_STR(listing("-:g-*/ev"), "-:g-*/ev");
	CHECK_STR(listing("px do_work"), "p:kprobes/p_do_work_0 do_work");
	CHECK_STR(listing("rfoo:bar do_work"), "r:kprobes/bar do_work");
	CHECK_STR(listing("r0x10:e do_work"), "r16:kprobes/e do_work");
	CHECK_STR(listing("p:e do_work c=+0(%di):char s=%di:symstr b=+0(%si):b3@4/8 i=\\\"hi\""),
		  "p:kprobes/e do_work c=+0(%di):char s=%di:symstr b=+0(%si):b3@4/8 i=\\\"hi\"");
	CHECK_EQ(def.args[0].type, TRACE_TYPE_CHAR);
	CHECK_EQ(def.args[1].type, TRACE_TYPE_SYMSTR);
	CHECK_EQ(def.args[2].type, TRACE_TYPE_U8);
	CHECK_EQ(def.args[2].bf_width, 3);
	CHECK_EQ(def.args[2].bf_shift, 4);
	CHECK_EQ(def.args[3].kind, FETCH_IMMSTR);
	CHECK_EQ(def.args[3].type, TRACE_TYPE_STRING);
	CHECK_STR(listing("r do_work r=$retval:s32 $arg1:u8"),
		  "r:kprobes/r_do_work_0 do_work r=$retval:s32 arg2=$arg1:u8");
	CHECK_STR(listing("-:ev do_work+4"), "-:ev do_work+4");
	/* Linux's removal of one point: "-:[GRP/]EVENT [POINT [NAME=ARG ..]]", "-:GRP/" */
	CHECK_STR(listing("-:grp/ev do_work a=%di b=+0(%si):u8"), "-:grp/ev do_work a=%di b=+0(%si):u8");
	CHECK_EQ(def.nargs, 2);
	CHECK_STR(def.args[1].text, "b=+0(%si):u8");
	CHECK_STR(listing("-:grp/"), "-:grp/");
	CHECK_STR(def.event, "");
	/* Linux ignores what follows the last ')' */
	CHECK_EQ(parse("p f +8(%di)x"), 0);
}

/* parse -> print -> parse must give the same definition and text. */
static const char *const round_trip[] = {
	"p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)",
	"p do_work+0x10 %di:u32 x=+8(+0(%rsi)):s16 s=+0(%di):string",
	"r16:grp/myret do_work rv=$retval:s64 st=$stack2 cm=$comm",
	"p:myret do_work%return $retval",
	"p 0xffffffff81000010 a=@0xffffffff82000000:u8[3] b=@jiffies-8:symbol",
	"p e1000_* %di",
	"p:net/ rx_* \\-5 \\0x10:u8 %eax %r9d",
	"p f $arg1 $arg9 arr=+0(%di):string[3] v=@cfg+0x20:x16[8]",
	"p mod:sym+3 y=-0x10(+0x8(%r12)):x32",
	"-:grp/*",
	"-:ev",
};

static void t_round_trip(void)
{
	static struct trace_event_def a, b;
	char t1[1024], t2[1024];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(round_trip); i++) {
		CHECK_EQ(trace_event_parse(round_trip[i], &a, err, sizeof(err)), 0);
		trace_event_print(&a, t1, sizeof(t1));
		CHECK_EQ(trace_event_parse(t1, &b, err, sizeof(err)), 0);
		trace_event_print(&b, t2, sizeof(t2));
		CHECK_STR(t2, t1);
		/* Printing names every event; only the "generated" mark differs. */
		a.name_auto = b.name_auto = false;
		a.point_pos = b.point_pos = 0;
		if (memcmp(&a, &b, sizeof(a)))
			printf("    # round trip differs for \"%s\"\n", round_trip[i]);
		CHECK(!memcmp(&a, &b, sizeof(a)));
	}
}

static int lookup(const char *name, uint64_t *addr)
{
	if (!strcmp(name, "do_work"))
		*addr = 0xffffffff81001000ULL;
	else if (!strcmp(name, "jiffies"))
		*addr = 0xffffffff82000000ULL;
	else
		return -ENOENT;
	return 0;
}

static void t_resolve(void)
{
	CHECK_EQ(parse("p do_work+4 x=@jiffies+8 y=+0(@jiffies) %di"), 0);
	CHECK(!def.resolved);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), 0);
	CHECK(def.resolved);
	CHECK_EQ(def.addr, 0xffffffff81001004ULL);
	CHECK(def.args[0].resolved);
	CHECK_EQ(def.args[0].imm, 0xffffffff82000008ULL);
	CHECK_EQ(def.args[1].imm, 0xffffffff82000000ULL);
	CHECK_EQ(parse("p nosuch"), 0);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "Invalid probed address or symbol");
	CHECK_EQ(def.err_pos, 2);
	CHECK(!def.resolved);
	CHECK_EQ(parse("p do_work x=@nosuch-4"), 0);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "unknown symbol 'nosuch' in fetch-arg 'x=@nosuch-4'");
	/* Addresses need no lookup; a glob's own address waits for expansion. */
	CHECK_EQ(parse("p 0xffffffff81000000 @jiffies"), 0);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), 0);
	CHECK(def.resolved);
	CHECK_EQ(parse("p do_* @jiffies"), 0);
	CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), 0);
	CHECK(!def.resolved && def.args[0].resolved);
}

/*
 * Linux's kprobe_args_syntax.tc and kprobe_args_type.tc, as they apply on
 * x86-64 (its GOODSYM is jiffies here): each good fetch-arg is accepted and
 * listed back as typed. Its bad ones are refused where Linux's parser
 * refuses them, with Linux's message at Linux's column; "@SYM*10" and the
 * like parse and are refused at registration, as Linux refuses them (no
 * such symbol). Its "+0(%ax)+10" is accepted: Linux's parser ignores what
 * follows the last ')' (the selftest's "! echo" there never fails a run).
 */
static void t_selftest_args(void)
{
	static const char *const good[] = {
		"%ax", "@jiffies", "@0xffffffff82000000", "@jiffies+10", "@jiffies-10",
		"$stack", "$stack0", "$stack1", "$comm", "+0(%ax)", "-0(%ax)", "+10($stack)",
		"+0($stack1)", "+10(@jiffies-10)", "+0(+10(+20($stack)))", "%ax:x16",
		"$comm:string", "+0($stack):string", "+0(%ax)+10",
	};
	static const struct {
		const char *arg;	/* '^' marks the caret */
		const char *msg;
	} bad[] = {
		{ "^%ex", "Invalid register name" },
		{ "^@", "Invalid memory address" },
		{ "^$stackp", "Invalid $-valiable specified" },
		{ "^$stack0+10", "Invalid $-valiable specified" },
		{ "^$stack1-10", "Invalid $-valiable specified" },
		{ "^+(%ax)", "Invalid dereference offset" },
		{ "^(%ax+10)", "Invalid fetch argument" },
		{ "^-(%ax)", "Invalid dereference offset" },
		{ "^(%ax)", "Invalid fetch argument" },
		{ "+10(^$comm)", "$comm can not be dereferenced" },
		{ "varname=^varname2=%ax", "BTF is not available or not supported" },
		{ "%ax:^:x16", "Unknown type is specified" },
		{ "%ax:^y16", "Unknown type is specified" },
		{ "x16:^%ax", "Unknown type is specified" },
		{ "$comm:^x64", "$comm and immediate-string only accepts string type" },
		{ "$stack:^string", "String accepts only memory argument" },
		{ "%ax:^string", "String accepts only memory argument" },
		{ "^$retval", "$retval is not available on probe" },
	};
	static const char *const unresolved[] = {
		"@deaqswdefr", "@jiffies*10", "@jiffies/10", "@jiffies%10", "@jiffies&10", "@jiffies|10",
	};
	char line[128], want[160];
	const char *caret;
	unsigned int i;
	int pos;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(line, sizeof(line), "p do_work %s", good[i]);
		snprintf(want, sizeof(want), "p:kprobes/p_do_work_0 do_work arg1=%s", good[i]);
		CHECK_STR(listing(line), want);
	}
	CHECK_STR(listing("p do_work varname=%ax"), "p:kprobes/p_do_work_0 do_work varname=%ax");
	CHECK_STR(listing("r do_work $retval"), "r:kprobes/r_do_work_0 do_work arg1=$retval");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		caret = strchr(bad[i].arg, '^');
		pos = (int)(caret - bad[i].arg) + 10;
		snprintf(line, sizeof(line), "p do_work %.*s%s", (int)(caret - bad[i].arg), bad[i].arg,
			 caret + 1);
		err[0] = '\0';
		CHECK_EQ(parse(line), -EINVAL);
		if (strcmp(err, bad[i].msg) || def.err_pos != pos)
			printf("    # \"%s\": at %d \"%s\"\n", line, def.err_pos, err);
		CHECK_STR(err, bad[i].msg);
		CHECK_EQ(def.err_pos, pos);
	}
	for (i = 0; i < ARRAY_SIZE(unresolved); i++) {
		snprintf(line, sizeof(line), "p do_work %s", unresolved[i]);
		CHECK_EQ(parse(line), 0);
		CHECK_EQ(trace_event_resolve(&def, lookup, err, sizeof(err)), -ENOENT);
	}
	/* kprobe_args_type.tc's event, each width */
	for (i = 8; i <= 64; i *= 2) {
		snprintf(line, sizeof(line), "p:testprobe do_work $stack0:s%u $stack0:u%u $stack0:x%u $stack0:b4@4/%u",
			 i, i, i, i);
		snprintf(want, sizeof(want), "p:kprobes/testprobe do_work arg1=$stack0:s%u arg2=$stack0:u%u "
			 "arg3=$stack0:x%u arg4=$stack0:b4@4/%u", i, i, i, i);
		CHECK_STR(listing(line), want);
	}
}

static void t_limits_and_blanks(void)
{
	char line[256];

	CHECK_EQ(parse("\tp:foo \t do_work   %di  %si\t# trailing comment"), 0);
	CHECK_EQ(def.nargs, 2);
	CHECK_EQ(parse("p:foo do_work\r\n"), 0);
	CHECK_EQ(def.nargs, 0);
	/* 63-character event and arg text are fine. */
	memset(line, 0, sizeof(line));
	strcpy(line, "p:");
	memset(line + 2, 'e', 63);
	strcat(line, " f");
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(def.event), 63);
	CHECK_EQ(parse("p f x=+0x10000000(+0x10000000(+0x10000000(+0x10000000(%di)))):u16[16]"), 0);
	CHECK_EQ(strlen(def.args[0].text), 63);
	/* Largest record that fits. */
	CHECK_EQ(parse("p f +0(%di):string[56]"), 0);
	CHECK_EQ(def.rec_size, 8 + 56 * 72);
	CHECK_EQ(parse("p f +0(%di):string[57]"), -EINVAL);
	/* A NULL error buffer is allowed. */
	CHECK_EQ(trace_event_parse("p f %zz", &def, NULL, 0), -EINVAL);
}

int main(void)
{
	RUN(t_probe_basic);
	RUN(t_default_names);
	RUN(t_default_name_fn);
	RUN(t_return_forms);
	RUN(t_remove);
	RUN(t_glob_and_expand);
	RUN(t_fetch_kinds);
	RUN(t_nested_deref);
	RUN(t_types);
	RUN(t_arg_names);
	RUN(t_return_only_args);
	RUN(t_malformed);
	RUN(t_linux_forms);
	RUN(t_round_trip);
	RUN(t_resolve);
	RUN(t_limits_and_blanks);
	RUN(t_selftest_args);
	return check_done();
}
