/* Number parsing with libc's strtoull/strtoll contract, plus kstrtou64. */
#include "lib.h"
#include "kerrno.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Digits only (after any sign and prefix); *over is set if the value wraps. */
static unsigned long long parse_digits(const char **pp, int base, bool *over)
{
	unsigned long long v = 0;
	const char *p = *pp;

	for (; digit_value(*p) < base; p++) {
		unsigned int d = digit_value(*p);

		if (v > (~0ULL - d) / base)
			*over = true;
		v = v * base + d;
	}
	*pp = p;
	return v;
}

static int detect_base(const char **pp, int base)
{
	const char *p = *pp;

	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x' &&
	    digit_value(p[2]) < 16) {
		*pp = p + 2;
		return 16;
	}
	if (base == 0)
		return p[0] == '0' ? 8 : 10;
	return base;
}

/* Saturates at ULLONG_MAX on overflow, as libc does (errno aside). */
unsigned long long strtoull(const char *s, char **end, int base)
{
	const char *p = s, *digits;
	bool neg = false, over = false;
	unsigned long long v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	base = detect_base(&p, base);
	digits = p;
	v = parse_digits(&p, base, &over);
	if (end)
		*end = (char *)(p == digits ? s : p);
	if (over)
		return ~0ULL;
	return neg ? -v : v;
}

long long strtoll(const char *s, char **end, int base)
{
	return (long long)strtoull(s, end, base);
}

int kstrtou64(const char *s, uint64_t *out)
{
	const char *p = s, *digits;
	bool over = false;
	int base = 10;

	if (p[0] == '0' && (p[1] | 0x20) == 'x') {
		p += 2;
		base = 16;
	}
	digits = p;
	*out = parse_digits(&p, base, &over);
	if (p == digits || *p)
		return -EINVAL;
	return over ? -ERANGE : 0;
}
