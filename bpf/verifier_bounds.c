/*
 * Scalar value tracking: each register carries known bits (a tnum) and
 * signed and unsigned bounds of its 64-bit value and of its low 32 bits. The
 * five views are kept consistent by reg_bounds_sync(), which narrows each
 * from the others; the ALU below computes each view of a result from the
 * operands' and lets the sync combine them.
 */
#include "verifier_internal.h"
#include "lib.h"

#define U32_MAXV	0xffffffffULL

static void set_unbounded64(struct reg_state *r)
{
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
	r->umin = 0;
	r->umax = UINT64_MAX;
}

static void set_unbounded32(struct reg_state *r)
{
	r->s32_min = INT32_MIN;
	r->s32_max = INT32_MAX;
	r->u32_min = 0;
	r->u32_max = UINT32_MAX;
}

void reg_clear_ptr(struct reg_state *r)
{
	r->frameno = 0;
	r->off = 0;
	r->id = 0;
	r->ref_obj_id = 0;
	r->map = 0;
	r->range = 0;
	r->mem_size = 0;
}

void reg_mark_known(struct reg_state *r, uint64_t v)
{
	r->type = SCALAR_VALUE;
	reg_clear_ptr(r);
	r->var_off = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32_min = r->s32_max = (int32_t)v;
	r->u32_min = r->u32_max = (uint32_t)v;
}

void reg_mark_unknown(struct reg_state *r)
{
	r->type = SCALAR_VALUE;
	reg_clear_ptr(r);
	r->var_off = tnum_unknown();
	set_unbounded64(r);
	set_unbounded32(r);
}

void reg_mark_unknown_size(struct reg_state *r, unsigned int bytes)
{
	reg_mark_unknown(r);
	if (bytes >= 8)
		return;
	r->var_off = tnum_cast(tnum_unknown(), bytes);
	reg_bounds_sync(r);
}

void reg_mark_unknown_signed(struct reg_state *r, unsigned int bytes)
{
	int64_t lim = (int64_t)1 << (bytes * 8 - 1);

	reg_mark_unknown(r);
	if (bytes >= 8)
		return;
	r->smin = -lim;
	r->smax = lim - 1;
	reg_bounds_sync(r);
}

/* The 64-bit value is the zero-extended low half. */
void reg_zext32(struct reg_state *r)
{
	r->var_off = tnum_subreg(r->var_off);
	r->umin = r->u32_min;
	r->umax = r->u32_max;
	r->smin = r->u32_min;
	r->smax = r->u32_max;
	reg_bounds_sync(r);
}

static void sync_from_tnum(struct reg_state *r)
{
	struct tnum t = r->var_off, s = tnum_subreg(r->var_off);
	const uint64_t sign = 1ULL << 63;
	const uint32_t sign32 = 1U << 31;

	r->umin = max(r->umin, t.value);
	r->umax = min(r->umax, t.value | t.mask);
	/* smallest: the sign bit set if it may be, every other unknown bit clear */
	r->smin = max(r->smin, (int64_t)(t.value | (t.mask & sign)));
	r->smax = min(r->smax, (int64_t)((t.value | t.mask) & ~(t.mask & sign)));

	r->u32_min = max(r->u32_min, (uint32_t)s.value);
	r->u32_max = min(r->u32_max, (uint32_t)(s.value | s.mask));
	r->s32_min = max(r->s32_min, (int32_t)((uint32_t)s.value | ((uint32_t)s.mask & sign32)));
	r->s32_max = min(r->s32_max,
			 (int32_t)(((uint32_t)s.value | (uint32_t)s.mask) & ~((uint32_t)s.mask & sign32)));
}

/* The signed and unsigned views of one width narrow each other when the
 * range does not cross the sign boundary. */
static void sync_sign64(struct reg_state *r)
{
	if (r->smin >= 0 || r->smax < 0) {
		r->umin = max(r->umin, (uint64_t)r->smin);
		r->umax = min(r->umax, (uint64_t)r->smax);
	}
	if ((int64_t)r->umax >= 0 || (int64_t)r->umin < 0) {
		r->smin = max(r->smin, (int64_t)r->umin);
		r->smax = min(r->smax, (int64_t)r->umax);
	}
}

static void sync_sign32(struct reg_state *r)
{
	if (r->s32_min >= 0 || r->s32_max < 0) {
		r->u32_min = max(r->u32_min, (uint32_t)r->s32_min);
		r->u32_max = min(r->u32_max, (uint32_t)r->s32_max);
	}
	if ((int32_t)r->u32_max >= 0 || (int32_t)r->u32_min < 0) {
		r->s32_min = max(r->s32_min, (int32_t)r->u32_min);
		r->s32_max = min(r->s32_max, (int32_t)r->u32_max);
	}
}

/* Between the widths: when the upper halves of the 64-bit bounds agree, the
 * low halves bound the subregister, and the subregister's bounds bound them. */
static void sync_widths(struct reg_state *r)
{
	if ((r->umin >> 32) == (r->umax >> 32)) {
		uint64_t hi = r->umin & ~U32_MAXV;

		r->u32_min = max(r->u32_min, (uint32_t)r->umin);
		r->u32_max = min(r->u32_max, (uint32_t)r->umax);
		r->umin = max(r->umin, hi | r->u32_min);
		r->umax = min(r->umax, hi | r->u32_max);
	}
	if ((r->smin >> 32) == (r->smax >> 32) && (int32_t)r->smin <= (int32_t)r->smax) {
		r->s32_min = max(r->s32_min, (int32_t)r->smin);
		r->s32_max = min(r->s32_max, (int32_t)r->smax);
	}
}

static void sync_to_tnum(struct reg_state *r)
{
	struct tnum t = tnum_intersect(r->var_off, tnum_range(r->umin, r->umax));
	struct tnum s = tnum_intersect(tnum_subreg(t), tnum_range(r->u32_min, r->u32_max));

	r->var_off = TNUM((t.value & ~U32_MAXV) | s.value, (t.mask & ~U32_MAXV) | s.mask);
}

void reg_bounds_sync(struct reg_state *r)
{
	for (int i = 0; i < 2; i++) {
		sync_from_tnum(r);
		sync_sign64(r);
		sync_sign32(r);
		sync_widths(r);
		sync_to_tnum(r);
	}
}

bool reg_bounds_sane(const struct reg_state *r)
{
	struct tnum t = r->var_off;

	if (r->type != SCALAR_VALUE)
		return true;
	return !(t.value & t.mask) && r->umin <= r->umax && r->smin <= r->smax &&
	       r->u32_min <= r->u32_max && r->s32_min <= r->s32_max &&
	       t.value <= r->umax && (t.value | t.mask) >= r->umin;
}

/*
 * One width's view of a value, unsigned and signed bounds in 64-bit
 * containers: for 32 bits umax <= 2^32 - 1 and smin/smax within s32.
 */
struct bnd {
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum t;
	unsigned int width;
};

static struct bnd bnd_of(const struct reg_state *r, bool w32)
{
	if (w32)
		return (struct bnd){ r->u32_min, r->u32_max, r->s32_min, r->s32_max,
				     tnum_subreg(r->var_off), 32 };
	return (struct bnd){ r->umin, r->umax, r->smin, r->smax, r->var_off, 64 };
}

static uint64_t umax_of(unsigned int width)
{
	return width == 32 ? U32_MAXV : UINT64_MAX;
}

static int64_t smax_of(unsigned int width)
{
	return width == 32 ? INT32_MAX : INT64_MAX;
}

static int64_t smin_of(unsigned int width)
{
	return width == 32 ? INT32_MIN : INT64_MIN;
}

static void bnd_unsigned_unbounded(struct bnd *b)
{
	b->umin = 0;
	b->umax = umax_of(b->width);
}

static void bnd_signed_unbounded(struct bnd *b)
{
	b->smin = smin_of(b->width);
	b->smax = smax_of(b->width);
}

static bool sadd_ovf(int64_t a, int64_t b, unsigned int width, int64_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return true;
	return *r < smin_of(width) || *r > smax_of(width);
}

static bool ssub_ovf(int64_t a, int64_t b, unsigned int width, int64_t *r)
{
	if (__builtin_sub_overflow(a, b, r))
		return true;
	return *r < smin_of(width) || *r > smax_of(width);
}

static bool uadd_ovf(uint64_t a, uint64_t b, unsigned int width, uint64_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return true;
	return *r > umax_of(width);
}

static void bnd_add(struct bnd *d, const struct bnd *s)
{
	int64_t lo, hi;

	if (uadd_ovf(d->umin, s->umin, d->width, &d->umin) ||
	    uadd_ovf(d->umax, s->umax, d->width, &d->umax))
		bnd_unsigned_unbounded(d);
	if (sadd_ovf(d->smin, s->smin, d->width, &lo) || sadd_ovf(d->smax, s->smax, d->width, &hi))
		bnd_signed_unbounded(d);
	else
		d->smin = lo, d->smax = hi;
	d->t = tnum_add(d->t, s->t);
}

static void bnd_sub(struct bnd *d, const struct bnd *s)
{
	int64_t lo, hi;

	if (d->umin < s->umax) {
		bnd_unsigned_unbounded(d);
	} else {
		d->umin -= s->umax;
		d->umax -= s->umin;
	}
	if (ssub_ovf(d->smin, s->smax, d->width, &lo) || ssub_ovf(d->smax, s->smin, d->width, &hi))
		bnd_signed_unbounded(d);
	else
		d->smin = lo, d->smax = hi;
	d->t = tnum_sub(d->t, s->t);
}

static void bnd_mul(struct bnd *d, const struct bnd *s)
{
	uint64_t lo, hi;

	d->t = tnum_mul(d->t, s->t);
	if (__builtin_mul_overflow(d->umax, s->umax, &hi) || hi > umax_of(d->width)) {
		bnd_unsigned_unbounded(d);
		bnd_signed_unbounded(d);
		return;
	}
	lo = d->umin * s->umin;
	d->umin = lo;
	d->umax = hi;
	/* signed bounds only when both are non-negative: then they are the unsigned ones */
	if (d->smin >= 0 && s->smin >= 0 && hi <= (uint64_t)smax_of(d->width)) {
		d->smin = lo;
		d->smax = hi;
	} else {
		bnd_signed_unbounded(d);
	}
}

/* Bounds of the bitwise results come from the known bits, narrowed where
 * the operands' own bounds say more. */
static void bnd_bitwise(struct bnd *d, const struct bnd *s, unsigned int op)
{
	uint64_t dmax = d->umax, smax = s->umax, dmin = d->umin, smin = s->umin;
	bool both_pos = d->smin >= 0 && s->smin >= 0;

	if (op == BPF_AND)
		d->t = tnum_and(d->t, s->t);
	else if (op == BPF_OR)
		d->t = tnum_or(d->t, s->t);
	else
		d->t = tnum_xor(d->t, s->t);
	d->umin = d->t.value;
	d->umax = min(d->t.value | d->t.mask, umax_of(d->width));
	if (op == BPF_AND)
		d->umax = min(d->umax, min(dmax, smax));
	else if (op == BPF_OR)
		d->umin = max(d->umin, max(dmin, smin));
	bnd_signed_unbounded(d);
	/* non-negative operands give a non-negative result for all three */
	if (both_pos && d->umax <= (uint64_t)smax_of(d->width)) {
		d->smin = d->umin;
		d->smax = d->umax;
	}
}

static void bnd_shift(struct bnd *d, unsigned int op, unsigned int sh)
{
	switch (op) {
	case BPF_LSH:
		if (sh && (d->umax >> (d->width - sh)))
			bnd_unsigned_unbounded(d);
		else
			d->umin <<= sh, d->umax <<= sh;
		bnd_signed_unbounded(d);
		d->t = tnum_cast(tnum_lshift(d->t, sh), d->width / 8);
		break;
	case BPF_RSH:
		d->umin >>= sh;
		d->umax >>= sh;
		bnd_signed_unbounded(d);
		d->t = tnum_rshift(d->t, sh);
		break;
	default:	/* BPF_ARSH */
		d->smin >>= sh;
		d->smax >>= sh;
		bnd_unsigned_unbounded(d);
		d->t = tnum_arshift(d->t, sh, d->width);
		break;
	}
}

static void bnd_unknown(struct bnd *d)
{
	bnd_unsigned_unbounded(d);
	bnd_signed_unbounded(d);
	d->t = tnum_cast(tnum_unknown(), d->width / 8);
}

static void bnd_const(struct bnd *d, uint64_t v)
{
	v &= umax_of(d->width);
	d->t = tnum_const(v);
	d->umin = d->umax = v;
	d->smin = d->smax = d->width == 32 ? (int64_t)(int32_t)v : (int64_t)v;
}

/* Division and modulo of two known values, by the ISA's rules for zero. */
static uint64_t divmod_const(uint64_t a, uint64_t b, const struct bpf_insn *insn, unsigned int w)
{
	bool is_mod = BPF_OP(insn->code) == BPF_MOD;
	int64_t sa, sb;

	if (insn->off != 1) {
		if (b == 0)
			return is_mod ? a : 0;
		return is_mod ? a % b : a / b;
	}
	sa = w == 32 ? (int32_t)a : (int64_t)a;
	sb = w == 32 ? (int32_t)b : (int64_t)b;
	if (sb == 0)
		return is_mod ? a : 0;
	if (sb == -1)	/* the one overflowing case: min / -1 wraps to min */
		return is_mod ? 0 : (uint64_t)-sa;
	return is_mod ? (uint64_t)(sa % sb) : (uint64_t)(sa / sb);
}

static void bnd_divmod(struct bnd *d, const struct bnd *s, const struct bpf_insn *insn)
{
	bool is_mod = BPF_OP(insn->code) == BPF_MOD;

	if (tnum_is_const(d->t) && tnum_is_const(s->t)) {
		bnd_const(d, divmod_const(d->t.value, s->t.value, insn, d->width));
		return;
	}
	if (insn->off == 1) {
		bnd_unknown(d);
		return;
	}
	/* unsigned: never more than the dividend (division by zero gives 0,
	 * modulo by zero leaves the dividend) */
	if (is_mod) {
		uint64_t hi = s->umin ? min(d->umax, s->umax - 1) : d->umax;

		d->umin = 0;
		d->umax = hi;
	} else {
		d->umax = s->umin ? d->umax / s->umin : d->umax;
		d->umin = s->umax && s->umin ? d->umin / s->umax : 0;
	}
	d->t = tnum_range(d->umin, d->umax);
	bnd_signed_unbounded(d);
	if (d->umax <= (uint64_t)smax_of(d->width)) {
		d->smin = d->umin;
		d->smax = d->umax;
	}
}

static uint64_t swap_bytes(uint64_t v, unsigned int bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((uint16_t)v);
	case 32: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

/* Write a width's result back: a 32-bit result zero-extends. */
static void bnd_store(struct reg_state *r, const struct bnd *b)
{
	if (b->width == 32) {
		r->var_off = tnum_subreg(b->t);
		r->u32_min = b->umin;
		r->u32_max = b->umax;
		r->s32_min = b->smin;
		r->s32_max = b->smax;
		r->umin = r->smin = b->umin;
		r->umax = b->umax;
		r->smax = b->umax;
	} else {
		r->umin = b->umin;
		r->umax = b->umax;
		r->smin = b->smin;
		r->smax = b->smax;
		r->var_off = b->t;
		set_unbounded32(r);
	}
	reg_bounds_sync(r);
}

static void mov_sx(struct reg_state *dst, const struct reg_state *src, unsigned int bits, bool alu32)
{
	uint64_t v;

	if (tnum_is_const(src->var_off)) {
		v = src->var_off.value;
		v = bits == 8 ? (uint64_t)(int8_t)v : bits == 16 ? (uint64_t)(int16_t)v :
		    (uint64_t)(int32_t)v;
		reg_mark_known(dst, alu32 ? (uint32_t)v : v);
		return;
	}
	reg_mark_unknown_signed(dst, bits / 8);
	if (alu32)
		reg_zext32(dst);
}

void scalar_alu(struct reg_state *dst, const struct reg_state *src, const struct bpf_insn *insn,
		bool alu32)
{
	unsigned int op = BPF_OP(insn->code);
	struct bnd d = bnd_of(dst, alu32), s = bnd_of(src, alu32);
	unsigned int sh;

	switch (op) {
	case BPF_MOV:
		if (insn->off) {
			mov_sx(dst, src, insn->off, alu32);
			return;
		}
		*dst = *src;
		if (alu32)
			reg_zext32(dst);
		return;
	case BPF_ADD: bnd_add(&d, &s); break;
	case BPF_SUB: bnd_sub(&d, &s); break;
	case BPF_MUL: bnd_mul(&d, &s); break;
	case BPF_AND: case BPF_OR: case BPF_XOR: bnd_bitwise(&d, &s, op); break;
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		/* a shift by an unknown amount, masked to the width at run time */
		if (!tnum_is_const(s.t) || s.t.value >= d.width) {
			bnd_unknown(&d);
			break;
		}
		sh = s.t.value;
		bnd_shift(&d, op, sh);
		break;
	case BPF_DIV: case BPF_MOD: bnd_divmod(&d, &s, insn); break;
	case BPF_NEG:
		if (tnum_is_const(d.t))
			bnd_const(&d, -d.t.value);
		else
			bnd_unknown(&d);
		break;
	case BPF_END: {
		unsigned int bits = insn->imm;
		bool swap = BPF_CLASS(insn->code) == BPF_ALU64 || BPF_SRC(insn->code) == BPF_TO_BE;

		/* le on this little-endian machine only truncates */
		d = bnd_of(dst, false);
		if (tnum_is_const(d.t)) {
			uint64_t v = d.t.value;

			v = swap ? swap_bytes(v, bits) : v;
			bnd_const(&d, bits == 64 ? v : v & ((1ULL << bits) - 1));
		} else if (bits == 64) {
			bnd_unknown(&d);
		} else {
			if (!swap) {
				d.t = tnum_cast(d.t, bits / 8);
			} else {
				d.t = tnum_cast(tnum_unknown(), bits / 8);
			}
			d.umin = 0;
			d.umax = (1ULL << bits) - 1;
			d.smin = 0;
			d.smax = d.umax;
		}
		bnd_store(dst, &d);
		return;
	}
	}
	bnd_store(dst, &d);
}
