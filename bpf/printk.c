/*
 * bpf_trace_printk()'s format string, with Linux's rules (the helper's
 * documentation in uapi/linux/bpf.h, bpf_bprintf_prepare()): the format
 * lies NUL-terminated within fmt_size bytes and holds only printable
 * characters and white space; at most three conversions, each optionally
 * with flags "0+- " and a width, from %d %i %u %x %X (with l or ll for 64
 * bits, else the low 32 bits of the argument), %c, %s (a kernel string,
 * read fault-safely; empty on a fault), %p, %px, %pK (the raw address:
 * there is nothing to hide here), %pi4/%pI4 (an IPv4 address stored at
 * the argument) and %pks; %% for a percent. Anything else (%pB, %pS
 * and IPv6 among them, which Linux has) is refused whole with -EINVAL.
 */
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

#define MAX_ARGS	3
#define STR_MAX		256	/* bytes of one %s read */

struct fmt_out {
	char *buf;
	size_t size, pos;
};

static void emit(struct fmt_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct fmt_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->size ? o->buf + o->pos : NULL,
		      o->pos < o->size ? o->size - o->pos : 0, fmt, ap);
	va_end(ap);
	o->pos += n > 0 ? (size_t)n : 0;
}

static bool printable(char c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r');
}

/* A NUL-terminated kernel string, cut to size; empty if any byte faults (Linux's). */
static void read_string(char *dst, size_t size, uint64_t src, bpf_read_mem_fn read_mem)
{
	size_t i;

	for (i = 0; i + 1 < size; i++) {
		if (read_mem(&dst[i], src + i, 1)) {
			i = 0;
			break;
		}
		if (!dst[i])
			break;
	}
	dst[i] = '\0';
}

int bpf_trace_format(char *out, size_t size, const char *fmt, uint32_t fmt_size,
		     const uint64_t args[3], bpf_read_mem_fn read_mem)
{
	struct fmt_out o = { out, size, 0 };
	unsigned int nargs = 0;
	const char *end;

	if (!fmt_size || strnlen(fmt, fmt_size) == fmt_size)
		return -EINVAL;
	end = fmt + strlen(fmt);
	for (const char *c = fmt; c < end; c++)
		if (!printable(*c))
			return -EINVAL;
	if (size)
		out[0] = '\0';
	for (const char *c = fmt; c < end; c++) {
		char spec[16], conv;
		const char *start = c;
		int longs = 0;
		size_t n;
		uint64_t v;

		if (*c != '%') {
			emit(&o, "%c", *c);
			continue;
		}
		if (c[1] == '%') {
			emit(&o, "%%");
			c++;
			continue;
		}
		for (c++; *c == '0' || *c == '+' || *c == '-' || *c == ' '; c++)
			;
		while (*c >= '0' && *c <= '9')
			c++;
		while (*c == 'l' && longs < 2) {
			longs++;
			c++;
		}
		conv = *c;
		if (nargs == MAX_ARGS || !conv)
			return -EINVAL;
		v = args[nargs++];
		/* the flags and width as written, with a C conversion of our own */
		n = (size_t)(c - start) - longs;
		if (n + 4 > sizeof(spec))
			return -EINVAL;
		memcpy(spec, start, n);
		if (conv == 'p') {
			if (longs || n != 1)
				return -EINVAL;
			if (c[1] == 'x' || c[1] == 'K') {
				c++;
			} else if ((c[1] == 'i' || c[1] == 'I') && c[2] == '4') {
				uint8_t ip[4] = { 0 };

				c += 2;
				read_mem(ip, v, sizeof(ip));	/* zeroes on a fault */
				emit(&o, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
				continue;
			} else if (c[1] == 'k' && c[2] == 's') {
				c += 2;
				conv = 's';
			}
			if (conv == 'p') {
				char next = c[1];

				/* no other %p extension (%pB needs symbols bpf/ has not) */
				if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
				    (next >= '0' && next <= '9'))
					return -EINVAL;
				emit(&o, "0x%llx", (unsigned long long)v);
				continue;
			}
		}
		switch (conv) {
		case 'd': case 'i': case 'u': case 'x': case 'X':
			spec[n++] = 'l';
			spec[n++] = 'l';
			spec[n++] = conv;
			spec[n] = '\0';
			if (!longs)	/* 32 bits, signed or not as the conversion says */
				v = conv == 'd' || conv == 'i' ? (uint64_t)(int64_t)(int32_t)v :
				    (uint32_t)v;
			emit(&o, spec, (unsigned long long)v);
			break;
		case 'c':
			if (longs)
				return -EINVAL;
			spec[n++] = 'c';
			spec[n] = '\0';
			emit(&o, spec, (int)(char)v);
			break;
		case 's': {
			char str[STR_MAX];

			if (longs)
				return -EINVAL;
			read_string(str, sizeof(str), v, read_mem);
			spec[n++] = 's';
			spec[n] = '\0';
			emit(&o, spec, str);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return (int)o.pos;
}
