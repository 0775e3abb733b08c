/*
 * Map keys and values printed with their BTF types, in the JSON bpftool
 * uses for `map dump` when the map has BTF: integers in decimal (signed
 * as declared, bitfields extracted), bools as true/false, enums by their
 * name, structs and unions as {"field": value}, arrays as [a, b], char
 * arrays that hold text as "strings", pointers and floats as hex strings,
 * global data sections as {"variable": value}. Every read is bounded by
 * the bytes the map really has; a field beyond them prints as "?".
 */
#include "btf.h"
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

#define BTF_INT_SIGNED	1
#define BTF_INT_CHAR	2
#define BTF_INT_BOOL	4

struct out {
	char *buf;
	size_t size, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->size ? o->buf + o->pos : NULL,
		      o->pos < o->size ? o->size - o->pos : 0, fmt, ap);
	va_end(ap);
	o->pos += n > 0 ? (size_t)n : 0;
}

/* The data one value occupies: bytes from its start, and how many exist. */
struct span {
	const uint8_t *p;
	uint32_t len;
};

/* Little-endian bits [bit_off, bit_off + nbits) of the span, nbits <= 64. */
static bool read_bits(struct span d, uint32_t bit_off, uint32_t nbits, uint64_t *v)
{
	uint32_t first = bit_off / 8, last = (bit_off + nbits + 7) / 8;
	unsigned __int128 acc = 0;

	if (!nbits || nbits > 64 || last > d.len || last - first > 9)
		return false;
	for (uint32_t i = last; i > first; i--)
		acc = acc << 8 | d.p[i - 1];
	acc >>= bit_off % 8;
	*v = nbits == 64 ? (uint64_t)acc : (uint64_t)acc & ((1ull << nbits) - 1);
	return true;
}

static void put_int(struct out *o, uint32_t enc, uint32_t nbits, uint64_t v)
{
	if (enc & BTF_INT_BOOL)
		put(o, "%s", v ? "true" : "false");
	else if (enc & BTF_INT_SIGNED)
		put(o, "%lld", nbits < 64 && (v >> (nbits - 1)) & 1 ?
		    (long long)(v | ~((1ull << nbits) - 1)) : (long long)v);
	else
		put(o, "%llu", (unsigned long long)v);
}

static void put_hex(struct out *o, struct span d, uint32_t size)
{
	put(o, "\"0x");
	for (uint32_t i = size; i > 0; i--)
		put(o, "%02x", d.p[i - 1]);
	put(o, "\"");
}

static bool is_char(const struct btf *b, const struct btf_type *t)
{
	return t && KIND(t) == BTF_KIND_INT && t->size_or_type == 1 &&
	       ((*(const uint32_t *)(t + 1) >> 24 & BTF_INT_CHAR) ||
		!strcmp(name_of(b, t->name_off), "char"));
}

/* Text up to a NUL, only NULs after it: worth showing as a string. */
static bool is_text(struct span d, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && d.p[i] >= 0x20 && d.p[i] < 0x7f && d.p[i] != '"' && d.p[i] != '\\')
		i++;
	if (i == 0 || i == n)
		return false;
	for (; i < n; i++)
		if (d.p[i])
			return false;
	return true;
}

static void dump(const struct btf *b, uint32_t id, struct span d, struct out *o, int depth);

static void dump_members(const struct btf *b, const struct btf_type *t, struct span d,
			 struct out *o, int depth)
{
	const struct btf_member *m = (const void *)(t + 1);

	put(o, "{");
	for (unsigned int i = 0; i < VLEN(t); i++) {
		uint32_t bit = KFLAG(t) ? m[i].offset & 0xffffff : m[i].offset;
		uint32_t bits = KFLAG(t) ? m[i].offset >> 24 : 0;
		const struct btf_type *mt = btf_strip(b, m[i].type);
		uint64_t v;

		put(o, "%s\"%s\": ", i ? ", " : "", name_of(b, m[i].name_off));
		if (bits || (bit % 8 && mt && KIND(mt) == BTF_KIND_INT)) {
			uint32_t enc = mt && KIND(mt) == BTF_KIND_INT ? *(const uint32_t *)(mt + 1) >> 24 : 0;

			if (!bits && mt)
				bits = *(const uint32_t *)(mt + 1) & 0xff;
			if (read_bits(d, bit, bits, &v))
				put_int(o, enc, bits, v);
			else
				put(o, "\"?\"");
		} else if (bit / 8 <= d.len) {
			dump(b, m[i].type, (struct span){ d.p + bit / 8, d.len - bit / 8 }, o, depth + 1);
		} else {
			put(o, "\"?\"");
		}
	}
	put(o, "}");
}

static void dump(const struct btf *b, uint32_t id, struct span d, struct out *o, int depth)
{
	const struct btf_type *t = btf_strip(b, id);
	uint32_t size = 0;
	uint64_t v;

	if (!t || depth > MAX_CHAIN) {
		put(o, "\"?\"");
		return;
	}
	if (KIND(t) != BTF_KIND_VAR && (btf_type_size(b, id, &size) || size > d.len)) {
		put(o, "\"?\"");
		return;
	}
	switch (KIND(t)) {
	case BTF_KIND_INT: {
		uint32_t info = *(const uint32_t *)(t + 1), nbits = info & 0xff;

		if (nbits > 64 || !read_bits(d, info >> 16 & 0xff, nbits, &v))
			put_hex(o, d, size);	/* __int128 */
		else
			put_int(o, info >> 24, nbits, v);
		break;
	}
	case BTF_KIND_PTR:
	case BTF_KIND_FLOAT:
		put_hex(o, d, size);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		bool wide = KIND(t) == BTF_KIND_ENUM64;
		const uint32_t *e = (const void *)(t + 1);
		unsigned int i;

		read_bits(d, 0, size * 8, &v);
		for (i = 0; i < VLEN(t); i++, e += wide ? 3 : 2) {
			uint64_t ev = wide ? (uint64_t)e[2] << 32 | e[1] : (uint64_t)(uint32_t)e[1];

			if (size < 8)
				ev &= (1ull << (size * 8)) - 1;
			if (ev == v)
				break;
		}
		if (i < VLEN(t))
			put(o, "\"%s\"", name_of(b, e[0]));
		else
			put(o, "%llu", (unsigned long long)v);
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);
		uint32_t esize = a->nelems ? size / a->nelems : 0;

		if (is_char(b, btf_strip(b, a->type)) && is_text(d, a->nelems)) {
			put(o, "\"%.*s\"", (int)a->nelems, (const char *)d.p);
			break;
		}
		put(o, "[");
		for (uint32_t i = 0; i < a->nelems; i++) {
			put(o, "%s", i ? ", " : "");
			dump(b, a->type, (struct span){ d.p + i * esize, d.len - i * esize }, o,
			     depth + 1);
		}
		put(o, "]");
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		dump_members(b, t, d, o, depth);
		break;
	case BTF_KIND_DATASEC: {
		const struct btf_secinfo *vi = (const void *)(t + 1);

		put(o, "{");
		for (unsigned int i = 0; i < VLEN(t); i++) {
			const struct btf_type *var = type_by_id(b, vi[i].type);

			put(o, "%s\"%s\": ", i ? ", " : "", var ? name_of(b, var->name_off) : "?");
			if (vi[i].offset <= d.len)
				dump(b, vi[i].type, (struct span){ d.p + vi[i].offset,
								   d.len - vi[i].offset }, o, depth + 1);
			else
				put(o, "\"?\"");
		}
		put(o, "}");
		break;
	}
	case BTF_KIND_VAR:
		dump(b, t->size_or_type, d, o, depth + 1);
		break;
	default:
		put(o, "\"?\"");
		break;
	}
}

int bpf_map_btf_format(const struct bpf_map *map, bool key, const void *data, char *buf,
		       size_t len)
{
	uint32_t id = key ? map->btf_key_type_id : map->btf_value_type_id;
	struct out o = { buf, len, 0 };

	if (!map->btf || !id)
		return -ENOENT;
	if (len)
		buf[0] = '\0';
	dump(map->btf, id, (struct span){ data, key ? map->key_size : map->value_size }, &o, 0);
	return (int)o.pos;
}
