/*
 * Console commands for probe events, in Linux tracefs terms:
 *
 *   p:... / r:... / -:...   a line of kprobe_events, typed at the prompt
 *   kprobe_events           cat kprobe_events
 *   kprobe_profile          cat kprobe_profile
 *   enable / disable        echo 1|0 > events/GRP/EVENT/enable
 *   filter EVENT 'EXPR'     echo 'EXPR' > events/GRP/EVENT/filter
 *   trace                   cat trace: all CPUs merged by time (writers
 *                           paused while it prints)
 *   trace -f                cat trace_pipe (all CPUs; consumes; Ctrl-C ends it)
 *   trace stats             cat per_cpu/cpuN/stats, every N
 *   trace clear | size KB | on | off
 *                           echo > trace, buffer_size_kb (per CPU), tracing_on
 *
 * The trace columns: this kernel has no tasks, so every entry shows the one
 * thread of execution it has, the console shell, as "kp-shell-1" (interrupts
 * borrow it, as Linux interrupts borrow the current task, and are marked 'h').
 * Flags: 'd' interrupts were off where the event was recorded (always, for
 * kprobes: the int3 handler runs with them off), need-resched always '.',
 * 'h' inside an interrupt handler, then the exception nesting depth (1 in
 * the int3 handler; '.' for return events, which run from the trampoline),
 * and '.' for migrate-disable.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "kallsyms.h"
#include "kprobe_events.h"

#define LINE_MAX	8192	/* a record may print 16 arrays of 64 values */

static char line[LINE_MAX], args[LINE_MAX];
static uint8_t hitbuf[TRACE_HIT_MAX] __aligned(16);

int kevent_addr_to_sym(uint64_t addr, char *name, size_t len, uint64_t *off,
		       uint64_t *size)
{
	const struct ksym *s = kallsyms_lookup(addr, off);

	if (!s)
		return -ENOENT;
	snprintf(name, len, "%s", ksym_name(s));
	*size = s->size;
	return 0;
}

static void put(const char *s)
{
	console_write(s, strlen(s));
}

/* ---- definitions typed at the prompt ---- */

/*
 * Whole lines for the kprobe_events parser: "-..." and, as Linux's parser
 * takes them, first words starting with 'p' or 'r' that are no command
 * name: "p", "r", a digit next ("r1a111 sym", "p100 sym") or a ':' in the
 * word ("p:ev", "rfoo:ev"). Any other letter before a ':' ("f:...") comes
 * here too, so that the parser can say why it is no kprobe_events line
 * instead of the shell calling it an unknown command.
 */
static bool match_definition(const char *s)
{
	const char *c = s + 1;
	char type = *s;

	if (!((type >= 'a' && type <= 'z') || (type >= 'A' && type <= 'Z')))
		return false;
	if ((type == 'p' || type == 'r') &&
	    ((*c >= '0' && *c <= '9') || *c == ' ' || *c == '\t' || !*c))
		return true;
	for (; *c && *c != ' ' && *c != '\t'; c++)
		if (*c == ':')
			return true;
	return false;
}

/* `p` takes every definition but return probes and removals, typos included */
static bool match_p(const char *s)
{
	return *s != 'r' && match_definition(s);
}

static bool match_r(const char *s)
{
	return *s == 'r' && match_definition(s);
}

static bool match_remove(const char *s)
{
	return *s == '-';
}

static int run_definition(char *text)
{
	char msg[KEVENT_MSG_MAX];

	if (kprobe_events_write(text, msg, sizeof(msg)) < 0)
		return cmd_error("%s", msg);
	cprintf("%s\n", msg);
	return 0;
}

CONSOLE_LINE_CMD(p, "p", match_p, run_definition,
	"p[:[GRP/][EVENT]] [kprobe64:]SYM[+OFFS]|ADDR [[NAME=]FETCHARG[:TYPE] ...]\n"
	"  GRP kprobes, EVENT p_SYM_OFFS by default; SYM may be a glob: p:grp/ kp_*\n"
	"  FETCHARG: %REG (%di %si %dx %cx %r8 %r9 %ax %sp %ip, or %rdi %edi), $argN,\n"
	"  $stack, $stackN, $retval (r), $comm, @ADDR, @SYM[+|-OFFS], \\IMM,\n"
	"  +|-OFFS(FETCHARG) reads memory, nests. TYPE: 'help r'. Created disabled.\n"
	"  e.g. p:myprobe kp_target_strlen s=+0(%di):string",
	"define a probe event (Linux kprobe_events syntax; 'help p')");
CONSOLE_LINE_CMD(r, "r", match_r, run_definition,
	"r[MAXACTIVE][:[GRP/][EVENT]] SYM[+0] [FETCHARGS], or p:... SYM%return\n"
	"  fires when SYM returns: $retval, and the return site in the trace\n"
	"  TYPE: u8 u16 u32 u64, s8..s64 (decimal), x8..x64 (hex; x64 is the default),\n"
	"  string, symbol (sym+0xoff/0xsize), TYPE[N] arrays {a,b,..}; bad reads: (fault)\n"
	"  e.g. r:myret kp_target_add ret=$retval:s64",
	"define a return probe event ('help r' for types)");
CONSOLE_LINE_CMD(remove, "-:", match_remove, run_definition,
	"-:[GRP/]EVENT [SYM[+OFFS]|ADDR [NAME=ARG ..]]   (globs: -:mygrp/* or -:mygrp/)\n"
	"  with a probe point, only the event's points there go (Linux's multi-probe\n"
	"  events: p:ev sym1 a=%di then p:ev sym2 a=%si adds a second point).\n"
	"  An enabled event's last point is refused (disable it first); removing an\n"
	"  event that was ever enabled clears the trace buffer, as Linux does",
	"remove probe events ('help -:')");

/* ---- kprobe_events, kprobe_profile ---- */

static int list_one(struct kevent_probe *p, void *arg)
{
	(void)arg;
	trace_event_print(&p->def, line, sizeof(line));
	put(line);
	put("\n");
	return 0;
}

static int count_one(struct kevent *ev, void *arg)
{
	(void)ev;
	(*(unsigned int *)arg)++;
	return 0;
}

static unsigned int matching(const char *target)
{
	unsigned int n = 0;

	kevent_for_each(target, count_one, &n);
	return n;
}

static int check_idle(struct kevent *ev, void *arg)
{
	*(const char **)arg = ev->def.event;
	return ev->enabled;
}

static int cmd_kprobe_events(int argc, char **argv)
{
	const char *busy = NULL;
	char msg[KEVENT_MSG_MAX];

	if (argc == 1)
		return kevent_for_each_probe("all", list_one, NULL) ? cmd_error("out of memory") : 0;
	if (argc != 2 || strcmp(argv[1], "clear"))
		return cmd_error("usage: kprobe_events [clear]");
	if (kevent_for_each("all", check_idle, &busy))
		return cmd_error("event '%s' is enabled; 'disable all' first", busy);
	if (!kevent_count()) {
		cprintf("no events\n");
		return 0;
	}
	if (kprobe_events_write("-:*/*", msg, sizeof(msg)) < 0)
		return cmd_error("%s", msg);
	cprintf("%s\n", msg);
	return 0;
}
CONSOLE_CMD(kprobe_events, cmd_kprobe_events, "kprobe_events [clear]",
	    "list event definitions as Linux prints them; 'clear' removes them all");

static int profile_one(struct kevent_probe *p, void *arg)
{
	(void)arg;
	cprintf("  %-44s %15lu %15lu\n", p->def.event, kevent_probe_hits(p), kevent_probe_misses(p));
	return 0;
}

static int cmd_kprobe_profile(int argc, char **argv)
{
	if (argc > 2)
		return cmd_error("usage: kprobe_profile [EVENT|GRP/EVENT|GRP/*]");
	if (argc == 2 && !matching(argv[1]))
		return cmd_error("no event matches '%s'", argv[1]);
	if (kevent_for_each_probe(argc == 2 ? argv[1] : "all", profile_one, NULL))
		return cmd_error("out of memory");
	return 0;
}
CONSOLE_CMD(kprobe_profile, cmd_kprobe_profile, "kprobe_profile [EVENT|GRP/EVENT|GRP/*]\n"
	    "  columns as Linux, one line per probe point: event, hits (handler runs,\n"
	    "  filtered or not), misses\n"
	    "  (hits inside another probe's handler; r: also no free instance)",
	    "hit and miss counts per probe point (Linux's kprobe_profile)");

/* ---- enable, disable ---- */

static int enable_cmd(int argc, char **argv, bool on)
{
	char msg[KEVENT_MSG_MAX];
	int n = 0, r;

	if (argc < 2)
		return cmd_error("usage: %s EVENT|GRP/EVENT|GRP/*|all ...", argv[0]);
	for (int i = 1; i < argc; i++)	/* all or nothing */
		if (!matching(argv[i]))
			return cmd_error("no event matches '%s'", argv[i]);
	for (int i = 1; i < argc; i++) {
		r = kevent_enable(argv[i], on, msg, sizeof(msg));
		if (r < 0)
			return cmd_error("%s", msg);
		n += r;
	}
	cprintf("%s %d event%s\n", on ? "enabled" : "disabled", n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_enable(int argc, char **argv)
{
	return enable_cmd(argc, argv, true);
}
CONSOLE_CMD(enable, cmd_enable, "enable EVENT|GRP/EVENT|GRP/*|all ...\n"
	    "  arms the probes: like echo 1 > events/GRP/EVENT/enable; globs allowed",
	    "start recording events (they are created disabled, as in Linux)");

static int cmd_disable(int argc, char **argv)
{
	return enable_cmd(argc, argv, false);
}
CONSOLE_CMD(disable, cmd_disable, "disable EVENT|GRP/EVENT|GRP/*|all ...",
	    "stop recording events and take their int3s out of the text");

/* ---- filter: the raw line, so quotes inside the expression survive ---- */

static bool match_filter(const char *s)
{
	return console_line_is(s, "filter");
}

static int show_filter(struct kevent *ev, void *arg)
{
	(void)arg;
	cprintf("%s/%s: %s\n", ev->def.group, ev->def.event,
		ev->filter ? ev->filter->text : "none");
	return 0;
}

static int run_filter(char *s)
{
	char msg[KEVENT_MSG_MAX], *target, *expr, *end;
	size_t n;

	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return cmd_error("usage: filter EVENT|GRP/EVENT|GRP/* ['EXPR'|0]");
	target = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	expr = s;
	end = expr + strlen(expr);
	while (end > expr && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	n = (size_t)(end - expr);
	/* 'EXPR' or "EXPR" as the shell would pass it: drop one level of quotes */
	if (n >= 2 && (expr[0] == '\'' || expr[0] == '"') && end[-1] == expr[0] &&
	    !strchr(expr + 1, expr[0])[1]) {
		end[-1] = '\0';
		expr++;
	}
	if (!*expr) {
		if (!matching(target))
			return cmd_error("no event matches '%s'", target);
		return kevent_for_each(target, show_filter, NULL);
	}
	if (kevent_set_filter(target, expr, msg, sizeof(msg)) < 0)
		return cmd_error("%s", msg);
	cprintf("%s\n", msg);
	return 0;
}
CONSOLE_LINE_CMD(filter, "filter", match_filter, run_filter, "filter EVENT|GRP/EVENT|GRP/* ['EXPR'|0]\n"
	    "  EXPR on the event's arg names: == != < <= > >= & (bits), ~ (glob, strings),\n"
	    "  && || ! ( ); strings in quotes: filter myprobe 'a > 3 && s == \"abc\"'\n"
	    "  '0' removes the filter; without EXPR shows it (none: no filter)",
	    "record only hits that pass EXPR (Linux event filter syntax)");

/* ---- trace ---- */

int kevent_format_hit(const struct trace_hit *hit, size_t len, char *buf, size_t buflen)
{
	char ip[TRACE_NAME_MAX + 40], func[TRACE_NAME_MAX + 20], flags[6];
	const struct kevent *ev = kevent_by_id(hit->event_id);
	struct trace_line tl = {
		.comm = KEVENT_COMM, .pid = KEVENT_PID, .cpu = hit->cpu,
		.flags = flags, .ts_ns = hit->ts_ns, .ip = ip, .args = args,
	};

	if (hit->event_id == TRACE_HIT_TEXT && len > sizeof(*hit) + TRACE_TEXT_TAG_MAX) {
		tl.event = (const char *)hit->rec;
		tl.text = (const char *)hit->rec + TRACE_TEXT_TAG_MAX;
	} else if (!ev || len < sizeof(*hit) + ev->def.rec_size) {
		return snprintf(buf, buflen, "<entry of removed event %u>", hit->event_id);
	}
	flags[0] = hit->flags & TRACE_HIT_IRQS_OFF ? 'd' : '.';
	flags[1] = '.';
	flags[2] = hit->flags & TRACE_HIT_HARDIRQ ? 'h' : '.';
	flags[3] = hit->depth ? "0123456789abcdef"[hit->depth & 15] : '.';
	flags[4] = '.';
	flags[5] = '\0';
	if (tl.text)
		return trace_format_line(&tl, buf, buflen);
	tl.event = ev->def.event;
	trace_format_ip(hit->ip, true, kevent_addr_to_sym, ip, sizeof(ip));
	if (ev->def.is_return) {
		trace_format_ip(hit->func, false, kevent_addr_to_sym, func, sizeof(func));
		tl.func = func;
	}
	fetch_format(&ev->def, hit->rec, kevent_addr_to_sym, args, sizeof(args));
	return trace_format_line(&tl, buf, buflen);
}

static void print_lost(unsigned int cpu, uint64_t lost)
{
	cprintf("CPU:%u [LOST %lu EVENTS]\n", cpu, lost);
}

static void print_hit(size_t n)
{
	kevent_format_hit((const struct trace_hit *)hitbuf, n, line, sizeof(line) - 1);
	put(line);
	put("\n");
}

/* cat trace: a header, then every CPU's entries merged by time; recording pauses meanwhile. */
static int trace_show(void)
{
	struct trace_buffer_info info;
	struct trace_buffer_iter it;
	uint64_t lost;
	size_t n;

	trace_buffer_pause(true);
	trace_buffer_info(&info);
	trace_format_header(line, sizeof(line), info.entries, info.written, num_cpus());
	put(line);
	trace_buffer_iter_start(&it);
	while ((n = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost))) {
		if (lost)
			print_lost(((struct trace_hit *)hitbuf)->cpu, lost);
		print_hit(n);
		if (console_interrupted()) {
			put("^C\n");
			break;
		}
	}
	trace_buffer_pause(false);
	return 0;
}

/* cat trace_pipe: print and consume from every CPU, wait for more, until Ctrl-C. */
static int trace_follow(void)
{
	struct trace_buffer_iter it;
	uint64_t lost;
	size_t n;

	console_interrupted();	/* a stale ^C is not for us */
	trace_buffer_iter_start(&it);
	while (!console_interrupted()) {
		n = trace_buffer_next(&it, (struct trace_hit *)hitbuf, &lost);
		if (!n) {
			halt();		/* the next interrupt (timer, serial) wakes us */
			continue;
		}
		if (lost)
			print_lost(((struct trace_hit *)hitbuf)->cpu, lost);
		print_hit(n);
		trace_buffer_consume(&it);
	}
	put("^C\n");
	return 0;
}

static int trace_size(int argc, char **argv)
{
	struct trace_buffer_info info;
	uint64_t kb;
	int err;

	if (argc == 2) {
		trace_buffer_info(&info);
		cprintf("buffer_size_kb: %lu (%lu entries, %lu written, %lu lost to overwriting, "
			"%lu dropped while printing, %lu refused while busy; recording %s; "
			"per cpu, %u cpus)\n",
			info.size / 1024, info.entries, info.written, info.overwritten,
			info.paused_drops, info.refused, info.on ? "on" : "off", num_cpus());
		return 0;
	}
	if (kstrtou64(argv[2], &kb) || kb > (1UL << 20))
		return cmd_error("bad size '%s': a number of KiB", argv[2]);
	err = trace_buffer_resize(kb * 1024);
	if (err == -EINVAL)
		return cmd_error("size %lu KiB out of range (%u to %u KiB)", kb,
				 TRACE_RING_MIN / 1024, 64 * 1024);
	if (err)
		return cmd_error("no memory for %lu KiB", kb);
	cprintf("buffer_size_kb: %lu (cleared)\n", kb);
	return 0;
}

/* Linux's per_cpu/cpuN/stats, every CPU in turn. */
static int trace_stats(void)
{
	struct trace_ring_stats st;
	uint64_t now = uptime_ns();

	for (unsigned int c = 0; c < num_cpus(); c++) {
		trace_buffer_cpu_stats(c, &st);
		cprintf("cpu%u:\nentries: %lu\noverrun: %lu\nbytes: %lu\n"
			"now ts: %5lu.%06lu\ndropped events: %lu\nread events: %lu\n"
			"entries-written: %lu\n",
			c, st.entries, st.overrun, st.bytes, now / 1000000000,
			now % 1000000000 / 1000, st.refused, st.consumed, st.written);
	}
	return 0;
}

static int cmd_trace(int argc, char **argv)
{
	if (argc == 1)
		return trace_show();
	if (!strcmp(argv[1], "size") && argc <= 3)
		return trace_size(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "-f"))
		return trace_follow();
	if (argc == 2 && !strcmp(argv[1], "stats"))
		return trace_stats();
	if (argc == 4 && !strcmp(argv[1], "-H"))
		return kevent_trace_hist(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "clear")) {
		trace_buffer_clear();
		cprintf("trace buffer cleared\n");
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))) {
		trace_buffer_set_on(!strcmp(argv[1], "on"));
		cprintf("tracing %s\n", argv[1]);
		return 0;
	}
	return cmd_error("usage: trace [-f|-H EVENT FIELD|stats|clear|size [KB]|on|off]");
}
CONSOLE_CMD(trace, cmd_trace, "trace [-f|-H EVENT FIELD|stats|clear|size [KB]|on|off]\n"
	    "  all CPUs merged by time, Linux's format (cat trace); -f: stream and\n"
	    "  consume until Ctrl-C (trace_pipe); -H: a log2 chart of FIELD (bpftrace's\n"
	    "  hist()); stats: per CPU; size KB: per CPU, clears (buffer_size_kb); on/off:\n"
	    "  tracing_on. Overwritten entries: CPU:N [LOST M EVENTS]. Task is always\n"
	    "  kp-shell-1 (no tasks); flags: d irqs off, h in irq, digit = trap depth",
	    "show the trace buffer; -f follows it, clear/size/on/off manage it");
