/*
 * Memory accesses: loads, stores and atomics through every kind of pointer,
 * and the memory helpers read or fill. Each kind has its bounds: the stack
 * its frame's 512 bytes (byte-wise initialised, 8-byte spills remembered),
 * a map value its value_size, ringbuf memory its reserved size, the packet
 * what a comparison with data_end proved, the context its type's fields.
 */
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"

#define MAX_VAR_OFF	(1 << 29)

enum access { ACC_READ, ACC_WRITE, ACC_ATOMIC };

static unsigned int size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

/* The same instruction must meet the context on every path or on none:
 * the rewrite changes it for all of them. */
static int note_mem_kind(struct verifier_env *env, bool ctx)
{
	struct insn_aux *aux = &env->aux[env->insn_idx];
	uint8_t kind = ctx ? 1 : 2;

	if (aux->mem_kind && aux->mem_kind != kind)
		return verr(env, "same insn cannot be used with different pointers");
	aux->mem_kind = kind;
	return 0;
}

/* Bounds of [reg + off, + size) inside [0, limit). */
static int check_region(struct verifier_env *env, uint32_t regno, const struct reg_state *r,
			int32_t off, uint64_t size, uint64_t limit, const char *what)
{
	int64_t lo = (int64_t)r->off + off + r->smin;

	if (r->smin < 0)
		return verr(env, "R%u min value is negative", regno);
	if (r->umax >= MAX_VAR_OFF)
		return verr(env, "R%u unbounded memory access", regno);
	if (lo < 0 || (uint64_t)((int64_t)r->off + off) + r->umax + size > limit)
		return verr(env, "invalid access to %s, size=%llu off=%lld access_size=%llu",
			    what, (unsigned long long)limit,
			    (long long)((int64_t)r->off + off), (unsigned long long)size);
	return 0;
}

static int check_stack_range(struct verifier_env *env, uint32_t regno, const struct reg_state *r,
			     int32_t off, uint64_t size, struct func_state **fp, int32_t *start)
{
	int64_t o;

	if (!tnum_is_const(r->var_off))
		return verr(env, "R%u variable offset stack access prohibited", regno);
	o = (int64_t)r->off + off + (int64_t)r->var_off.value;
	if (o < -MAX_BPF_STACK || o + (int64_t)size > 0 || size == 0 || size > MAX_BPF_STACK)
		return verr(env, "invalid stack off=%lld size=%llu", (long long)o,
			    (unsigned long long)size);
	*fp = env->cur->frame[r->frameno];
	*start = o;
	return frame_grow_stack(env, *fp, (uint32_t)(-o + 7) / 8);
}

static uint8_t *stack_byte(struct func_state *f, int32_t o)
{
	uint32_t slot = (uint32_t)(-o - 1) / 8;

	return &f->stack[slot].type[(o + MAX_BPF_STACK) % 8];
}

/*
 * What a load of size bytes leaves in dst (NULL: nothing to mark): an
 * unknown scalar of that width, sign-extended for the ldxs* forms.
 */
static void loaded_scalar(struct reg_state *dst, unsigned int size, bool sx)
{
	if (!dst)
		return;
	if (sx)
		reg_mark_unknown_signed(dst, size);
	else
		reg_mark_unknown_size(dst, size);
}

/* A write of size bytes at o: a spill when src is a whole aligned register. */
static int stack_write(struct verifier_env *env, struct func_state *f, int32_t o,
		       unsigned int size, const struct reg_state *src, uint32_t src_regno)
{
	struct stack_slot *slot = &f->stack[(uint32_t)(-o - 1) / 8];

	if (src && reg_is_ptr(src)) {
		if (size != 8 || o % 8)
			return verr(env, "invalid size of register spill");
		if (src->type == PTR_TO_STACK && src->frameno > f->frameno)
			return verr(env, "R%u cannot spill a pointer to a callee's stack into its caller's",
				    src_regno);
	}
	if (size == 8 && !(o % 8) && src) {
		memset(slot->type, STACK_SPILL, 8);
		slot->spilled = *src;
		return 0;
	}
	/* a partial write breaks a spill into plain bytes */
	if (slot->type[0] == STACK_SPILL)
		memset(slot->type, STACK_MISC, 8);
	for (unsigned int i = 0; i < size; i++)
		*stack_byte(f, o + i) = STACK_MISC;
	return 0;
}

static int stack_read(struct verifier_env *env, uint32_t regno, struct func_state *f, int32_t o,
		      unsigned int size, struct reg_state *dst, bool sx)
{
	struct stack_slot *slot = &f->stack[(uint32_t)(-o - 1) / 8];

	if (slot->type[0] == STACK_SPILL) {
		if (size == 8 && !(o % 8) && !sx) {
			*dst = slot->spilled;
			return 0;
		}
		if (slot->spilled.type != SCALAR_VALUE)
			return verr(env, "invalid size of register fill");
	}
	for (unsigned int i = 0; i < size; i++)
		if (*stack_byte(f, o + i) == STACK_INVALID)
			return verr(env, "invalid read from stack R%u off %d size %u", regno, o, size);
	loaded_scalar(dst, size, sx);
	return 0;
}

/*
 * One access of size bytes at regs[regno] + off. Loads go into dst (NULL for
 * none); stores come from src (NULL for an immediate).
 */
static int check_access(struct verifier_env *env, uint32_t regno, int32_t off, unsigned int size,
			enum access acc, struct reg_state *dst, const struct reg_state *src,
			uint32_t src_regno, bool sx)
{
	struct func_state *f = cur_frame(env->cur);
	struct reg_state r = f->regs[regno];
	bool write = acc != ACC_READ;
	bool ptr_src = src && reg_is_ptr(src);
	struct func_state *sf;
	int32_t o;
	int err;

	err = note_mem_kind(env, r.type == PTR_TO_CTX);
	if (err)
		return err;
	switch (r.type) {
	case PTR_TO_STACK:
		err = check_stack_range(env, regno, &r, off, size, &sf, &o);
		if (err)
			return err;
		if (o % (int32_t)size)
			return verr(env, "misaligned stack access off %d size %u", o, size);
		if (acc == ACC_ATOMIC) {
			err = stack_read(env, regno, sf, o, size, NULL, false);
			if (!err)
				err = stack_write(env, sf, o, size, NULL, 0);
			return err;
		}
		if (write)
			return stack_write(env, sf, o, size, src, src_regno);
		return stack_read(env, regno, sf, o, size, dst, sx);
	case PTR_TO_MAP_VALUE: {
		const struct bpf_map *map = env->prog->maps[r.map];

		if (write && (map->map_flags & BPF_F_RDONLY_PROG))
			return verr(env, "R%u write into a read-only map", regno);
		if (ptr_src)
			return verr(env, "R%u leaks addr into map", src_regno);
		err = check_region(env, regno, &r, off, size, map->value_size, "map value");
		break;
	}
	case PTR_TO_MEM:
		if (ptr_src)
			return verr(env, "R%u leaks addr into mem", src_regno);
		err = check_region(env, regno, &r, off, size, r.mem_size, "mem");
		break;
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (acc == ACC_ATOMIC)
			return verr(env, "atomic access to %s prohibited", reg_type_name(r.type));
		if (ptr_src)
			return verr(env, "R%u leaks addr into packet", src_regno);
		if (r.smin < 0)
			return verr(env, "R%u min value is negative", regno);
		if ((int64_t)r.off + off < 0 || (int64_t)r.off + off + size > r.range)
			return verr(env, "invalid access to packet, off=%d size=%u, R%u(id=%u,off=%d,r=%u)",
				    off, size, regno, r.id, r.off, r.range);
		err = 0;
		break;
	case PTR_TO_CTX:
		if (acc != ACC_READ)
			return verr(env, "invalid bpf_context access off=%d size=%u (write)", off, size);
		if (r.off || !tnum_equals_const(r.var_off, 0))
			return verr(env, "dereference of modified ctx ptr R%u off=%d disallowed",
				    regno, r.off);
		if (sx)
			return verr(env, "invalid bpf_context access off=%d size=%u (sign-extending)",
				    off, size);
		return check_ctx_load(env, dst ? (uint32_t)(dst - f->regs) : 0, off, size);
	default:
		return verr(env, "R%u invalid mem access '%s'", regno, reg_type_name(r.type));
	}
	if (err)
		return err;
	loaded_scalar(dst, size, sx);
	return 0;
}

int check_ldx(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct func_state *f = cur_frame(env->cur);
	bool sx = BPF_MODE(insn->code) == BPF_MEMSX;
	unsigned int size = size_bytes(insn->code);
	int err;

	if (BPF_MODE(insn->code) != BPF_MEM && !(sx && size < 8))
		return verr(env, "unknown opcode %02x", insn->code);
	if (insn->imm)
		return verr(env, "BPF_LDX uses reserved fields");
	err = check_reg_read(env, insn->src_reg);
	if (!err)
		err = check_reg_write(env, insn->dst_reg);
	if (err)
		return err;
	return check_access(env, insn->src_reg, insn->off, size, ACC_READ,
			    &f->regs[insn->dst_reg], NULL, 0, sx);
}

int check_st(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct func_state *f = cur_frame(env->cur);
	bool is_stx = BPF_CLASS(insn->code) == BPF_STX;
	struct reg_state imm;
	int err;

	if (BPF_MODE(insn->code) != BPF_MEM)
		return verr(env, "unknown opcode %02x", insn->code);
	if (is_stx ? insn->imm != 0 : insn->src_reg != 0)
		return verr(env, "BPF_%s uses reserved fields", is_stx ? "STX" : "ST");
	err = check_reg_read(env, insn->dst_reg);
	if (!err && is_stx)
		err = check_reg_read(env, insn->src_reg);
	if (err)
		return err;
	reg_mark_known(&imm, (uint64_t)(int64_t)insn->imm);
	return check_access(env, insn->dst_reg, insn->off, size_bytes(insn->code), ACC_WRITE, NULL,
			    is_stx ? &f->regs[insn->src_reg] : &imm, insn->src_reg, false);
}

int check_atomic(struct verifier_env *env, const struct bpf_insn *insn)
{
	struct func_state *f = cur_frame(env->cur);
	unsigned int size = size_bytes(insn->code);
	int32_t op = insn->imm & ~BPF_FETCH;
	int err;

	if (size != 4 && size != 8)
		return verr(env, "invalid atomic operand size");
	if (insn->imm != BPF_XCHG && insn->imm != BPF_CMPXCHG && op != BPF_ADD && op != BPF_OR &&
	    op != BPF_AND && op != BPF_XOR)
		return verr(env, "invalid atomic operation %#x", insn->imm);
	err = check_reg_read(env, insn->dst_reg);
	if (!err)
		err = check_reg_read(env, insn->src_reg);
	if (!err && insn->imm == BPF_CMPXCHG)
		err = check_reg_read(env, 0);
	if (err)
		return err;
	if (reg_is_ptr(&f->regs[insn->src_reg]))
		return verr(env, "R%u leaks addr into mem", insn->src_reg);
	if (insn->imm == BPF_CMPXCHG && reg_is_ptr(&f->regs[0]))
		return verr(env, "R0 leaks addr into mem");
	if (f->regs[insn->dst_reg].type == PTR_TO_CTX)
		return verr(env, "atomic access to ctx prohibited");
	err = check_access(env, insn->dst_reg, insn->off, size, ACC_ATOMIC, NULL, NULL, 0, false);
	if (err)
		return err;
	/* the fetch forms load the old value */
	if (insn->imm == BPF_CMPXCHG)
		reg_mark_unknown_size(&f->regs[0], size);
	else if (insn->imm & BPF_FETCH) {
		err = check_reg_write(env, insn->src_reg);
		if (err)
			return err;
		reg_mark_unknown_size(&f->regs[insn->src_reg], size);
	}
	return 0;
}

int check_helper_mem(struct verifier_env *env, uint32_t regno, uint64_t max_size, bool write)
{
	struct reg_state *r = &cur_frame(env->cur)->regs[regno];
	struct func_state *sf;
	int32_t o;
	int err;

	if (!max_size)
		return 0;
	switch (r->type) {
	case PTR_TO_STACK:
		err = check_stack_range(env, regno, r, 0, max_size, &sf, &o);
		if (err)
			return err;
		for (uint64_t i = 0; i < max_size; i++) {
			uint8_t *t = stack_byte(sf, o + i);

			/* the helper fills what it may write, on failure with zeros */
			if (write) {
				struct stack_slot *slot = &sf->stack[(uint32_t)(-(o + (int32_t)i) - 1) / 8];

				if (slot->type[0] == STACK_SPILL)
					memset(slot->type, STACK_MISC, 8);
				*t = STACK_MISC;
			} else if (*t == STACK_INVALID) {
				return verr(env, "invalid indirect read from stack R%u off %lld size %llu",
					    regno, (long long)o, (unsigned long long)max_size);
			}
		}
		return 0;
	case PTR_TO_MAP_VALUE: {
		const struct bpf_map *map = env->prog->maps[r->map];

		if (write && (map->map_flags & BPF_F_RDONLY_PROG))
			return verr(env, "R%u write into a read-only map", regno);
		return check_region(env, regno, r, 0, max_size, map->value_size, "map value");
	}
	case PTR_TO_MEM:
		return check_region(env, regno, r, 0, max_size, r->mem_size, "mem");
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (r->smin < 0 || r->off < 0 || (uint64_t)r->off + max_size > r->range)
			return verr(env, "invalid access to packet, off=0 size=%llu, R%u(id=%u,off=%d,r=%u)",
				    (unsigned long long)max_size, regno, r->id, r->off, r->range);
		return 0;
	default:
		return verr(env, "R%u type=%s expected=fp, pkt, pkt_meta, map_value, mem", regno,
			    reg_type_name(r->type));
	}
}
