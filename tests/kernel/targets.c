/*
 * Small functions with known results, for `call` on the console and for
 * probe tests: they are what users and tests hang probes on.
 */
#include "kernel.h"

__noinline uint64_t kp_target_add(uint64_t a, uint64_t b)
{
	return a + b;
}

static uint64_t (*volatile add_fn)(uint64_t, uint64_t) = kp_target_add;

/* Calls kp_target_add through a pointer, so the compiler cannot fold it. */
__noinline uint64_t kp_target_add_indirect(uint64_t a, uint64_t b)
{
	return add_fn(a, b) + 1;
}

__noinline uint64_t kp_target_fib(uint64_t n)
{
	return n < 2 ? n : kp_target_fib(n - 1) + kp_target_fib(n - 2);
}

__noinline uint64_t kp_target_strlen(const char *s)
{
	return strlen(s);
}

/* Loops n times over kp_target_add, for benchmarks and hit counts. */
__noinline uint64_t kp_target_loop(uint64_t n)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum = add_fn(sum, i);
	return sum;
}
