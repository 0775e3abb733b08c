/*
 * The in-kernel test runner: `test [SUITE]` runs the KTEST cases (tests/kernel/)
 * and prints KTAP, one line per case named SUITE.NAME, then a check that the
 * kernel text is bit-identical to before the run, then "N passed, N failed".
 * Ctrl-C stops the run between cases (a case itself runs to its end: it may
 * hold probes that only its own exit removes); the text check and the
 * summary still come.
 */
#include "kernel.h"
#include "console.h"
#include "ktest.h"

extern const struct ktest __ktests_start[], __ktests_end[];

static int failures;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("    # %s:%d: %s\n", file, line, msg);
	failures++;
}

static bool selected(const struct ktest *t, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], t->suite))
			return true;
	return false;
}

static int cmd_test(int argc, char **argv)
{
	const struct ktest *t;
	int n = 0, passed = 0, failed = 0, i = 0;
	uint64_t text_before = kernel_text_checksum();

	for (t = __ktests_start; t < __ktests_end; t++)
		n += selected(t, argc, argv);
	if (!n)
		return cmd_error("no test suite '%s'", argv[1]);
	cprintf("KTAP version 1\n1..%d\n", n + 1);
	for (t = __ktests_start; t < __ktests_end; t++) {
		if (!selected(t, argc, argv))
			continue;
		if (console_interrupted()) {
			cprintf("# stopped by Ctrl-C: %d of %d cases ran\n", i, n);
			break;
		}
		failures = 0;
		t->fn();
		if (t->exit)
			t->exit();
		cprintf("%sok %d %s.%s\n", failures ? "not " : "", ++i, t->suite, t->name);
		if (failures)
			failed++;
		else
			passed++;
	}
	/* every suite must leave the kernel text exactly as it found it */
	if (kernel_text_checksum() == text_before) {
		passed++;
		cprintf("ok %d text_unchanged\n", ++i);
	} else {
		failed++;
		cprintf("    # kernel text checksum changed during the tests\n");
		cprintf("not ok %d text_unchanged\n", ++i);
	}
	cprintf("%d passed, %d failed\n", passed, failed);
	return 0;
}
CONSOLE_CMD(test, cmd_test, "test [SUITE...]", "run the in-kernel test suites (KTAP output)");
