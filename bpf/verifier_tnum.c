/*
 * Known bits of a 64-bit value: a value/mask pair where mask bits are unknown
 * and the others equal value's. Each operation gives the smallest pair that
 * holds every result of the operation on values of its operands.
 */
#include "verifier_internal.h"

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t differ = min ^ max;
	unsigned int bits = differ ? 64 - __builtin_clzll(differ) : 0;
	uint64_t low;

	/* every bit from the highest one where min and max differ may vary */
	if (bits >= 64)
		return tnum_unknown();
	low = (1ULL << bits) - 1;
	return TNUM(min & ~low, low);
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sum_v = a.value + b.value;
	uint64_t sum_max = sum_v + a.mask + b.mask;
	/* bits where the carry chains of the smallest and largest sums differ */
	uint64_t unknown = (sum_v ^ sum_max) | a.mask | b.mask;

	return TNUM(sum_v & ~unknown, unknown);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t diff = a.value - b.value;
	uint64_t hi = diff + a.mask;	/* largest minuend, smallest subtrahend */
	uint64_t lo = diff - b.mask;
	uint64_t unknown = (hi ^ lo) | a.mask | b.mask;

	return TNUM(diff & ~unknown, unknown);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t may_a = a.value | a.mask, may_b = b.value | b.mask;
	uint64_t v = a.value & b.value;

	return TNUM(v, may_a & may_b & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;

	return TNUM(v, (a.mask | b.mask) & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t unknown = a.mask | b.mask;

	return TNUM((a.value ^ b.value) & ~unknown, unknown);
}

/* Known low zero bits of a: how many trailing bits are known to be 0. */
static unsigned int known_low_zeros(struct tnum a)
{
	uint64_t maybe = a.value | a.mask;

	return maybe ? __builtin_ctzll(maybe) : 64;
}

struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	unsigned int zeros;

	if (tnum_is_const(a) && tnum_is_const(b))
		return tnum_const(a.value * b.value);
	/* a product has at least as many trailing zeros as its factors together */
	zeros = known_low_zeros(a) + known_low_zeros(b);
	if (zeros >= 64)
		return tnum_const(0);
	return TNUM(0, ~0ULL << zeros);
}

struct tnum tnum_lshift(struct tnum a, unsigned int shift)
{
	return TNUM(a.value << shift, a.mask << shift);
}

struct tnum tnum_rshift(struct tnum a, unsigned int shift)
{
	return TNUM(a.value >> shift, a.mask >> shift);
}

/* Arithmetic shift of a width-bit value (32 or 64), zero-extended back. */
struct tnum tnum_arshift(struct tnum a, unsigned int shift, unsigned int width)
{
	if (width == 32)
		return TNUM((uint32_t)((int32_t)a.value >> shift),
			    (uint32_t)((int32_t)a.mask >> shift));
	return TNUM((uint64_t)((int64_t)a.value >> shift), (uint64_t)((int64_t)a.mask >> shift));
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t unknown = a.mask & b.mask;

	return TNUM(v & ~unknown, unknown);
}

struct tnum tnum_cast(struct tnum a, unsigned int bytes)
{
	uint64_t keep = bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;

	return TNUM(a.value & keep, a.mask & keep);
}

bool tnum_in(struct tnum outer, struct tnum inner)
{
	if (inner.mask & ~outer.mask)
		return false;
	return (inner.value & ~outer.mask) == outer.value;
}
