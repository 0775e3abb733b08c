/*
 * Linux's tracing error_log: the last few refused kprobe_events lines and
 * hist triggers, each with its message and a caret under the column where
 * the trouble starts, so that a refusal can be read again after the prompt
 * has scrolled on. Both kinds share the one log, as in Linux.
 *
 *   [   12.345678] trace_kprobe: error: Invalid register name
 *     Command: p kp_target_add %none_reg
 *                              ^
 *   [   12.400000] hist:kprobes:ev: error: Couldn't find field
 *     Command: hist:keys=zz
 *                        ^
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "kprobe_events.h"

#define ERRLOG_MAX	8	/* entries kept, as Linux's TRACING_LOG_ERRS_MAX */
#define ERRLOG_CMD	KEVENT_LINE_MAX	/* a console line fits */
#define CMD_PREFIX	"  Command: "

struct errlog_entry {
	uint64_t ts_ns;
	int pos;
	char loc[TRACE_ERRLOG_LOC_MAX];
	char msg[KEVENT_MSG_MAX];
	char cmd[ERRLOG_CMD];
};

static struct errlog_entry log[ERRLOG_MAX];
static unsigned int head, count;	/* oldest at (head - count) */

void trace_error_log(const char *loc, const char *cmd, int pos, const char *msg)
{
	struct errlog_entry *e = &log[head];

	e->ts_ns = uptime_ns();
	e->pos = pos;
	snprintf(e->loc, sizeof(e->loc), "%s", loc);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	snprintf(e->cmd, sizeof(e->cmd), "%s", cmd);
	head = (head + 1) % ERRLOG_MAX;
	if (count < ERRLOG_MAX)
		count++;
}

static void show(const struct errlog_entry *e)
{
	int pos = e->pos < 0 ? 0 : e->pos;

	cprintf("[%5lu.%06lu] %s: error: %s\n", e->ts_ns / 1000000000,
		(e->ts_ns % 1000000000) / 1000, e->loc, e->msg);
	cprintf(CMD_PREFIX "%s\n", e->cmd);
	cprintf("%*s^\n", (int)(sizeof(CMD_PREFIX) - 1) + pos, "");
}

static int cmd_error_log(int argc, char **argv)
{
	unsigned int i;

	if (argc == 2 && !strcmp(argv[1], "clear")) {
		count = 0;
		cprintf("error_log cleared\n");
		return 0;
	}
	if (argc != 1)
		return cmd_error("usage: error_log [clear]");
	for (i = 0; i < count; i++)
		show(&log[(head + ERRLOG_MAX - count + i) % ERRLOG_MAX]);
	return 0;
}
CONSOLE_CMD(error_log, cmd_error_log, "error_log [clear]\n"
	    "  the last 8 refused kprobe_events lines and hist triggers, as Linux's\n"
	    "  tracing/error_log:"
	    " the message, the command, and a caret under the column at fault;\n"
	    "  'clear' empties it (echo > error_log)",
	    "why recent probe definitions were refused (Linux's error_log)");
