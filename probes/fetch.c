/*
 * Fetch-args at a hit: evaluate each argument of a parsed definition
 * against the trapped registers into a fixed-layout record, then print the
 * record the way Linux prints kprobe event arguments.
 *
 * Every memory access goes through the caller's fault-safe read_mem(): a
 * probe may name any address, and a bad one must cost one "(fault)" in the
 * output, never the kernel. Splitting fetch (at the hit, cheap) from
 * formatting (later, when the trace is read) is what lets the probe handler
 * stay short; the filter works on the record in between.
 */
#include "trace.h"
#include "lib.h"
#include "kerrno.h"
#include "ptregs.h"

#define PAGE_SZ		4096ULL

static unsigned int type_size(unsigned int type)
{
	switch (type) {
	case TRACE_TYPE_U8: case TRACE_TYPE_S8: case TRACE_TYPE_X8:
	case TRACE_TYPE_CHAR:
		return 1;
	case TRACE_TYPE_U16: case TRACE_TYPE_S16: case TRACE_TYPE_X16:
		return 2;
	case TRACE_TYPE_U32: case TRACE_TYPE_S32: case TRACE_TYPE_X32:
		return 4;
	default:
		return 8;	/* u64, s64, x64, symbol, symstr, string pointers */
	}
}

static bool type_signed(unsigned int type)
{
	return type >= TRACE_TYPE_S8 && type <= TRACE_TYPE_S64;
}

/* Keep the low bytes the type covers; sign-extend the signed types. */
static uint64_t normalize(uint64_t raw, unsigned int type)
{
	unsigned int bits = type_size(type) * 8;

	if (bits == 64)
		return raw;
	raw &= (1ULL << bits) - 1;
	if (type_signed(type) && (raw >> (bits - 1)))
		raw |= ~0ULL << bits;
	return raw;
}

/* Records need not be aligned: move values with memcpy. */
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, sizeof(v)); }

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* n (<= 8) little-endian bytes at addr, zero-extended. */
static int read_val(const struct fetch_ctx *ctx, uint64_t addr, size_t n,
		    uint64_t *v)
{
	uint64_t x = 0;

	if (!ctx->read_mem || ctx->read_mem(&x, addr, n))
		return -EFAULT;
	*v = x;
	return 0;
}

/*
 * A NUL-terminated string of at most TRACE_STRING_MAX - 1 bytes (longer
 * ones are cut). Reads stop at page ends so that a short string lying just
 * before an unmapped page still reads.
 */
static int read_string(const struct fetch_ctx *ctx, uint64_t addr, char *dst)
{
	size_t got = 0, n, i;

	if (!ctx->read_mem)
		return -EFAULT;
	while (got < TRACE_STRING_MAX - 1) {
		n = min((size_t)(TRACE_STRING_MAX - 1 - got),
			(size_t)(PAGE_SZ - ((addr + got) & (PAGE_SZ - 1))));
		if (ctx->read_mem(dst + got, addr + got, n))
			return -EFAULT;
		for (i = got; i < got + n; i++)
			if (!dst[i])
				return 0;
		got += n;
	}
	dst[got] = '\0';
	return 0;
}

/* The value an argument starts from, before any dereference. */
static int fetch_base(const struct fetch_arg *a, unsigned int idx,
		      const struct fetch_ctx *ctx, uint64_t *v)
{
	const struct pt_regs *regs = ctx->regs;

	if (a->kind == FETCH_ARG && ctx->is_return) {
		/* captured at the entry by fetch_entry_args() */
		*v = ctx->entry ? ctx->entry[idx] : 0;
		return ctx->entry ? 0 : -EFAULT;
	}
	switch (a->kind) {
	case FETCH_IMM:
		*v = a->imm;
		return 0;
	case FETCH_SYM:
		*v = a->imm;
		return a->resolved ? 0 : -EFAULT;
	case FETCH_RETVAL:
		*v = ctx->retval;
		return ctx->is_return ? 0 : -EFAULT;
	}
	if (!regs)
		return -EFAULT;
	switch (a->kind) {
	case FETCH_REG:
		memcpy(v, (const uint8_t *)regs + a->param, sizeof(*v));
		if (a->width == 4)
			*v &= 0xffffffffULL;
		return 0;
	case FETCH_STACKP:
		*v = regs->sp;
		return 0;
	case FETCH_STACK:
		return read_val(ctx, regs->sp + 8ULL * a->param, 8, v);
	case FETCH_ARG:
		if (a->param <= 6) {
			*v = regs_get_arg(regs, a->param);
			return 0;
		}
		/* At the entry sp points at the return address; arg 7 is next. */
		return read_val(ctx, regs->sp + 8ULL * (a->param - 6), 8, v);
	}
	return -EFAULT;
}

/* Linux's bitfield: width bits from shift up, within the container. */
static uint64_t bitfield(const struct fetch_arg *a, uint64_t v)
{
	if (!a->bf_width)
		return v;
	v >>= a->bf_shift;
	return a->bf_width < 64 ? v & ((1ULL << a->bf_width) - 1) : v;
}

/* Fill one argument's slot; a fault marks it (or one string element). */
static void fetch_one(const struct fetch_arg *a, unsigned int idx,
		      const struct fetch_ctx *ctx, uint8_t *slot)
{
	uint8_t *data = slot + TRACE_SLOT_HDR, *el;
	unsigned int i, n = a->count ? a->count : 1;
	size_t size = type_size(a->type);
	uint64_t v, addr, ptr;
	const char *comm;

	memset(slot, 0, trace_slot_size(a));
	if (a->kind == FETCH_COMM) {
		comm = ctx->comm ? ctx->comm : "";
		memcpy(data, comm, min(strlen(comm), (size_t)TRACE_STRING_MAX - 1));
		return;
	}
	if (a->kind == FETCH_IMMSTR) {
		memcpy(data, a->text + a->sym_pos,
		       min((size_t)a->sym_len, (size_t)TRACE_STRING_MAX - 1));
		return;
	}
	if (fetch_base(a, idx, ctx, &v))
		goto fault;
	if (!a->nderef) {
		/* Only \IMM may be a string here: it is the string's address. */
		if (a->type == TRACE_TYPE_STRING) {
			if (read_string(ctx, v, (char *)data))
				goto fault;
		} else {
			put_u64(data, bitfield(a, normalize(v, a->type)));
		}
		return;
	}
	for (i = 0; i + 1 < a->nderef; i++)
		if (read_val(ctx, v + (uint64_t)a->deref[i], 8, &v))
			goto fault;
	/* The last dereference reads the value itself, at its own size. */
	addr = v + (uint64_t)a->deref[a->nderef - 1];
	if (a->type == TRACE_TYPE_STRING && !a->count) {
		if (read_string(ctx, addr, (char *)data))
			goto fault;
		return;
	}
	if (a->type == TRACE_TYPE_STRING) {
		/* string[N]: N pointers at addr, each to a string. */
		for (i = 0; i < n; i++) {
			el = data + i * (TRACE_SLOT_HDR + TRACE_STRING_MAX);
			if (read_val(ctx, addr + 8ULL * i, 8, &ptr) ||
			    read_string(ctx, ptr, (char *)el + TRACE_SLOT_HDR))
				el[0] = 1;
		}
		return;
	}
	for (i = 0; i < n; i++) {
		if (read_val(ctx, addr + i * size, size, &v))
			goto fault;
		put_u64(data + 8 * i, bitfield(a, normalize(v, a->type)));
	}
	return;
fault:
	memset(slot, 0, trace_slot_size(a));
	slot[0] = 1;
}

int fetch_args(const struct trace_event_def *def, const struct fetch_ctx *ctx,
	       void *rec, size_t reclen)
{
	unsigned int i;

	if (def->cmd != TRACE_CMD_PROBE)
		return -EINVAL;
	if (reclen < def->rec_size)
		return -ENOSPC;
	for (i = 0; i < def->nargs; i++)
		fetch_one(&def->args[i], i, ctx, (uint8_t *)rec + def->args[i].rec_off);
	return 0;
}

void fetch_entry_args(const struct trace_event_def *def,
		      const struct fetch_ctx *ctx, uint64_t *out)
{
	struct fetch_ctx entry = *ctx;
	unsigned int i;

	entry.is_return = false;
	for (i = 0; i < def->nargs; i++) {
		out[i] = 0;
		if (def->args[i].kind == FETCH_ARG)
			fetch_base(&def->args[i], i, &entry, &out[i]);
	}
}

/* An output buffer that counts what did not fit, as snprintf does. */
struct out {
	char *buf;
	size_t len, pos;
};

static void out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
	size_t at = min(o->pos, o->len ? o->len - 1 : 0);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + at, o->len - at, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

/* Linux prints strings raw; control bytes would garble the console. */
static void out_string(struct out *o, const char *s)
{
	char c;

	out_printf(o, "\"");
	for (; *s; s++) {
		c = (*s >= 0x20 && *s < 0x7f) ? *s : '.';
		out_printf(o, "%c", c);
	}
	out_printf(o, "\"");
}

static void out_value(struct out *o, unsigned int type, uint64_t v,
		      trace_sym_fn addr_to_sym)
{
	char name[TRACE_NAME_MAX];
	uint64_t off, size;

	switch (type) {
	case TRACE_TYPE_U8: case TRACE_TYPE_U16: case TRACE_TYPE_U32:
	case TRACE_TYPE_U64:
		out_printf(o, "%llu", (unsigned long long)v);
		break;
	case TRACE_TYPE_S8: case TRACE_TYPE_S16: case TRACE_TYPE_S32:
	case TRACE_TYPE_S64:
		out_printf(o, "%lld", (long long)v);
		break;
	case TRACE_TYPE_CHAR:
		out_printf(o, "'%c'", v >= 0x20 && v < 0x7f ? (char)v : '.');
		break;
	case TRACE_TYPE_SYMBOL:
	case TRACE_TYPE_SYMSTR:
		/* %pS: "sym+0xoff/0xsize", or the bare address; symstr is a string. */
		if (type == TRACE_TYPE_SYMSTR)
			out_printf(o, "\"");
		if (addr_to_sym && !addr_to_sym(v, name, sizeof(name), &off, &size))
			out_printf(o, "%s+0x%llx/0x%llx", name,
				   (unsigned long long)off,
				   (unsigned long long)size);
		else
			out_printf(o, "0x%llx", (unsigned long long)v);
		if (type == TRACE_TYPE_SYMSTR)
			out_printf(o, "\"");
		break;
	default:
		out_printf(o, "0x%llx", (unsigned long long)v);
		break;
	}
}

int fetch_format(const struct trace_event_def *def, const void *rec,
		 trace_sym_fn addr_to_sym, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	const struct fetch_arg *a;
	const uint8_t *slot, *data, *el;
	unsigned int i, j;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < def->nargs; i++) {
		a = &def->args[i];
		slot = (const uint8_t *)rec + a->rec_off;
		data = slot + TRACE_SLOT_HDR;
		out_printf(&o, " %s=", a->name);
		if (slot[0]) {
			out_printf(&o, "(fault)");
		} else if (a->type == TRACE_TYPE_STRING && a->count) {
			out_printf(&o, "{");
			for (j = 0; j < a->count; j++) {
				el = data + j * (TRACE_SLOT_HDR + TRACE_STRING_MAX);
				if (j)
					out_printf(&o, ",");
				if (el[0])
					out_printf(&o, "(fault)");
				else
					out_string(&o, (const char *)el + TRACE_SLOT_HDR);
			}
			out_printf(&o, "}");
		} else if (a->type == TRACE_TYPE_STRING) {
			out_string(&o, (const char *)data);
		} else if (a->count) {
			out_printf(&o, "{");
			for (j = 0; j < a->count; j++) {
				if (j)
					out_printf(&o, ",");
				out_value(&o, a->type, get_u64(data + 8 * j),
					  addr_to_sym);
			}
			out_printf(&o, "}");
		} else {
			out_value(&o, a->type, get_u64(data), addr_to_sym);
		}
	}
	return (int)o.pos;
}

int fetch_get_value(const struct trace_event_def *def, const void *rec,
		    unsigned int idx, uint64_t *val)
{
	const struct fetch_arg *a;
	const uint8_t *slot;

	if (idx >= def->nargs)
		return -EINVAL;
	a = &def->args[idx];
	if (a->count || a->type == TRACE_TYPE_STRING)
		return -EINVAL;
	slot = (const uint8_t *)rec + a->rec_off;
	if (slot[0])
		return -EFAULT;
	*val = get_u64(slot + TRACE_SLOT_HDR);
	return 0;
}

const char *fetch_get_string(const struct trace_event_def *def,
			     const void *rec, unsigned int idx)
{
	const struct fetch_arg *a;
	const uint8_t *slot;

	if (idx >= def->nargs)
		return NULL;
	a = &def->args[idx];
	if (a->count || a->type != TRACE_TYPE_STRING)
		return NULL;
	slot = (const uint8_t *)rec + a->rec_off;
	return slot[0] ? NULL : (const char *)slot + TRACE_SLOT_HDR;
}
