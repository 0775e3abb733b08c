/*
 * In-kernel tests (kernel/ktest.c). KTEST(suite, name) { ... } registers a
 * case in a linker-section table; `test [SUITE]` on the console runs them
 * and prints KTAP.
 */
#ifndef KP_KTEST_H
#define KP_KTEST_H

#include <stdbool.h>
#include "kernel.h"

struct ktest {
	const char *suite, *name;
	void (*fn)(void);
	void (*exit)(void);	/* the suite's KTEST_EXIT, or NULL */
};

/*
 * KTEST(suite, name) { ... } is one case. A suite may define
 * KTEST_EXIT(suite) { ... }: the runner calls it after each of its cases,
 * however the case ended (a KT_ASSERT returns early), so whatever a case
 * registered is removed even when it failed half-way.
 */
#define KTEST(suite, tname) \
	void ktest_exit_##suite(void) __attribute__((weak)); \
	static void ktest_##suite##_##tname(void); \
	static const struct ktest __ktest_##suite##_##tname \
	__attribute__((used, section(".ktests." #suite), aligned(8))) = \
	{ #suite, #tname, ktest_##suite##_##tname, ktest_exit_##suite }; \
	static void ktest_##suite##_##tname(void)

#define KTEST_EXIT(suite) \
	void ktest_exit_##suite(void); \
	void ktest_exit_##suite(void)

void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define KT_EXPECT(cond) do { if (!(cond)) \
	ktest_fail(__FILE__, __LINE__, "EXPECT(%s)", #cond); } while (0)
#define KT_EXPECT_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) ktest_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
				 #a, _a, _b); } while (0)
#define KT_EXPECT_STREQ(a, b) do { const char *_a = (a), *_b = (b); \
	if (strcmp(_a, _b)) ktest_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
				       #a, _a, _b); } while (0)
/* For loops: a failure ends the loop, so a wrong case cannot print forever. */
#define KT_EXPECT_OR_BREAK(cond) if (!(cond)) { \
	ktest_fail(__FILE__, __LINE__, "EXPECT(%s)", #cond); break; } else (void)0
#define KT_ASSERT(cond) do { if (!(cond)) { \
	ktest_fail(__FILE__, __LINE__, "ASSERT(%s)", #cond); return; } } while (0)

#endif
