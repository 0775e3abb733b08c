/*
 * `bpf paste NAME`: a small object typed (pasted) at the console, for a
 * guest without TFTP or a boot module. The framing, chosen so that a
 * serial line that drops or garbles bytes is caught rather than loaded:
 *
 *   kp> bpf paste NAME
 *   f0VMRgIBAQAAAAAAAAAAAAEA9wABAAAAAAAAAAAAAAAAAAAAAAAAAM...   base64 (RFC 4648)
 *   ...                                                     any line length up to 1024
 *   . 1184 3a5f0c21                                         the end
 *
 * The end is a line holding "." alone, or "." then the decoded size in
 * decimal and its CRC-32 (zlib's, as Python's binascii.crc32) in hex,
 * which are then checked; an empty line also ends it. Blanks inside a line
 * are ignored; '=' padding only at the very end. Input is not echoed.
 * Ctrl-C abandons. Whatever goes wrong, the whole paste is read up to its
 * end first, then one error line is printed and nothing is loaded.
 */
#include "bpf.h"
#include "bpf_internal.h"
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "console.h"

#define PASTE_MAX	(256u * 1024)	/* decoded bytes */
#define LINE_MAX	1024

struct paste {
	uint8_t *buf;
	size_t len;
	uint32_t acc;		/* base64 bits not yet a whole byte */
	unsigned int nbits, pad;
	char err[96];		/* the first problem, reported at the end */
};

/* The next console byte, sleeping until one comes; -1 for Ctrl-C. */
static int paste_getc(void)
{
	for (;;) {
		int c;

		local_irq_disable();
		c = console_getc();
		if (c >= 0) {
			local_irq_enable();
			return c == 0x03 ? -1 : c;
		}
		asm volatile("sti; hlt" : : : "memory");	/* atomic: no wakeup lost */
	}
}

/* One line without its end (CR, LF or CR LF); false on Ctrl-C. */
static bool paste_line(char *line, size_t max, bool *too_long)
{
	static bool last_cr;
	size_t n = 0;
	int c;

	*too_long = false;
	for (;;) {
		c = paste_getc();
		if (c < 0)
			return false;
		if (c == '\n' && last_cr) {
			last_cr = false;
			continue;
		}
		last_cr = c == '\r';
		if (c == '\r' || c == '\n')
			break;
		if (n + 1 < max)
			line[n++] = (char)c;
		else
			*too_long = true;
	}
	line[n] = '\0';
	return true;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static void fail(struct paste *p, const char *why)
{
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "%s", why);
}

static void decode(struct paste *p, const char *s)
{
	for (; *s && !p->err[0]; s++) {
		int v;

		if (*s == ' ' || *s == '\t')
			continue;
		if (*s == '=') {
			p->pad++;
			continue;
		}
		v = b64_value(*s);
		if (v < 0 || p->pad) {
			fail(p, v < 0 ? "a character that is not base64" : "data after '=' padding");
			return;
		}
		p->acc = p->acc << 6 | (uint32_t)v;
		p->nbits += 6;
		if (p->nbits >= 8) {
			p->nbits -= 8;
			if (p->len == PASTE_MAX) {
				fail(p, "object larger than 256 KiB");
				return;
			}
			p->buf[p->len++] = (uint8_t)(p->acc >> p->nbits);
		}
	}
}

/* zlib's CRC-32 (reflected, polynomial 0xedb88320), bit by bit: pastes are small. */
static uint32_t crc32(const uint8_t *d, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= d[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* ". [SIZE CRC]": check what was decoded against the trailer. */
static void check_end(struct paste *p, const char *line)
{
	unsigned long long size, crc;
	char *end;

	/* leftover bits must be padding's zeros, and the padding must fit */
	if ((p->nbits >= 6 || (p->acc & ((1u << p->nbits) - 1))) || p->pad > 2 ||
	    (p->pad && p->pad != (p->nbits == 4 ? 2u : p->nbits == 2 ? 1u : 9u)))
		fail(p, "the base64 does not end on a whole byte");
	while (*++line == ' ')
		;
	if (!*line)
		return;
	size = strtoull(line, &end, 10);
	crc = end != line && *end == ' ' ? strtoull(end + 1, &end, 16) : 0;
	if (*end) {
		fail(p, "bad end line (want '.' or '. SIZE CRC32')");
		return;
	}
	if (!p->err[0] && size != p->len)
		snprintf(p->err, sizeof(p->err), "got %zu bytes, the end line says %llu (bytes lost?)",
			 p->len, size);
	if (!p->err[0] && crc != crc32(p->buf, p->len))
		fail(p, "CRC-32 mismatch: the paste was garbled");
}

int bpf_paste(const char *name)
{
	static char line[LINE_MAX];
	struct paste p = { .len = 0 };
	char err[160];
	bool too_long;
	int e;

	p.buf = kmalloc(PASTE_MAX);
	if (!p.buf)
		return cmd_error("no memory for a paste");
	cprintf("paste base64 lines, then '.' (or '. SIZE CRC32'); Ctrl-C abandons\n");
	for (;;) {
		if (!paste_line(line, sizeof(line), &too_long)) {
			kfree(p.buf);
			return cmd_error("paste abandoned; nothing loaded");
		}
		if (too_long)
			fail(&p, "a line longer than 1023 characters");
		if (!line[0] || line[0] == '.') {
			check_end(&p, line[0] ? line : ".");
			break;
		}
		decode(&p, line);
	}
	if (!p.err[0] && !p.len)
		fail(&p, "empty paste");
	if (p.err[0]) {
		kfree(p.buf);
		return cmd_error("paste: %s; nothing loaded", p.err);
	}
	e = bpf_load_image(p.buf, p.len, name, err, sizeof(err));
	kfree(p.buf);		/* the loader copied all it keeps */
	if (e)
		return cmd_error("%s", err);
	cprintf("loaded %zu pasted bytes as %s (see 'bpf progs')\n", p.len, name);
	return 0;
}
