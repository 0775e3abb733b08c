/* Host tests for probes/hist.c and probes/hist_print.c: hist triggers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "lib.h"
#include "trace.h"
#include "kerrno.h"
#include "ptregs.h"

static struct trace_event_def def;
static struct hist_spec spec;
static struct hist_part table;
static uint8_t slots[2 * HIST_MAX_SIZE * (sizeof(struct hist_entry) + HIST_MAX_KEYS * HIST_STRING_MAX)];
static const struct hist_entry *order[HIST_MAX_SIZE];
static char err[TRACE_ERR_MAX];
static char out[16384];

static void emit(const char *line, void *arg)
{
	(void)arg;
	strcat(out, line);
	strcat(out, "\n");
}

static int addr_to_sym(uint64_t addr, char *name, size_t len, uint64_t *off, uint64_t *size)
{
	if (addr < 0xffffffff81001000ULL || addr >= 0xffffffff81001040ULL)
		return -ENOENT;
	snprintf(name, len, "do_work");
	*off = addr - 0xffffffff81001000ULL;
	*size = 0x40;
	return 0;
}

/* Define "p do_work a=%di b=%si", attach spec, feed (a, b) hits. */
static int setup(const char *trigger)
{
	CHECK_EQ(trace_event_parse("p:ev do_work a=%di b=%si:s32", &def, err, sizeof(err)), 0);
	def.resolved = true;
	if (hist_parse(trigger, &def, &spec, err, sizeof(err), NULL))
		return -1;
	hist_part_init(&table, &spec, slots);
	return 0;
}

static void hit(uint64_t a, uint64_t b)
{
	struct pt_regs regs = { 0 };
	struct fetch_ctx ctx = { .regs = &regs };
	uint8_t rec[TRACE_RECORD_MAX];

	regs.di = a;
	regs.si = b;
	struct hist_ctx hc = { .ts_ns = 5000, .cpu = 1, .pid = 1 };

	fetch_args(&def, &ctx, rec, sizeof(rec));
	hist_update(&spec, &table, &def, rec, &hc);
}

static const char *show(void)
{
	out[0] = '\0';
	hist_print(&spec, &table, &def, addr_to_sym, "kp-shell", order, emit, NULL);
	return out;
}

static void t_keys_counts_sort_totals(void)
{
	CHECK_EQ(setup("hist:keys=a:vals=b"), 0);
	hit(3, 10);
	hit(1, 5);
	hit(3, 20);
	hit(2, 1);
	hit(3, 30);
	hit(1, 5);
	CHECK_STR(show(),
		  "# event histogram\n"
		  "#\n"
		  "# trigger info: hist:keys=a:vals=hitcount,b:sort=hitcount:size=2048 [active]\n"
		  "#\n"
		  "\n"
		  "{ a:          2 } hitcount:          1  b:          1\n"
		  "{ a:          1 } hitcount:          2  b:         10\n"
		  "{ a:          3 } hitcount:          3  b:         60\n"
		  "\n"
		  "Totals:\n"
		  "    Hits: 6\n"
		  "    Entries: 3\n"
		  "    Dropped: 0\n");
	/* sort by key descending, then by a value */
	CHECK_EQ(setup("hist:keys=a:vals=hitcount,b:sort=a.descending:size=100"), 0);
	hit(1, 1);
	hit(7, 1);
	hit(4, 1);
	show();
	CHECK(strstr(out, "size=128 [active]"));
	CHECK(strstr(out, "sort=a.descending"));
	CHECK(strstr(out, "{ a:          7 } hitcount:          1  b:          1\n"
			  "{ a:          4 } hitcount:          1  b:          1\n"
			  "{ a:          1 }"));
	/* Linux's other spellings: key=, val=, values= */
	CHECK_EQ(setup("hist:key=a:val=b"), 0);
	CHECK_EQ(spec.nkeys, 1);
	CHECK_EQ(spec.nvals, 1);
	CHECK_EQ(setup("hist:keys=a:values=b"), 0);
	CHECK_EQ(spec.nvals, 1);
	CHECK_EQ(setup("hist:keys=a:vals=b:sort=b.descending,a"), 0);
	hit(1, 5);
	hit(2, 9);
	hit(3, 5);
	show();
	CHECK(strstr(out, "{ a:          2 } hitcount:          1  b:          9\n"
			  "{ a:          1 } hitcount:          1  b:          5\n"
			  "{ a:          3 }"));
}

static void t_modifiers(void)
{
	CHECK_EQ(setup("hist:keys=a.hex,b"), 0);
	hit(255, -1);
	show();
	CHECK(strstr(out, "{ a: ff, b: 18446744073709551615 } hitcount:          1\n"));
	CHECK_EQ(setup("hist:keys=a.sym"), 0);
	hit(0xffffffff81001008ULL, 0);
	show();
	CHECK(strstr(out, "{ a: [ffffffff81001008] do_work                                       } hitcount:"));
	CHECK_EQ(setup("hist:keys=a.sym-offset"), 0);
	hit(0xffffffff81001008ULL, 0);
	show();
	CHECK(strstr(out, "{ a: [ffffffff81001008] do_work+0x8/0x40"));
	CHECK_EQ(setup("hist:keys=a.log2"), 0);
	hit(1, 0);
	hit(3, 0);
	hit(4, 0);
	hit(1000, 0);
	show();
	CHECK(strstr(out, "{ a: ~ 2^0  } hitcount:          1\n"));
	CHECK(strstr(out, "{ a: ~ 2^2  } hitcount:          2\n"));
	CHECK(strstr(out, "{ a: ~ 2^10 } hitcount:          1\n"));
	CHECK_EQ(setup("hist:keys=a.buckets=10:sort=a"), 0);
	hit(1, 0);
	hit(9, 0);
	hit(25, 0);
	show();
	CHECK(strstr(out, "{ a: ~ 0-9 } hitcount:          2\n{ a: ~ 20-29 } hitcount:          1\n"));
	CHECK_EQ(setup("hist:keys=a:vals=common_timestamp.usecs"), 0);
	hit(1, 0);
	show();
	CHECK(strstr(out, "common_timestamp.usecs"));
	CHECK(strstr(out, "common_timestamp:          5\n"));
}

static void t_filter_pause_size(void)
{
	CHECK_EQ(setup("hist:keys=a if b > 2"), 0);
	hit(1, 1);
	hit(1, 3);
	show();
	CHECK(strstr(out, "sort=hitcount:size=2048 if b > 2 [active]"));
	CHECK(strstr(out, "Hits: 1\n"));
	spec.paused = true;
	hit(1, 3);
	show();
	CHECK(strstr(out, "[paused]") && strstr(out, "Hits: 1\n"));
	hist_part_clear(&table, &spec);
	show();
	CHECK(strstr(out, "Entries: 0\n"));
	/* full: new keys are dropped and counted, old keys still count */
	CHECK_EQ(setup("hist:keys=a:size=65"), 0);	/* Linux's smallest: 2^7 */
	for (int i = 0; i < 200; i++)
		hit((uint64_t)i, 0);
	hit(5, 0);
	show();
	CHECK(strstr(out, "    Hits: 129\n    Entries: 128\n    Dropped: 72\n"));
}

static int host_read(void *dst, uint64_t addr, size_t n)
{
	memcpy(dst, (const void *)(uintptr_t)addr, n);
	return 0;
}

/* "p:ev do_work name=+0(%di):string n=%si c=$comm": string keys, as Linux's. */
static void str_hit(struct hist_part *p, const char *name, uint64_t n, unsigned int cpu)
{
	struct pt_regs regs = { 0 };
	struct fetch_ctx ctx = { .regs = &regs, .comm = "kp-shell", .read_mem = host_read };
	struct hist_ctx hc = { .ts_ns = 1, .cpu = cpu, .pid = 1 };
	uint8_t rec[TRACE_RECORD_MAX];
	static char buf[TRACE_STRING_MAX];	/* the fetch reads a whole string's worth */

	memset(buf, 0, sizeof(buf));
	memcpy(buf, name, strlen(name));
	regs.di = (uint64_t)(uintptr_t)buf;
	regs.si = n;
	fetch_args(&def, &ctx, rec, sizeof(rec));
	hist_update(&spec, p, &def, rec, &hc);
}

static int str_setup(const char *trigger)
{
	CHECK_EQ(trace_event_parse("p:ev do_work name=+0(%di):string n=%si c=$comm", &def, err,
				   sizeof(err)), 0);
	def.resolved = true;
	if (hist_parse(trigger, &def, &spec, err, sizeof(err), NULL))
		return -1;
	hist_part_init(&table, &spec, slots);
	return 0;
}

static void t_string_and_common_keys(void)
{
	static uint8_t mem2[2 * HIST_DEFAULT_SIZE * 256];
	struct hist_part cpu1;

	CHECK_EQ(str_setup("hist:keys=name:vals=n:sort=name"), 0);
	CHECK_EQ(spec.key_size, HIST_STRING_MAX);
	str_hit(&table, "read", 1, 0);
	str_hit(&table, "open", 2, 0);
	str_hit(&table, "read", 3, 0);
	show();
	CHECK(strstr(out, "# trigger info: hist:keys=name:vals=hitcount,n:sort=name:size=2048 [active]\n"));
	CHECK(strstr(out, "{ name: open                                               } hitcount:          1  n:          2\n"
			  "{ name: read                                               } hitcount:          2  n:          4\n"));
	/* a string and a number together; $comm, and common_pid.execname / common_cpu */
	CHECK_EQ(str_setup("hist:keys=c,common_pid.execname,cpu:sort=common_cpu"), 0);
	CHECK_EQ(spec.key_size, HIST_STRING_MAX + 16);
	str_hit(&table, "x", 0, 1);
	str_hit(&table, "x", 0, 0);
	str_hit(&table, "x", 0, 1);
	show();
	CHECK(strstr(out, "hist:keys=c,common_pid.execname,common_cpu:vals=hitcount:sort=common_cpu:size=2048"));
	CHECK(strstr(out, "{ c: kp-shell                                          , common_pid: kp-shell        [         1], "
			  "common_cpu:          0 } hitcount:          1\n"
			  "{ c: kp-shell                                          , common_pid: kp-shell        [         1], "
			  "common_cpu:          1 } hitcount:          2\n"));
	/* parts merge: counts add, keys join, Totals count what was merged */
	CHECK_EQ(str_setup("hist:keys=name:vals=n:sort=hitcount.descending"), 0);
	hist_part_init(&cpu1, &spec, mem2);
	str_hit(&table, "a", 1, 0);
	str_hit(&cpu1, "a", 10, 1);
	str_hit(&cpu1, "b", 5, 1);
	hist_merge(&spec, &table, &cpu1);
	show();
	CHECK(strstr(out, "{ name: a                                                  } hitcount:          2  n:         11\n"
			  "{ name: b                                                  } hitcount:          1  n:          5\n"));
	CHECK(strstr(out, "    Hits: 3\n    Entries: 2\n    Dropped: 0\n"));
	/* strings are refused where Linux's would be nonsense here */
	CHECK_EQ(str_setup("hist:keys=n:vals=name"), -1);
	CHECK_STR(err, "field 'name' is a string: a value must be a number");
	CHECK_EQ(str_setup("hist:keys=name.hex"), -1);
	CHECK_STR(err, "a string key takes no modifier: name.hex");
	CHECK_EQ(str_setup("hist:keys=n.execname"), -1);
	CHECK_STR(err, "execname is only for common_pid");
}

/* A full table merged into a full one: the new keys are dropped with their hits. */
static void t_merge_full(void)
{
	static uint8_t mem2[2 * HIST_MIN_SIZE * 64];
	struct hist_part other;

	CHECK_EQ(setup("hist:keys=a:size=128"), 0);
	hist_part_init(&other, &spec, mem2);
	for (int i = 0; i < 128; i++)
		hit((uint64_t)i, 0);
	for (int i = 0; i < 5; i++) {
		struct pt_regs regs = { 0 };
		struct fetch_ctx ctx = { .regs = &regs };
		struct hist_ctx hc = { 0 };
		uint8_t rec[TRACE_RECORD_MAX];

		regs.di = 1000 + (uint64_t)(i % 2);	/* two new keys, 3 and 2 hits */
		fetch_args(&def, &ctx, rec, sizeof(rec));
		hist_update(&spec, &other, &def, rec, &hc);
	}
	hist_merge(&spec, &table, &other);
	show();
	CHECK(strstr(out, "    Hits: 128\n    Entries: 128\n    Dropped: 5\n"));
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ "hist", "hist trigger needs keys=" },
	{ "hist:keys=zz", "Couldn't find field: zz" },
	{ "hist:keys=a.foo", "Invalid field modifier: foo" },
	{ "hist:keys=a.buckets=1", "buckets needs a size of at least 2: a.buckets=1" },
	{ "hist:keys=a:sort=q", "Sort field must be a key or a val: q" },
	{ "hist:keys=a:sort=a.hex", "Invalid sort modifier: hex" },	/* Linux: names only */
	{ "hist:keys=a:vals=b:sort=common_timestamp", "Sort field must be a key or a val: common_timestamp" },
	{ "hist:keys=a:size=0", "size must be from 65 to 16384" },
	{ "hist:keys=a:size=64", "size must be from 65 to 16384" },	/* Linux: below 2^7 */
	{ "hist:keys=a:size=16385", "size must be from 65 to 16384" },
	{ "hist:keys=a:bogus", "Unknown hist command: bogus" },
	{ "hist:keys=a:vals=b:sort=a,b,hitcount", "Too many sort fields (Max = 2)" },
	{ "hist:keys=a,b,a,b", "too many keys (at most 3)" },
	{ "hist:keys=a.usecs", "usecs is only for common_timestamp" },
	{ "snapshot", "a trigger here is hist:keys=... (no other trigger commands)" },
};

static void t_errors(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_EQ(setup(bad[i].text), -1);
		CHECK_STR(err, bad[i].err);
	}
	CHECK_EQ(setup("hist:keys=a if b >"), -1);
}

/* What Linux's error_log shows for each: its message and the caret's column. */
static const struct {
	const char *text, *linux_text;
	int col;
} logged[] = {
	{ "hist:keys=zz", "Couldn't find field", 10 },
	{ "hist:keys=zz if a == 1", "Couldn't find field", 10 },
	{ "hist:keys=a,,b", "Couldn't find field", 0 },
	{ "hist:keys=a.foo", "Invalid field modifier", 12 },
	{ "hist:keys=a.sym.x", "Invalid field modifier", 12 },
	{ "hist:keys=b.execname", "Invalid field modifier", 12 },
	{ "hist:keys=a.buckets=0", "Invalid field modifier", 20 },
	{ "hist:keys=", "Empty assignment", 5 },
	{ "hist:keys=a:sort=", "Empty assignment", 12 },
	{ "hist:keys=a:vals=b:sort=a,b,hitcount", "Too many sort fields (Max = 2)", 19 },
	{ "hist:keys=a:sort=a,", "Empty sort field", 12 },
	{ "hist:keys=a:sort=a.foo", "Invalid sort modifier", 19 },
	{ "hist:keys=a:sort=q", "Sort field must be a key or a val", 17 },
	{ "hist:keys=a:sort=b", "Sort field must be a key or a val", 17 },
	/* Linux's caret goes to the first place the name occurs: the s of "hist" */
	{ "hist:keys=a:vals=b:sort=s", "Sort field must be a key or a val", 2 },
	{ "hist keys=a:sort=q", "Sort field must be a key or a val", 17 },
	/* refusals Linux makes without a log entry, or does not make */
	{ "hist:keys=a:size=0", NULL, 0 },
	{ "hist:keys=a:bogus", NULL, 0 },
	{ "hist", NULL, 0 },
	{ "hist:keys=a.usecs", NULL, 0 },
	{ "hist:keys=a.buckets=1", NULL, 0 },
	{ "hist:keys=a if b >", NULL, 0 },
};

static void t_linux_error_log(void)
{
	struct hist_linux_err le;
	char cmd[256];

	CHECK_EQ(trace_event_parse("p:ev do_work a=%di b=%si:s32", &def, err, sizeof(err)), 0);
	def.resolved = true;
	for (unsigned int i = 0; i < ARRAY_SIZE(logged); i++) {
		CHECK_EQ(hist_parse(logged[i].text, &def, &spec, err, sizeof(err), &le), -EINVAL);
		if (!logged[i].linux_text) {
			CHECK(le.text == NULL);
			continue;
		}
		CHECK(le.text != NULL);
		if (!le.text)
			continue;
		CHECK_STR(le.text, logged[i].linux_text);
		hist_error_command(logged[i].text, cmd, sizeof(cmd));
		CHECK_EQ(hist_error_column(cmd, &le), logged[i].col);
	}
	hist_error_command("hist keys=a:sort=q", cmd, sizeof(cmd));
	CHECK_STR(cmd, "hist:keys=a:sort=q");
	hist_error_command("hist:keys=a if a == 1", cmd, sizeof(cmd));
	CHECK_STR(cmd, "hist:keys=a if a == 1");
}

static void t_bars(void)
{
	uint64_t counts[65] = { 0 };

	counts[1] = 1;		/* [1] */
	counts[3] = 4;		/* [4, 8) */
	counts[11] = 2;		/* [1K, 2K) */
	out[0] = '\0';
	hist_bars(0, counts, emit, NULL);
	CHECK_STR(out,
		  "[1]                    1 |@@@@@@@@@@@@@                                       |\n"
		  "[2, 4)                 0 |                                                    |\n"
		  "[4, 8)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		  "[8, 16)                0 |                                                    |\n"
		  "[16, 32)               0 |                                                    |\n"
		  "[32, 64)               0 |                                                    |\n"
		  "[64, 128)              0 |                                                    |\n"
		  "[128, 256)             0 |                                                    |\n"
		  "[256, 512)             0 |                                                    |\n"
		  "[512, 1K)              0 |                                                    |\n"
		  "[1K, 2K)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n");
	/* values below 0 first, then every bucket from [0] up, as bpftrace */
	memset(counts, 0, sizeof(counts));
	counts[2] = 2;		/* [2, 4) */
	out[0] = '\0';
	hist_bars(4, counts, emit, NULL);
	CHECK_STR(out,
		  "(..., 0)               4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		  "[0]                    0 |                                                    |\n"
		  "[1]                    0 |                                                    |\n"
		  "[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n");
	out[0] = '\0';
	memset(counts, 0, sizeof(counts));
	hist_bars(1, counts, emit, NULL);
	CHECK_STR(out, "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n");
}

int main(void)
{
	RUN(t_keys_counts_sort_totals);
	RUN(t_modifiers);
	RUN(t_filter_pause_size);
	RUN(t_errors);
	RUN(t_linux_error_log);
	RUN(t_string_and_common_keys);
	RUN(t_merge_full);
	RUN(t_bars);
	return check_done();
}
