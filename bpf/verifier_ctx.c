/*
 * The context of each program type: which loads are allowed and what they
 * give, and the rewrite after verification. XDP programs see Linux's
 * struct xdp_md of 32-bit fields while the hook passes a struct xdp_buff
 * (include/xdp.h); each field load becomes loads from the xdp_buff. Kprobe
 * programs see struct pt_regs, which is what the probe passes: nothing to
 * rewrite, loads only.
 */
#include <stddef.h>
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"
#include "mm.h"
#include "ptregs.h"
#include "xdp.h"

static int xdp_ctx_load(struct verifier_env *env, struct reg_state *dst, int32_t off,
			unsigned int size)
{
	static const struct {
		uint8_t rewrite, type;
	} fields[] = {
		[offsetof(struct xdp_md, data) / 4] = { CTX_XDP_DATA, PTR_TO_PACKET },
		[offsetof(struct xdp_md, data_end) / 4] = { CTX_XDP_DATA_END, PTR_TO_PACKET_END },
		[offsetof(struct xdp_md, data_meta) / 4] = { CTX_XDP_DATA_META, PTR_TO_PACKET_META },
		[offsetof(struct xdp_md, ingress_ifindex) / 4] = { CTX_XDP_IFINDEX, SCALAR_VALUE },
		[offsetof(struct xdp_md, rx_queue_index) / 4] = { CTX_XDP_QUEUE, SCALAR_VALUE },
		[offsetof(struct xdp_md, egress_ifindex) / 4] = { CTX_XDP_EGRESS, SCALAR_VALUE },
	};
	unsigned int i = off / 4;

	if (off < 0 || off % 4 || size != 4 || i >= ARRAY_SIZE(fields))
		return verr(env, "invalid bpf_context access off=%d size=%u", off, size);
	env->aux[env->insn_idx].ctx_rewrite = fields[i].rewrite;
	if (fields[i].type == SCALAR_VALUE) {
		reg_mark_unknown_size(dst, 4);
		return 0;
	}
	reg_mark_known(dst, 0);
	dst->type = fields[i].type;
	/* every packet pointer loaded from the context has the same base */
	dst->id = 0;
	dst->range = 0;
	return 0;
}

static int kprobe_ctx_load(struct verifier_env *env, struct reg_state *dst, int32_t off,
			   unsigned int size)
{
	if (off < 0 || off % size || off + size > sizeof(struct pt_regs))
		return verr(env, "invalid bpf_context access off=%d size=%u", off, size);
	reg_mark_unknown_size(dst, size);
	return 0;
}

int check_ctx_load(struct verifier_env *env, uint32_t dst, int32_t off, unsigned int size)
{
	struct reg_state *r = &cur_frame(env->cur)->regs[dst];

	if (env->prog->type == BPF_PROG_TYPE_XDP)
		return xdp_ctx_load(env, r, off, size);
	return kprobe_ctx_load(env, r, off, size);
}

#define LDX_DW(dst, src, o) ((struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_DW, \
	.dst_reg = (dst), .src_reg = (src), .off = (o) })
#define LDX_W(dst, src, o) ((struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_W, \
	.dst_reg = (dst), .src_reg = (src), .off = (o) })

/* The instructions that replace one context load; returns how many. */
static unsigned int expand(const struct bpf_insn *in, enum ctx_rewrite how, struct bpf_insn *out)
{
	uint8_t d = in->dst_reg, s = in->src_reg;

	switch (how) {
	case CTX_XDP_DATA:
		out[0] = LDX_DW(d, s, offsetof(struct xdp_buff, data));
		return 1;
	case CTX_XDP_DATA_END:
		out[0] = LDX_DW(d, s, offsetof(struct xdp_buff, data_end));
		return 1;
	case CTX_XDP_DATA_META:
		out[0] = LDX_DW(d, s, offsetof(struct xdp_buff, data_meta));
		return 1;
	case CTX_XDP_IFINDEX:
	case CTX_XDP_QUEUE:
		out[0] = LDX_DW(d, s, offsetof(struct xdp_buff, rxq));
		out[1] = LDX_W(d, d, how == CTX_XDP_IFINDEX ? offsetof(struct xdp_rxq_info, ifindex) :
			       offsetof(struct xdp_rxq_info, queue_index));
		return 2;
	case CTX_XDP_EGRESS:
		/* only devmap programs have an egress device; the hook runs none */
		out[0] = (struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = d };
		return 1;
	default:
		out[0] = *in;
		return 1;
	}
}

static bool is_jump(const struct bpf_insn *i)
{
	unsigned int cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	if (cls != BPF_JMP && cls != BPF_JMP32)
		return false;
	if (op == BPF_EXIT || (op == BPF_CALL && i->src_reg != BPF_PSEUDO_CALL))
		return false;
	return true;
}

int ctx_rewrite(struct verifier_env *env)
{
	struct bpf_prog *prog = env->prog;
	const struct bpf_insn *old = prog->insnsi;
	struct bpf_insn tmp[2], *new;
	uint32_t *at, n = 0, len = env->len;

	for (uint32_t i = 0; i < len; i++)
		n += env->aux[i].ctx_rewrite ? expand(&old[i], env->aux[i].ctx_rewrite, tmp) : 1;
	if (n == len) {
		for (uint32_t i = 0; i < len; i++)
			if (env->aux[i].ctx_rewrite)
				expand(&old[i], env->aux[i].ctx_rewrite, &prog->insnsi[i]);
		return 0;
	}
	if (n > BPF_MAXINSNS)
		return verr_code(env, -E2BIG, "program too long after the context rewrite");
	/* longer: a new array, with every jump and call moved to its new target */
	at = bpf_zalloc((len + 1) * sizeof(*at));
	new = bpf_zalloc(n * sizeof(*new));
	if (!at || !new) {
		bpf_free(at);
		bpf_free(new);
		return verr_code(env, -ENOMEM, "out of memory");
	}
	n = 0;
	for (uint32_t i = 0; i < len; i++) {
		at[i] = n;
		n += env->aux[i].ctx_rewrite ? expand(&old[i], env->aux[i].ctx_rewrite, &new[n]) :
		     (new[n] = old[i], 1);
	}
	at[len] = n;
	for (uint32_t i = 0; i < len; i++) {
		const struct bpf_insn *j = &old[i];
		bool imm = BPF_OP(j->code) == BPF_CALL ||
			   (BPF_CLASS(j->code) == BPF_JMP32 && BPF_OP(j->code) == BPF_JA);
		int64_t t, d;

		if (env->aux[i].lddw_tail || !is_jump(j))
			continue;
		t = (int64_t)i + 1 + (imm ? j->imm : j->off);
		d = (int64_t)at[t] - at[i] - 1;
		if (imm) {
			new[at[i]].imm = d;
		} else {
			if (d < INT16_MIN || d > INT16_MAX) {
				bpf_free(at);
				bpf_free(new);
				return verr_code(env, -E2BIG, "jump too far after the context rewrite");
			}
			new[at[i]].off = d;
		}
	}
	bpf_free(at);
	bpf_free(prog->insnsi);
	prog->insnsi = new;
	prog->len = n;
	return 0;
}
