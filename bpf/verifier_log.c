/*
 * The verifier's log: the walk as it goes (log_level 1 and 2) and the one
 * refusal line "insn N: reason" at the end, which is all a level-0 log holds.
 */
#include <stdarg.h>
#include "verifier_internal.h"
#include "lib.h"
#include "kerrno.h"

static void log_append(struct verifier_env *env, const char *fmt, va_list ap)
{
	int n;

	if (!env->log || env->log_len + 1 >= env->log_size)
		return;
	n = vsnprintf(env->log + env->log_len, env->log_size - env->log_len, fmt, ap);
	if (n > 0)
		env->log_len = min(env->log_len + n, env->log_size - 1);
}

void vlog(struct verifier_env *env, const char *fmt, ...)
{
	va_list ap;

	if (!env->log_level)
		return;
	va_start(ap, fmt);
	log_append(env, fmt, ap);
	va_end(ap);
}

static int refuse(struct verifier_env *env, int code, const char *fmt, va_list ap)
{
	char line[160];
	int n;

	if (env->failed)
		return code;
	env->failed = true;
	n = snprintf(line, sizeof(line), "insn %u: ", env->insn_idx);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* the refusal always fits: it replaces the tail of a full log */
	if (env->log && env->log_size) {
		size_t need = strlen(line) + 2;

		if (env->log_len + need > env->log_size)
			env->log_len = env->log_size > need ? env->log_size - need : 0;
		snprintf(env->log + env->log_len, env->log_size - env->log_len, "%s\n", line);
		env->log_len = strlen(env->log);
	}
	return code;
}

int verr(struct verifier_env *env, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = refuse(env, -EINVAL, fmt, ap);
	va_end(ap);
	return ret;
}

int verr_code(struct verifier_env *env, int code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = refuse(env, code, fmt, ap);
	va_end(ap);
	return ret;
}

/* Linux's names for the types, as its messages print them. */
const char *reg_type_name(enum reg_type t)
{
	static const char *const names[NR_REG_TYPES] = {
		[NOT_INIT] = "?", [SCALAR_VALUE] = "scalar", [PTR_TO_CTX] = "ctx",
		[CONST_PTR_TO_MAP] = "map_ptr", [PTR_TO_MAP_VALUE] = "map_value",
		[PTR_TO_MAP_VALUE_OR_NULL] = "map_value_or_null", [PTR_TO_STACK] = "fp",
		[PTR_TO_PACKET_META] = "pkt_meta", [PTR_TO_PACKET] = "pkt",
		[PTR_TO_PACKET_END] = "pkt_end", [PTR_TO_MEM] = "mem",
		[PTR_TO_MEM_OR_NULL] = "mem_or_null",
	};

	return t < NR_REG_TYPES ? names[t] : "?";
}

void log_insn(struct verifier_env *env, uint32_t idx)
{
	const struct bpf_insn *i = &env->insns[idx];

	vlog(env, "%u: (%02x) dst=r%u src=r%u off=%d imm=%d\n", idx, i->code, i->dst_reg,
	     i->src_reg, i->off, i->imm);
}

static void log_reg(struct verifier_env *env, const char *name, const struct reg_state *r)
{
	if (r->type == SCALAR_VALUE && tnum_is_const(r->var_off)) {
		vlog(env, " %s=%lld", name, (long long)r->var_off.value);
		return;
	}
	vlog(env, " %s=%s", name, reg_type_name(r->type));
	if (r->type == SCALAR_VALUE) {
		vlog(env, "(smin=%lld,smax=%lld,umin=%llu,umax=%llu,var_off=(%#llx;%#llx))",
		     (long long)r->smin, (long long)r->smax, (unsigned long long)r->umin,
		     (unsigned long long)r->umax, (unsigned long long)r->var_off.value,
		     (unsigned long long)r->var_off.mask);
		return;
	}
	vlog(env, "(off=%d", r->off);
	if (r->id)
		vlog(env, ",id=%u", r->id);
	if (reg_is_pkt(r))
		vlog(env, ",r=%u", r->range);
	if (r->type == PTR_TO_STACK)
		vlog(env, ",frame=%u", r->frameno);
	if (r->type == CONST_PTR_TO_MAP || r->type == PTR_TO_MAP_VALUE ||
	    r->type == PTR_TO_MAP_VALUE_OR_NULL)
		vlog(env, ",map=%u", r->map);
	if (!tnum_equals_const(r->var_off, 0))
		vlog(env, ",umax=%llu", (unsigned long long)r->umax);
	vlog(env, ")");
}

void log_state(struct verifier_env *env, const struct vstate *st)
{
	char name[16];

	for (uint32_t f = 0; f <= st->curframe; f++) {
		const struct func_state *fs = st->frame[f];

		if (st->curframe)
			vlog(env, " frame%u:", f);
		for (int r = 0; r < MAX_BPF_REG; r++) {
			if (fs->regs[r].type == NOT_INIT)
				continue;
			snprintf(name, sizeof(name), "R%d", r);
			log_reg(env, name, &fs->regs[r]);
		}
		for (uint32_t s = 0; s < fs->nslots; s++) {
			const struct stack_slot *sl = &fs->stack[s];

			snprintf(name, sizeof(name), "fp-%u", (s + 1) * 8);
			if (sl->type[0] == STACK_SPILL)
				log_reg(env, name, &sl->spilled);
			else if (sl->type[0] || sl->type[7])
				vlog(env, " %s=%c%c%c%c%c%c%c%c", name,
				     "?ms"[sl->type[0]], "?ms"[sl->type[1]], "?ms"[sl->type[2]],
				     "?ms"[sl->type[3]], "?ms"[sl->type[4]], "?ms"[sl->type[5]],
				     "?ms"[sl->type[6]], "?ms"[sl->type[7]]);
		}
	}
	vlog(env, "\n");
}
