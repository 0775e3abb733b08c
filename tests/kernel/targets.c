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

__noinline uint64_t kp_target_sub(uint64_t a, uint64_t b)
{
	return a - b;
}

static volatile uint64_t opt_data[8] = { 3, 1, 4, 1, 5, 9, 2, 6 };
static volatile uint64_t opt_count;

/* A switch dense enough for a jump table, and rip-relative data. */
__noinline uint64_t kp_target_switch(uint64_t op, uint64_t a)
{
	switch (op) {
	case 0: return a + opt_data[0];
	case 1: return a * 3;
	case 2: return a ^ 0x55;
	case 3: return a - 7;
	case 4: return a << 2;
	case 5: return a / 3;
	case 6: return opt_data[a & 7];
	case 7: return a | 0x100;
	default: return 0;
	}
}

/* A loop over calls, rip-relative loads and a store: results the tests recompute. */
__noinline uint64_t kp_target_mix(uint64_t n)
{
	uint64_t s = 0;

	for (uint64_t i = 0; i < n; i++) {
		s += kp_target_switch(i % 9, i) + opt_data[i & 7];
		opt_count++;
	}
	return s;
}
