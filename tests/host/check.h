/*
 * Minimal host unit-test support. Each test binary prints KTAP:
 *   KTAP version 1 / 1..N / "ok N name" or "not ok N name"
 * and exits non-zero if anything failed. tests/run.py counts the lines.
 *
 *   static void t_foo(void) { CHECK(1 + 1 == 2); CHECK_EQ(x, 3); }
 *   int main(void) { RUN(t_foo); return check_done(); }
 */
#ifndef KP_HOST_CHECK_H
#define KP_HOST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failed_now;	/* failures inside the running test */
static int check_n, check_fail;

#define CHECK(cond) do { if (!(cond)) { \
	printf("    # %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	check_failed_now = 1; } } while (0)

#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { printf("    # %s:%d: %s == %lld, expected %s == %lld\n", \
		__FILE__, __LINE__, #a, _a, #b, _b); check_failed_now = 1; } } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (strcmp(_a, _b)) { printf("    # %s:%d: got \"%s\", expected \"%s\"\n", \
		__FILE__, __LINE__, _a, _b); check_failed_now = 1; } } while (0)

static void check_report(const char *name, int failed)
{
	if (check_n == 0)
		printf("KTAP version 1\n");
	check_n++;
	if (failed)
		check_fail++;
	printf("%sok %d %s\n", failed ? "not " : "", check_n, name);
	fflush(stdout);
}

#define RUN(fn) do { check_failed_now = 0; fn(); \
	check_report(#fn, check_failed_now); } while (0)

static inline int check_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", check_n, check_n - check_fail, check_fail);
	return check_fail ? 1 : 0;
}

#endif
