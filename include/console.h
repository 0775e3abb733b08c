/*
 * The serial console shell (kernel/shell.c). Commands register themselves
 * with CONSOLE_CMD in a linker-section table, so no file lists them all.
 */
#ifndef KP_CONSOLE_H
#define KP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A command is either tokenized ("NAME ARGS", fn gets argv) or whole-line:
 * match() claims a line that is not "NAME ARGS" (a kprobe_events definition
 * such as "p:grp/ev sym arg=%di", a filter expression left unsplit) and
 * run() gets it untokenized and writable. Whole-line commands are tried
 * first, in table order; either kind has its usage and help for `help`.
 */
struct console_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* 0, or nonzero after printing error: */
	bool (*match)(const char *line);	/* whole-line commands only */
	int (*run)(char *line);
	const char *usage;	/* "NAME ARGS" */
	const char *help;	/* one line */
};

#define CONSOLE_ENTRY(id, cname, cfn, cmatch, crun, cusage, chelp) \
	static const struct console_cmd __console_cmd_##id \
	__attribute__((used, section(".console_cmds." cname), aligned(8))) = \
	{ cname, cfn, cmatch, crun, cusage, chelp }

#define CONSOLE_CMD(cname, cfn, cusage, chelp) \
	CONSOLE_ENTRY(cfn, #cname, cfn, NULL, NULL, cusage, chelp)

/* NAME is a string: `help NAME` finds it ("-:" is one). */
#define CONSOLE_LINE_CMD(id, cname, cmatch, crun, cusage, chelp) \
	CONSOLE_ENTRY(id, cname, NULL, cmatch, crun, cusage, chelp)

#define CONSOLE_MAX_ARGS 32

/* True if LINE is the word NAME alone or followed by a blank (for match()). */
bool console_line_is(const char *line, const char *name);
/* Print to the console (not the log). */
int cprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "error: ..." and return -1, for command handlers. */
int cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run one command line as if typed; returns the command's result. */
int console_run_line(char *line);
/* Non-blocking: next input byte, or -1. */
int console_getc(void);
/* The shell's read-run loop; never returns. */
void shell_run(void) __attribute__((noreturn));
/* True once Ctrl-C was typed since the last call (for long-running commands). */
bool console_interrupted(void);

#endif
