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
static struct hist_table table;
static struct hist_entry slots[2 * HIST_MAX_SIZE];
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
	if (hist_parse(trigger, &def, &spec, err, sizeof(err)))
		return -1;
	hist_init(&table, &spec, slots);
	return 0;
}

static void hit(uint64_t a, uint64_t b)
{
	struct pt_regs regs = { 0 };
	struct fetch_ctx ctx = { .regs = &regs };
	uint8_t rec[TRACE_RECORD_MAX];

	regs.di = a;
	regs.si = b;
	fetch_args(&def, &ctx, rec, sizeof(rec));
	hist_update(&table, &def, rec, 5000);
}

static const char *show(void)
{
	out[0] = '\0';
	hist_print(&table, &def, addr_to_sym, order, emit, NULL);
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
	table.spec.paused = true;
	hit(1, 3);
	show();
	CHECK(strstr(out, "[paused]") && strstr(out, "Hits: 1\n"));
	hist_clear(&table);
	show();
	CHECK(strstr(out, "Entries: 0\n"));
	/* full: new keys are dropped and counted, old keys still count */
	CHECK_EQ(setup("hist:keys=a:size=1"), 0);
	for (int i = 0; i < 200; i++)
		hit((uint64_t)i, 0);
	hit(5, 0);
	show();
	CHECK(strstr(out, "    Hits: 129\n    Entries: 128\n    Dropped: 72\n"));
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ "hist", "hist trigger needs keys=" },
	{ "hist:keys=zz", "Couldn't find field: zz" },
	{ "hist:keys=a.foo", "Invalid field modifier: foo" },
	{ "hist:keys=a.buckets=1", "buckets needs a size of at least 2: a.buckets=1" },
	{ "hist:keys=a:sort=q", "Couldn't find field: q" },
	{ "hist:keys=a:vals=b:sort=common_timestamp", "Sort key is not a key or a value: common_timestamp" },
	{ "hist:keys=a:size=0", "size must be from 1 to 16384" },
	{ "hist:keys=a:bogus", "Unknown hist command: bogus" },
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

static void t_bars(void)
{
	uint64_t counts[65] = { 0 };

	counts[1] = 1;		/* [1] */
	counts[3] = 4;		/* [4, 8) */
	counts[11] = 2;		/* [1K, 2K) */
	out[0] = '\0';
	hist_bars(counts, emit, NULL);
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
}

int main(void)
{
	RUN(t_keys_counts_sort_totals);
	RUN(t_modifiers);
	RUN(t_filter_pause_size);
	RUN(t_errors);
	RUN(t_bars);
	return check_done();
}
