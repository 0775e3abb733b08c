/*
 * The serial console shell (kernel/shell.c). Commands register themselves
 * with CONSOLE_CMD in a linker-section table, so no file lists them all.
 */
#ifndef KP_CONSOLE_H
#define KP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct console_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* 0, or nonzero after printing error: */
	const char *usage;	/* "NAME ARGS" */
	const char *help;	/* one line */
};

#define CONSOLE_CMD(cname, cfn, cusage, chelp) \
	static const struct console_cmd __console_cmd_##cfn \
	__attribute__((used, section(".console_cmds." #cname), aligned(8))) = \
	{ #cname, cfn, cusage, chelp }

/*
 * A whole-line syntax that is not "COMMAND ARGS": e.g. kprobe_events
 * definitions ("p:grp/ev sym arg=%di", "-:ev"). match() sees the line first;
 * if it says yes, run() gets the line (untokenized, writable).
 */
struct console_syntax {
	const char *name;
	bool (*match)(const char *line);
	int (*run)(char *line);
};

#define CONSOLE_SYNTAX(sname, smatch, srun) \
	static const struct console_syntax __console_syntax_##sname \
	__attribute__((used, section(".console_syntax"), aligned(8))) = \
	{ #sname, smatch, srun }

#define CONSOLE_MAX_ARGS 32

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
/*
 * Called by the shell after each command it ran, before the next prompt,
 * for deferred work that must run in the shell's context outside any
 * command (the probe engine's jump optimizer): what the command left is
 * settled by the time the prompt shows. One hook.
 */
void console_after_command_set(void (*fn)(void));

#endif
