/*
 * printk: every message goes into a log ring buffer (read by `dmesg` and the
 * GDB helper kp-dmesg) with its level and boot time, and to the console if
 * its level is at or below console_loglevel. The console device is whatever
 * registered itself with console_set_output (drivers/serial.c).
 */
#include "kernel.h"
#include "arch.h"

#define LOG_SIZE	(64 * 1024)
#define LINE_MAX	512

/* Read by scripts/gdb/kprobe64.py: keep the names. */
char log_buf[LOG_SIZE];
uint64_t log_head;	/* total bytes ever written; the buffer holds the last LOG_SIZE */
int console_loglevel = 7;
EXPORT_SYMBOL(console_loglevel);

static void (*console_out)(const char *s, size_t n);

void console_set_output(void (*fn)(const char *s, size_t n))
{
	console_out = fn;
}

void console_write(const char *s, size_t n)
{
	if (console_out)
		console_out(s, n);
}

static void log_store(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[(log_head + i) % LOG_SIZE] = s[i];
	log_head += n;
}

int vprintk(const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	int level = 6, n, hdr;
	uint64_t ns = uptime_ns(), flags;

	if (fmt[0] == '\001' && fmt[1] >= '0' && fmt[1] <= '7') {
		level = fmt[1] - '0';
		fmt += 2;
	}
	hdr = snprintf(line, sizeof(line), "[%5lu.%06lu] ", ns / 1000000000, ns / 1000 % 1000000);
	n = vsnprintf(line + hdr, sizeof(line) - hdr, fmt, ap);
	n = min(n + hdr, (int)sizeof(line) - 1);

	flags = local_irq_save();
	log_store(line, n);
	if (level <= console_loglevel)
		console_write(line, n);
	local_irq_restore(flags);
	return n;
}
EXPORT_SYMBOL(vprintk);

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
EXPORT_SYMBOL(printk);

void log_for_each(void (*fn)(const char *line, void *arg), void *arg)
{
	uint64_t start = log_head > LOG_SIZE ? log_head - LOG_SIZE : 0;
	char line[LINE_MAX];
	size_t n = 0;

	/* a partial first line after wrap-around is skipped */
	if (start)
		while (start < log_head && log_buf[start++ % LOG_SIZE] != '\n')
			;
	for (uint64_t i = start; i < log_head; i++) {
		char c = log_buf[i % LOG_SIZE];

		if (n < sizeof(line) - 1)
			line[n++] = c;
		if (c == '\n') {
			line[n] = '\0';
			fn(line, arg);
			n = 0;
		}
	}
	if (n) {
		line[n] = '\0';
		fn(line, arg);
	}
}
