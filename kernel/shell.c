/*
 * The console shell: a line editor over the serial input ring (echo,
 * backspace, left/right, home/end, history, Ctrl-C, Ctrl-U), a tokenizer with
 * quotes, and dispatch through the CONSOLE_CMD linker table. Every line
 * gets an answer; bad input gets exactly one line starting "error:".
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"

#define LINE_LEN	256	/* including the NUL */
#define HISTORY		16
#define RX_RING		4096

extern const struct console_cmd __console_cmds_start[], __console_cmds_end[];

static volatile char rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;
static volatile bool interrupted;
static uint64_t rx_dropped;

static char history[HISTORY][LINE_LEN];
static unsigned int hist_count;

/* ---- input ---- */

void console_rx(char c)
{
	if (c == 0x03) {
		interrupted = true;
		guard_stop();	/* a runaway `call`: unwound at the end of this interrupt */
	}
	if (rx_head - rx_tail >= RX_RING) {
		rx_dropped++;
		return;
	}
	rx_ring[rx_head % RX_RING] = c;
	rx_head++;
}

int console_getc(void)
{
	int c;

	if (rx_tail == rx_head)
		return -1;
	c = (unsigned char)rx_ring[rx_tail % RX_RING];
	rx_tail++;
	return c;
}

bool console_interrupted(void)
{
	if (!interrupted)
		return false;
	interrupted = false;
	rx_tail = rx_head;	/* the ^C was meant for the command, not the next line */
	return true;
}

/* Sleep until a byte arrives. sti;hlt is atomic: no wakeup is lost between them. */
static int getc_wait(void)
{
	for (;;) {
		int c;

		local_irq_disable();
		c = console_getc();
		if (c >= 0) {
			local_irq_enable();
			return c;
		}
		asm volatile("sti; hlt" : : : "memory");
	}
}

/* ---- output ---- */

int cprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, min(n, (int)sizeof(buf) - 1));
	return n;
}

int cmd_error(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cprintf("error: %s\n", buf);
	return -1;
}

/* ---- line editor ---- */

struct editor {
	char buf[LINE_LEN];
	size_t len, cur;
	bool overflow;
	unsigned int hist_pos;	/* 0 = the line being typed, n = n-th newest */
};

/*
 * Repaint the line after an edit. The terminal cursor is still where the
 * edit began ('from' characters into the line): step back to the start of
 * the input, rewrite it, clear the rest, and put the cursor at e->cur. The
 * prompt itself is never reprinted, so "kp> " appears once per line.
 */
static void redraw(struct editor *e, size_t from)
{
	if (from)
		cprintf("\033[%zuD", from);
	console_write(e->buf, e->len);
	cprintf("\033[K");
	if (e->len > e->cur)
		cprintf("\033[%zuD", e->len - e->cur);
}

static void move_to(struct editor *e, size_t pos)
{
	if (pos < e->cur)
		cprintf("\033[%zuD", e->cur - pos);
	else if (pos > e->cur)
		cprintf("\033[%zuC", pos - e->cur);
	e->cur = pos;
}

static void insert(struct editor *e, char c)
{
	size_t from = e->cur;

	if (e->len >= LINE_LEN - 1) {
		e->overflow = true;	/* keep reading; refuse the line at Enter */
		return;
	}
	memmove(e->buf + e->cur + 1, e->buf + e->cur, e->len - e->cur);
	e->buf[e->cur++] = c;
	e->len++;
	if (e->cur == e->len)
		console_write(&c, 1);
	else
		redraw(e, from);
}

static void delete_at(struct editor *e, size_t pos)
{
	size_t from = e->cur;

	if (pos >= e->len)
		return;
	memmove(e->buf + pos, e->buf + pos + 1, e->len - pos - 1);
	e->len--;
	if (e->cur > pos)
		e->cur--;
	redraw(e, from);
}

static void history_show(struct editor *e, unsigned int pos)
{
	size_t from = e->cur;

	if (pos > hist_count || pos > HISTORY)
		return;
	e->hist_pos = pos;
	if (pos == 0) {
		e->len = 0;
	} else {
		const char *h = history[(hist_count - pos) % HISTORY];

		e->len = strlen(h);
		memcpy(e->buf, h, e->len);
	}
	e->cur = e->len;
	redraw(e, from);
}

static void history_add(const char *line)
{
	if (!*line)
		return;
	if (hist_count && !strcmp(history[(hist_count - 1) % HISTORY], line))
		return;
	snprintf(history[hist_count % HISTORY], LINE_LEN, "%s", line);
	hist_count++;
}

/*
 * ESC [ or ESC O already read: finish a cursor-key sequence. A control byte
 * inside it (a Ctrl-C, an Enter) ends the sequence and is returned so the
 * caller still acts on it; otherwise returns 0.
 */
static int escape(struct editor *e)
{
	int c = getc_wait(), n = 0;

	while (c >= '0' && c <= '9') {
		n = n * 10 + c - '0';
		c = getc_wait();
	}
	if (c < 0x20)
		return c;
	switch (c) {
	case 'A': history_show(e, e->hist_pos + 1); break;
	case 'B': if (e->hist_pos) history_show(e, e->hist_pos - 1); break;
	case 'C': if (e->cur < e->len) move_to(e, e->cur + 1); break;
	case 'D': if (e->cur) move_to(e, e->cur - 1); break;
	case 'H': move_to(e, 0); break;
	case 'F': move_to(e, e->len); break;
	case '~':
		if (n == 1 || n == 7)
			move_to(e, 0);
		else if (n == 4 || n == 8)
			move_to(e, e->len);
		else if (n == 3)
			delete_at(e, e->cur);
		break;
	}
	return 0;
}

/* Read one line; false if it was abandoned with Ctrl-C. */
static bool read_line(struct editor *e)
{
	static bool last_cr;
	int c = 0;

	memset(e, 0, sizeof(*e));
	cprintf("kp> ");
	for (;;) {
		if (!c)
			c = getc_wait();
		if (c == '\n' && last_cr) {	/* CR LF is one line end */
			last_cr = false;
			c = 0;
			continue;
		}
		last_cr = c == '\r';
		switch (c) {
		case '\r':
		case '\n':
			cprintf("\n");
			e->buf[e->len] = '\0';
			return true;
		case 0x03:
			cprintf("^C\n");
			interrupted = false;
			return false;
		case 0x7f:
		case 0x08:
			if (e->cur)
				delete_at(e, e->cur - 1);
			c = 0;
			break;
		case 0x01: move_to(e, 0); c = 0; break;			/* Ctrl-A */
		case 0x05: move_to(e, e->len); c = 0; break;		/* Ctrl-E */
		case 0x15:						/* Ctrl-U */
			c = e->cur;
			e->len = e->cur = 0;
			redraw(e, c);
			c = 0;
			break;
		case 0x1b:
			c = getc_wait();
			if (c == '[' || c == 'O')
				c = escape(e);
			else if (c >= 0x20)
				c = 0;	/* ESC + printable: ignore both */
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				insert(e, c);
			/* other control bytes and non-ASCII are ignored */
			c = 0;
			break;
		}
	}
}

/* ---- commands ---- */

static int tokenize(char *line, char **argv, int max)
{
	int argc = 0;
	char *out = line, *p = line;

	for (;;) {
		char quote = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return argc;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = out;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '\'' || *p == '"'))
				quote = *p;
			else
				*out++ = *p;
		}
		if (quote)
			return -EINVAL;
		if (*p)
			p++;
		*out++ = '\0';
	}
}

static const struct console_cmd *find_cmd(const char *name)
{
	for (const struct console_cmd *c = __console_cmds_start; c < __console_cmds_end; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

bool console_line_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(line, name, n) && (line[n] == ' ' || line[n] == '\t' || !line[n]);
}

int console_run_line(char *line)
{
	char *argv[CONSOLE_MAX_ARGS + 1];
	const struct console_cmd *cmd;
	int argc;

	while (*line == ' ' || *line == '\t')
		line++;
	for (const struct console_cmd *c = __console_cmds_start; c < __console_cmds_end; c++)
		if (c->match && c->match(line))
			return c->run(line);
	argc = tokenize(line, argv, CONSOLE_MAX_ARGS);
	if (argc == -E2BIG)
		return cmd_error("too many arguments (at most %d)", CONSOLE_MAX_ARGS - 1);
	if (argc < 0)
		return cmd_error("unterminated quote");
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	cmd = find_cmd(argv[0]);
	if (!cmd || !cmd->fn)	/* a whole-line command its match() did not claim */
		return cmd_error("unknown command '%s' (try 'help')", argv[0]);
	return cmd->fn(argc, argv);
}

void __noreturn shell_run(void)
{
	static struct editor ed;

	cprintf("\nkprobe64 %s: type 'help' for commands\n", KP_VERSION);
	for (;;) {
		if (!read_line(&ed))
			continue;
		if (ed.overflow) {
			cmd_error("line too long (at most %d characters)", LINE_LEN - 1);
			continue;
		}
		history_add(ed.buf);
		console_run_line(ed.buf);
	}
}

static int cmd_help(int argc, char **argv)
{
	const struct console_cmd *c;

	if (argc > 2)
		return cmd_error("usage: help [COMMAND]");
	if (argc == 2) {
		c = find_cmd(argv[1]);
		if (!c)
			return cmd_error("no command '%s' (try 'help')", argv[1]);
		cprintf("usage: %s\n  %s\n", c->usage, c->help);
		return 0;
	}
	cprintf("commands (help COMMAND for usage):\n");
	for (c = __console_cmds_start; c < __console_cmds_end; c++)
		cprintf("  %-16s %s\n", c->name, c->help);
	return 0;
}
CONSOLE_CMD(help, cmd_help, "help [COMMAND]", "list commands, or show one command's usage");
