/*
 * The eBPF interpreter: every instruction of RFC 9669 (less the legacy
 * BPF_ABS/BPF_IND packet loads), bpf-to-bpf calls with a 512-byte stack per
 * frame, and tail calls. One loop serves both kinds of run: a trusted run
 * (the verifier proved the program safe) touches memory directly; a checked
 * run first tests each access against the regions it was given and the live
 * stack, and stops after a budget of instructions, so unverified programs can
 * be run on the host without escaping.
 *
 * Division follows RFC 9669: by zero gives 0 for div and leaves dst (cut to
 * 32 bits for ALU) for mod; the signed overflow INT_MIN / -1 gives INT_MIN and
 * INT_MIN % -1 gives 0, with no trap.
 */
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

struct frame {
	const struct bpf_prog *prog;	/* the caller's, for its maps and helpers */
	const struct bpf_insn *ret;	/* where the caller resumes */
	uint64_t saved[4];		/* the caller's r6..r9 */
};

struct vm {
	uint64_t reg[MAX_BPF_REG];
	uint8_t stack[BPF_MAX_CALL_FRAMES * MAX_BPF_STACK] __attribute__((aligned(16)));
	struct frame frames[BPF_MAX_CALL_FRAMES];
};

/* May a checked run touch [addr, addr + size)? The stack counts up to the current frame. */
static bool access_ok(const struct vm *vm, const struct bpf_checked_run *cr, int depth,
		      uint64_t addr, unsigned int size, bool write)
{
	uintptr_t stack = (uintptr_t)vm->stack;

	if (addr + size < addr)
		return false;
	if (addr >= stack && addr + size <= stack + (uintptr_t)(depth + 1) * MAX_BPF_STACK)
		return true;
	for (unsigned int i = 0; i < cr->nr_regions; i++) {
		const struct bpf_region *r = &cr->regions[i];

		if (addr >= r->start && addr + size <= r->end && (r->writable || !write))
			return true;
	}
	return false;
}

static uint64_t load(uint64_t addr, unsigned int size)
{
	const void *p = (const void *)(uintptr_t)addr;
	uint8_t b;
	uint16_t h;
	uint32_t w;
	uint64_t d;

	switch (size) {
	case 1: __builtin_memcpy(&b, p, 1); return b;
	case 2: __builtin_memcpy(&h, p, 2); return h;
	case 4: __builtin_memcpy(&w, p, 4); return w;
	default: __builtin_memcpy(&d, p, 8); return d;
	}
}

static void store(uint64_t addr, unsigned int size, uint64_t v)
{
	void *p = (void *)(uintptr_t)addr;
	uint8_t b = (uint8_t)v;
	uint16_t h = (uint16_t)v;
	uint32_t w = (uint32_t)v;

	switch (size) {
	case 1: __builtin_memcpy(p, &b, 1); break;
	case 2: __builtin_memcpy(p, &h, 2); break;
	case 4: __builtin_memcpy(p, &w, 4); break;
	default: __builtin_memcpy(p, &v, 8); break;
	}
}

static uint64_t sext(uint64_t v, unsigned int bits)
{
	unsigned int sh = 64 - bits;

	return (uint64_t)((int64_t)(v << sh) >> sh);
}

static uint64_t div64(uint64_t a, uint64_t b, bool sign, bool mod)
{
	if (b == 0)
		return mod ? a : 0;
	if (!sign)
		return mod ? a % b : a / b;
	if ((int64_t)b == -1)	/* also the INT64_MIN / -1 overflow */
		return mod ? 0 : -a;
	return mod ? (uint64_t)((int64_t)a % (int64_t)b) : (uint64_t)((int64_t)a / (int64_t)b);
}

static uint32_t div32(uint32_t a, uint32_t b, bool sign, bool mod)
{
	if (b == 0)
		return mod ? a : 0;
	if (!sign)
		return mod ? a % b : a / b;
	if ((int32_t)b == -1)
		return mod ? 0 : -a;
	return mod ? (uint32_t)((int32_t)a % (int32_t)b) : (uint32_t)((int32_t)a / (int32_t)b);
}

static uint64_t byte_swap(uint64_t v, int32_t bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((uint16_t)v);
	case 32: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

/*
 * ALU64 and ALU: dst op src; src is already the register or the
 * sign-extended imm. Inlined into the loop, as cond() is: a call per
 * instruction cost the interpreter a sixth of its time (make bench).
 */
#define HOT static inline __attribute__((always_inline))

HOT uint64_t alu64(const struct bpf_insn *insn, uint64_t dst, uint64_t src)
{
	switch (BPF_OP(insn->code)) {
	case BPF_ADD: return dst + src;
	case BPF_SUB: return dst - src;
	case BPF_MUL: return dst * src;
	case BPF_DIV: return div64(dst, src, insn->off, false);
	case BPF_MOD: return div64(dst, src, insn->off, true);
	case BPF_OR: return dst | src;
	case BPF_AND: return dst & src;
	case BPF_XOR: return dst ^ src;
	case BPF_LSH: return dst << (src & 63);
	case BPF_RSH: return dst >> (src & 63);
	case BPF_ARSH: return (uint64_t)((int64_t)dst >> (src & 63));
	case BPF_NEG: return -dst;
	case BPF_MOV: return insn->off ? sext(src, insn->off) : src;
	default: return byte_swap(dst, insn->imm);	/* BPF_END: bswap */
	}
}

HOT uint64_t alu32(const struct bpf_insn *insn, uint64_t dst64, uint64_t src64)
{
	uint32_t dst = (uint32_t)dst64, src = (uint32_t)src64;

	switch (BPF_OP(insn->code)) {
	case BPF_ADD: return dst + src;
	case BPF_SUB: return dst - src;
	case BPF_MUL: return dst * src;
	case BPF_DIV: return div32(dst, src, insn->off, false);
	case BPF_MOD: return div32(dst, src, insn->off, true);
	case BPF_OR: return dst | src;
	case BPF_AND: return dst & src;
	case BPF_XOR: return dst ^ src;
	case BPF_LSH: return dst << (src & 31);
	case BPF_RSH: return dst >> (src & 31);
	case BPF_ARSH: return (uint32_t)((int32_t)dst >> (src & 31));
	case BPF_NEG: return -dst;
	case BPF_MOV: return insn->off ? (uint32_t)sext(src, insn->off) : src;
	default:	/* BPF_END on the whole register: to_le is a cut, to_be a swap */
		if (BPF_SRC(insn->code) == BPF_TO_BE)
			return byte_swap(dst64, insn->imm);
		return insn->imm == 64 ? dst64 : dst64 & ((1ull << insn->imm) - 1);
	}
}

HOT bool cond(const struct bpf_insn *insn, uint64_t a, uint64_t b)
{
	uint8_t op = BPF_OP(insn->code);
	bool sign = op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;

	if (BPF_CLASS(insn->code) == BPF_JMP32) {
		/* the low halves, sign-extended for the signed tests */
		a = sign ? sext(a, 32) : (uint32_t)a;
		b = sign ? sext(b, 32) : (uint32_t)b;
	}
	switch (BPF_OP(insn->code)) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSET: return a & b;
	case BPF_JSGT: return (int64_t)a > (int64_t)b;
	case BPF_JSGE: return (int64_t)a >= (int64_t)b;
	case BPF_JSLT: return (int64_t)a < (int64_t)b;
	default: return (int64_t)a <= (int64_t)b;	/* BPF_JSLE */
	}
}

static uint64_t atomic_op(const struct bpf_insn *insn, uint64_t addr, uint64_t *src, uint64_t *r0)
{
	bool dw = BPF_SIZE(insn->code) == BPF_DW;
	uint64_t old;

	if (dw) {
		uint64_t *p = (uint64_t *)(uintptr_t)addr, v = *src;

		switch (insn->imm & ~BPF_FETCH) {
		case BPF_ADD: old = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_OR: old = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_AND: old = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_XOR: old = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_XCHG & ~BPF_FETCH: old = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
		default:	/* BPF_CMPXCHG: r0 is the expected value and gets the old one */
			old = *r0;
			__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			*r0 = old;
			return old;
		}
	} else {
		uint32_t *p = (uint32_t *)(uintptr_t)addr, v = (uint32_t)*src, o;

		switch (insn->imm & ~BPF_FETCH) {
		case BPF_ADD: o = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_OR: o = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_AND: o = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_XOR: o = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
		case BPF_XCHG & ~BPF_FETCH: o = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
		default:
			o = (uint32_t)*r0;
			__atomic_compare_exchange_n(p, &o, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			*r0 = o;
			return o;
		}
		old = o;
	}
	if (insn->imm & BPF_FETCH)
		*src = old;
	return old;
}

/* A tail call: the program in map slot idx, or NULL (the call falls through). */
static const struct bpf_prog *tail_target(uint64_t map_addr, uint64_t idx)
{
	struct bpf_map *map = (struct bpf_map *)(uintptr_t)map_addr;
	struct bpf_prog **slot;
	uint32_t key = (uint32_t)idx;

	if (!map || map->map_type != BPF_MAP_TYPE_PROG_ARRAY || idx >= map->max_entries)
		return NULL;
	slot = map->ops->map_lookup_elem(map, &key);
	return slot ? *slot : NULL;
}

static uint64_t lddw_value(const struct bpf_prog *prog, const struct bpf_insn *insn)
{
	struct bpf_map *map;

	switch (insn->src_reg) {
	case 0:
		return (uint32_t)insn->imm | (uint64_t)(uint32_t)insn[1].imm << 32;
	case BPF_PSEUDO_MAP_FD:
		return (uintptr_t)prog->maps[insn->imm];
	default:	/* BPF_PSEUDO_MAP_VALUE: the next imm is the offset */
		map = prog->maps[insn->imm];
		return map->ops->map_direct_value ?
			(uintptr_t)map->ops->map_direct_value(map, (uint32_t)insn[1].imm) : 0;
	}
}

/* Opcodes the loop runs before the class dispatch; every other is F_SLOW. */
enum fast_op {
	F_SLOW,
	F_MOV_K,
	F_MOV_X,
	F_ADD_K,
	F_ADD_X,
	F_SUB_K,
	F_SUB_X,
	F_AND_K,
	F_OR_K,
	F_LSH_K,
	F_RSH_K,
	F_LDX_DW,
	F_LDX_W,
	F_LDX_B,
	F_JEQ_K,
	F_JNE_K,
	F_JEQ_X,
	F_JNE_X,
	F_JGT_K,
	F_JGT_X,
	F_JA,
	F_EXIT,
};

static const uint8_t fast_ops[256] = {
	[BPF_ALU64 | BPF_MOV | BPF_K] = F_MOV_K,
	[BPF_ALU64 | BPF_MOV | BPF_X] = F_MOV_X,
	[BPF_ALU64 | BPF_ADD | BPF_K] = F_ADD_K,
	[BPF_ALU64 | BPF_ADD | BPF_X] = F_ADD_X,
	[BPF_ALU64 | BPF_SUB | BPF_K] = F_SUB_K,
	[BPF_ALU64 | BPF_SUB | BPF_X] = F_SUB_X,
	[BPF_ALU64 | BPF_AND | BPF_K] = F_AND_K,
	[BPF_ALU64 | BPF_OR | BPF_K] = F_OR_K,
	[BPF_ALU64 | BPF_LSH | BPF_K] = F_LSH_K,
	[BPF_ALU64 | BPF_RSH | BPF_K] = F_RSH_K,
	[BPF_LDX | BPF_MEM | BPF_DW] = F_LDX_DW,
	[BPF_LDX | BPF_MEM | BPF_W] = F_LDX_W,
	[BPF_LDX | BPF_MEM | BPF_B] = F_LDX_B,
	[BPF_JMP | BPF_JEQ | BPF_K] = F_JEQ_K,
	[BPF_JMP | BPF_JNE | BPF_K] = F_JNE_K,
	[BPF_JMP | BPF_JEQ | BPF_X] = F_JEQ_X,
	[BPF_JMP | BPF_JNE | BPF_X] = F_JNE_X,
	[BPF_JMP | BPF_JGT | BPF_K] = F_JGT_K,
	[BPF_JMP | BPF_JGT | BPF_X] = F_JGT_X,
	[BPF_JMP | BPF_JA] = F_JA,
	[BPF_JMP | BPF_EXIT] = F_EXIT,
};

static unsigned int size_of(uint8_t code)
{
	static const uint8_t sizes[4] = { 4, 2, 1, 8 };

	return sizes[BPF_SIZE(code) >> 3];
}

/*
 * Run to the final exit; 0 with r0 in reg[0], or a checked run's refusal.
 * Inlined into both callers, so the trusted one, where cr is a constant
 * NULL, carries none of the checks.
 */
static inline __attribute__((always_inline)) int run(struct vm *vm, const struct bpf_prog *prog,
						     struct bpf_checked_run *cr)
{
	const struct bpf_insn *insn = prog->insnsi;
	uint64_t *reg = vm->reg, src, addr = 0;
	unsigned int tail_calls = 0;
	uint64_t budget = cr ? cr->insn_budget : 0;
	int depth = 0;
	bpf_helper_fn fn;

	reg[BPF_REG_FP] = (uintptr_t)vm->stack + MAX_BPF_STACK;
	for (;; insn++) {
		uint8_t code = insn->code;
		uint64_t *dst = &reg[insn->dst_reg];

		if (cr && budget-- == 0) {
			cr->fault_pc = (uint32_t)(insn - prog->insnsi);
			return -E2BIG;
		}
		/*
		 * The commonest instructions through one dense jump table (no
		 * range check: fast_ops gives every opcode a case); the rest,
		 * and anything that needs a check in a checked run, through
		 * the class dispatch below.
		 */
		switch (fast_ops[code]) {
		case F_MOV_K:
			*dst = (uint64_t)(int64_t)insn->imm;
			continue;
		case F_MOV_X:
			if (insn->off)
				break;		/* movsx */
			*dst = reg[insn->src_reg];
			continue;
		case F_ADD_K:
			*dst += (uint64_t)(int64_t)insn->imm;
			continue;
		case F_ADD_X:
			*dst += reg[insn->src_reg];
			continue;
		case F_SUB_K:
			*dst -= (uint64_t)(int64_t)insn->imm;
			continue;
		case F_SUB_X:
			*dst -= reg[insn->src_reg];
			continue;
		case F_AND_K:
			*dst &= (uint64_t)(int64_t)insn->imm;
			continue;
		case F_OR_K:
			*dst |= (uint64_t)(int64_t)insn->imm;
			continue;
		case F_LSH_K:
			*dst <<= insn->imm & 63;
			continue;
		case F_RSH_K:
			*dst >>= insn->imm & 63;
			continue;
		case F_LDX_DW:
			if (cr)
				break;
			*dst = load(reg[insn->src_reg] + insn->off, 8);
			continue;
		case F_LDX_W:
			if (cr)
				break;
			*dst = load(reg[insn->src_reg] + insn->off, 4);
			continue;
		case F_LDX_B:
			if (cr)
				break;
			*dst = load(reg[insn->src_reg] + insn->off, 1);
			continue;
		case F_JEQ_K:
			insn += *dst == (uint64_t)(int64_t)insn->imm ? insn->off : 0;
			continue;
		case F_JNE_K:
			insn += *dst != (uint64_t)(int64_t)insn->imm ? insn->off : 0;
			continue;
		case F_JEQ_X:
			insn += *dst == reg[insn->src_reg] ? insn->off : 0;
			continue;
		case F_JNE_X:
			insn += *dst != reg[insn->src_reg] ? insn->off : 0;
			continue;
		case F_JGT_K:
			insn += *dst > (uint64_t)(int64_t)insn->imm ? insn->off : 0;
			continue;
		case F_JGT_X:
			insn += *dst > reg[insn->src_reg] ? insn->off : 0;
			continue;
		case F_JA:
			insn += insn->off;
			continue;
		case F_EXIT:
			if (depth == 0)
				return 0;
			break;
		case F_SLOW:
			break;
		default:
			__builtin_unreachable();	/* fast_ops holds nothing else */
		}
		switch (BPF_CLASS(code)) {
		case BPF_ALU64:
			src = BPF_SRC(code) == BPF_X ? reg[insn->src_reg] : (uint64_t)(int64_t)insn->imm;
			*dst = alu64(insn, *dst, src);
			break;
		case BPF_ALU:
			src = BPF_SRC(code) == BPF_X ? reg[insn->src_reg] : (uint32_t)insn->imm;
			*dst = alu32(insn, *dst, src);
			break;
		case BPF_LD:	/* only lddw passes the check */
			*dst = lddw_value(prog, insn);
			insn++;
			break;
		case BPF_LDX:
			addr = reg[insn->src_reg] + insn->off;
			if (cr && !access_ok(vm, cr, depth, addr, size_of(code), false))
				goto fault;
			*dst = load(addr, size_of(code));
			if (BPF_MODE(code) == BPF_MEMSX)
				*dst = sext(*dst, size_of(code) * 8);
			break;
		case BPF_ST:
		case BPF_STX:
			addr = *dst + insn->off;
			if (cr && !access_ok(vm, cr, depth, addr, size_of(code), true))
				goto fault;
			if (BPF_MODE(code) == BPF_ATOMIC)
				atomic_op(insn, addr, &reg[insn->src_reg], &reg[0]);
			else
				store(addr, size_of(code), BPF_CLASS(code) == BPF_ST ?
				      (uint64_t)(int64_t)insn->imm : reg[insn->src_reg]);
			break;
		default:	/* BPF_JMP, BPF_JMP32 */
			switch (BPF_OP(code)) {
			case BPF_JA:
				insn += BPF_CLASS(code) == BPF_JMP32 ? insn->imm : insn->off;
				break;
			case BPF_CALL:
				if (insn->src_reg == BPF_PSEUDO_CALL) {
					struct frame *f;

					if (depth + 1 >= BPF_MAX_CALL_FRAMES)
						return -ELOOP;
					f = &vm->frames[depth++];
					f->prog = prog;
					f->ret = insn;
					memcpy(f->saved, &reg[6], sizeof(f->saved));
					reg[BPF_REG_FP] += MAX_BPF_STACK;
					insn += insn->imm;
					break;
				}
				src = BPF_SRC(code) == BPF_X ? *dst : (uint64_t)(uint32_t)insn->imm;
				if (src == BPF_FUNC_tail_call) {
					const struct bpf_prog *next = tail_target(reg[2], reg[3]);

					if (next && tail_calls < BPF_MAX_TAIL_CALLS) {
						tail_calls++;
						prog = next;
						insn = prog->insnsi - 1;
					}
					break;
				}
				fn = src < prog->nr_helpers ? prog->helpers[src] : NULL;
				if (!fn) {
					if (cr)
						goto fault;
					return -EINVAL;
				}
				reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5]);
				break;
			case BPF_EXIT:
				if (depth == 0)
					return 0;
				depth--;
				prog = vm->frames[depth].prog;
				insn = vm->frames[depth].ret;
				memcpy(&reg[6], vm->frames[depth].saved, sizeof(vm->frames[depth].saved));
				reg[BPF_REG_FP] -= MAX_BPF_STACK;
				break;
			default:
				src = BPF_SRC(code) == BPF_X ? reg[insn->src_reg] :
					(uint64_t)(int64_t)insn->imm;
				if (cond(insn, *dst, src))
					insn += insn->off;
				break;
			}
			break;
		}
	}
fault:
	cr->fault_pc = (uint32_t)(insn - prog->insnsi);
	cr->fault_addr = (uintptr_t)addr;
	return -EFAULT;
}

uint64_t bpf_prog_run(const struct bpf_prog *prog, const void *ctx)
{
	struct vm vm;

	vm.reg[1] = (uintptr_t)ctx;
	return run(&vm, prog, NULL) ? 0 : vm.reg[0];
}

uint64_t (*bpf_stats_clock)(void);

/* bpf_prog_run_func() while stats are on: the run, timed. */
static __attribute__((noinline)) unsigned int run_timed(struct bpf_prog *prog, const void *ctx,
							 uint64_t (*clock)(void))
{
	uint64_t t0 = clock();
	struct vm vm;

	vm.reg[1] = (uintptr_t)ctx;
	run(&vm, prog, NULL);
	__atomic_add_fetch(&prog->run_ticks, clock() - t0, __ATOMIC_RELAXED);
	return (unsigned int)vm.reg[0];
}

/*
 * The run of every attached program. Kept lean: the seed's drop-all is
 * timed through it (make bench), so the stats test is one load and one
 * branch, and the timed run is a function of its own.
 */
unsigned int bpf_prog_run_func(const void *ctx, const void *insnsi)
{
	struct bpf_prog *prog = (struct bpf_prog *)insnsi;
	uint64_t (*clock)(void) = __atomic_load_n(&bpf_stats_clock, __ATOMIC_RELAXED);
	struct vm vm;

	__atomic_add_fetch(&prog->run_cnt, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(clock != NULL, 0))
		return run_timed(prog, ctx, clock);
	vm.reg[1] = (uintptr_t)ctx;
	run(&vm, prog, NULL);
	return (unsigned int)vm.reg[0];
}

int bpf_prog_run_checked(const struct bpf_prog *prog, uint64_t r1, uint64_t r2,
			 struct bpf_checked_run *cr, uint64_t *r0)
{
	struct vm vm = { .reg = { 0 } };
	int err;

	vm.reg[1] = r1;
	vm.reg[2] = r2;
	err = run(&vm, prog, cr);
	if (!err)
		*r0 = vm.reg[0];
	return err;
}
