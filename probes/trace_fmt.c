/*
 * Trace output in Linux's column layout, so people (and scripts written for
 * Linux's trace file) read kprobe64's trace the same way:
 *
 *   #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
 *             <idle>-0       [000] d..1.    12.345678: myprobe: (do_work+0x4/0x40) dfd=0x3
 *
 * Column widths are Linux's trace_print_context(): "%16s-%-7d [%03d] " then
 * the latency flags, then " %5lu.%06lu: ", then the event's own text.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"

#define TASK_COMM_LEN	16	/* Linux keeps 15 characters of a task name */

int trace_format_line(const struct trace_line *tl, char *buf, size_t len)
{
	char comm[TASK_COMM_LEN];
	const char *c = tl->comm ? tl->comm : "<...>";
	size_t n = min(strlen(c), (size_t)TASK_COMM_LEN - 1);
	/* Linux rounds to the nearest microsecond (ns2usecs). */
	unsigned long long us = (unsigned long long)((tl->ts_ns + 500) / 1000);

	memcpy(comm, c, n);
	comm[n] = '\0';
	if (tl->text)
		return snprintf(buf, len, "%16s-%-7d [%03u] %s %5llu.%06llu: %s: %s",
				comm, tl->pid, tl->cpu, tl->flags ? tl->flags : "",
				us / 1000000, us % 1000000, tl->event ? tl->event : "",
				tl->text);
	return snprintf(buf, len, "%16s-%-7d [%03u] %s %5llu.%06llu: %s: (%s%s%s)%s",
			comm, tl->pid, tl->cpu, tl->flags ? tl->flags : "",
			us / 1000000, us % 1000000,
			tl->event ? tl->event : "",
			tl->ip ? tl->ip : "0",
			tl->func ? " <- " : "", tl->func ? tl->func : "",
			tl->args ? tl->args : "");
}

int trace_format_header(char *buf, size_t len, unsigned long entries,
			unsigned long written, unsigned int ncpus)
{
	return snprintf(buf, len,
		"# tracer: nop\n"
		"#\n"
		"# entries-in-buffer/entries-written: %lu/%lu   #P:%u\n"
		"#\n"
		"#                                _-----=> irqs-off/BH-disabled\n"
		"#                               / _----=> need-resched\n"
		"#                              | / _---=> hardirq/softirq\n"
		"#                              || / _--=> preempt-depth\n"
		"#                              ||| / _-=> migrate-disable\n"
		"#                              |||| /     delay\n"
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		"#              | |         |   |||||     |         |\n",
		entries, written, ncpus);
}

int trace_format_ip(uint64_t addr, bool with_offset, trace_sym_fn addr_to_sym,
		    char *buf, size_t len)
{
	char name[TRACE_NAME_MAX];
	uint64_t off, size;

	/* As Linux's seq_print_ip_sym(): a bare 0, %pS, or %ps. */
	if (!addr)
		return snprintf(buf, len, "0");
	if (addr_to_sym && !addr_to_sym(addr, name, sizeof(name), &off, &size)) {
		if (!with_offset)
			return snprintf(buf, len, "%s", name);
		return snprintf(buf, len, "%s+0x%llx/0x%llx", name,
				(unsigned long long)off, (unsigned long long)size);
	}
	return snprintf(buf, len, with_offset ? "0x%llx" : "0x%08llx",
			(unsigned long long)addr);
}
