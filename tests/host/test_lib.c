/*
 * lib/ against libc: vsnprintf over a grid of formats, flags, widths and
 * values; strtoull/strtoll and kstrtou64 over valid, odd and overflowing
 * input; glob_match over hand-written cases.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "check.h"

int kp_snprintf(char *buf, size_t size, const char *fmt, ...);
unsigned long long kp_strtoull(const char *s, char **end, int base);
long long kp_strtoll(const char *s, char **end, int base);
int kstrtou64(const char *s, uint64_t *out);
bool glob_match(const char *pat, const char *str);

static int mismatches;

#define SAME(fmt, ...) do { \
	char a[128], b[128]; \
	int na = kp_snprintf(a, sizeof(a), fmt, __VA_ARGS__); \
	int nb = snprintf(b, sizeof(b), fmt, __VA_ARGS__); \
	if (na != nb || strcmp(a, b)) { \
		if (mismatches++ < 10) \
			printf("    # %s: ours \"%s\" (%d), libc \"%s\" (%d)\n", fmt, a, na, b, nb); \
		check_failed_now = 1; \
	} } while (0)

static void t_integers(void)
{
	static const char *const flags[] = { "", "-", "0", "+", " ", "#", "-0", "+0", "#0" };
	static const char *const widths[] = { "", "1", "5", "12", "25" };
	static const char *const precs[] = { "", ".0", ".3", ".10" };
	static const long long vals[] = { 0, 1, -1, 42, -42, 255, 65535, INT_MAX, INT_MIN,
					  LLONG_MAX, LLONG_MIN, 0x123456789abcLL };
	static const char convs[] = "diuxXo";

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++)
			for (size_t p = 0; p < sizeof(precs) / sizeof(*precs); p++)
				for (size_t c = 0; convs[c]; c++)
					for (size_t v = 0; v < sizeof(vals) / sizeof(*vals); v++) {
						char fmt[32], fmtl[32];

						/* libc leaves "0" with a precision undefined-ish: skip */
						snprintf(fmt, sizeof(fmt), "%%%s%s%s%c", flags[f],
							 widths[w], precs[p], convs[c]);
						snprintf(fmtl, sizeof(fmtl), "%%%s%s%sll%c", flags[f],
							 widths[w], precs[p], convs[c]);
						SAME(fmt, (int)vals[v]);
						SAME(fmtl, vals[v]);
					}
}

static void t_strings_chars_pointers(void)
{
	SAME("%s|%10s|%-10s|%.2s|%5.1s|", "abc", "abc", "abc", "abc", "abc");
	SAME("%c%c%5c%-3c|", 'a', 'Z', 'q', 'r');
	SAME("%*d|%-*d|%.*s|", 6, 42, 6, 42, 2, "xyz");
	SAME("%%|%s|", "x");
	SAME("%hhd %hhu %hd %hu %zu %zd", 300, 300, 70000, 70000, (size_t)123, (ssize_t)-5);
	SAME("%ld %lu %lx", -5L, 5UL, 0xdeadbeefUL);
	/* %p: ours always prints 0x and 16 digits (the kernel's addresses) */
	{
		char a[64];

		kp_snprintf(a, sizeof(a), "%p", (void *)0x1234);
		CHECK_STR(a, "0x0000000000001234");
		kp_snprintf(a, sizeof(a), "%s", (char *)NULL);
		CHECK_STR(a, "(null)");
	}
}

static void t_truncation(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(kp_snprintf(buf, 5, "%s", "abcdefgh"), 8);
	CHECK_STR(buf, "abcd");
	CHECK_EQ(buf[5], 'x');		/* nothing past size */
	CHECK_EQ(kp_snprintf(NULL, 0, "%d", 12345), 5);
	CHECK_EQ(kp_snprintf(buf, 1, "%d", 12345), 5);
	CHECK_STR(buf, "");
}

static void t_strtoull(void)
{
	static const char *const in[] = {
		"0", "123", "  77", "+5", "-5", "0x1f", "0X1F", "0x", "017", "08", "zz",
		"18446744073709551615", "18446744073709551616", "99999999999999999999999",
		"0xffffffffffffffff", "0x10000000000000000", "12abc", "",
	};
	static const int bases[] = { 0, 10, 16, 8 };

	for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++)
		for (size_t b = 0; b < sizeof(bases) / sizeof(*bases); b++) {
			char *e1, *e2;
			unsigned long long x = kp_strtoull(in[i], &e1, bases[b]);
			unsigned long long y = strtoull(in[i], &e2, bases[b]);

			if (x != y || e1 - in[i] != e2 - in[i]) {
				printf("    # strtoull(\"%s\", %d): ours %llu +%ld, libc %llu +%ld\n",
				       in[i], bases[b], x, (long)(e1 - in[i]), y, (long)(e2 - in[i]));
				check_failed_now = 1;
			}
		}
	CHECK_EQ(kp_strtoll("-42", NULL, 0), -42);
}

static void t_kstrtou64(void)
{
	uint64_t v;

	CHECK(!kstrtou64("0", &v) && v == 0);
	CHECK(!kstrtou64("0x10", &v) && v == 16);
	CHECK(!kstrtou64("18446744073709551615", &v) && v == UINT64_MAX);
	CHECK(!kstrtou64("0xffffffffffffffff", &v) && v == UINT64_MAX);
	CHECK_EQ(kstrtou64("18446744073709551616", &v), -ERANGE);
	CHECK_EQ(kstrtou64("0x10000000000000000", &v), -ERANGE);
	CHECK_EQ(kstrtou64("017", &v), 0);	/* decimal, not octal */
	CHECK_EQ(v, 17);
	CHECK_EQ(kstrtou64("", &v), -EINVAL);
	CHECK_EQ(kstrtou64("0x", &v), -EINVAL);
	CHECK_EQ(kstrtou64(" 1", &v), -EINVAL);
	CHECK_EQ(kstrtou64("-1", &v), -EINVAL);
	CHECK_EQ(kstrtou64("1 ", &v), -EINVAL);
	CHECK_EQ(kstrtou64("12z", &v), -EINVAL);
}

static void t_glob(void)
{
	static const struct {
		const char *pat, *str;
		bool match;
	} cases[] = {
		{ "*", "", true }, { "*", "anything", true }, { "", "", true }, { "", "a", false },
		{ "e1000_*", "e1000_rx_poll", true }, { "e1000_*", "e100", false },
		{ "*_poll", "e1000_rx_poll", true }, { "*_poll", "e1000_rx_pol", false },
		{ "kp_?arget*", "kp_target_add", true }, { "a*b*c", "aXXbYYc", true },
		{ "a*b*c", "aXXbYY", false }, { "**x", "abx", true }, { "a?", "a", false },
		{ "*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (glob_match(cases[i].pat, cases[i].str) != cases[i].match) {
			printf("    # glob_match(\"%s\", \"%s\") != %d\n", cases[i].pat, cases[i].str,
			       cases[i].match);
			check_failed_now = 1;
		}
}

int main(void)
{
	RUN(t_integers);
	RUN(t_strings_chars_pointers);
	RUN(t_truncation);
	RUN(t_strtoull);
	RUN(t_kstrtou64);
	RUN(t_glob);
	return check_done();
}
