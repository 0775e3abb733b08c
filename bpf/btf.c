/*
 * Just enough BTF to read a BTF-defined map: find the variable in the
 * ".maps" data section, then read its struct's members the way libbpf's
 * __uint() and __type() macros encode them: __uint(name, N) is a pointer to
 * an array of N elements, __type(name, T) a pointer to T (the size of T is
 * the key or value size). Every type id and offset is checked before use.
 */
#include "elf.h"
#include "btf.h"
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

#define MAX_TYPES	32768

/* Bytes that follow a type's common part. */
static size_t extra_size(const struct btf_type *t)
{
	switch (KIND(t)) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
		return VLEN(t) * 12u;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO:
		return VLEN(t) * 8u;
	case BTF_KIND_ENUM64:
		return VLEN(t) * 12u;
	default:
		return 0;
	}
}

/* Check the blob and index its types (b->types allocated here). */
static int btf_parse(struct btf *b, const uint8_t *data, size_t size)
{
	const struct btf_header *h = (const void *)data;
	const uint8_t *p, *start, *end;
	uint32_t n = 1;

	/* every BTF record is 4-byte aligned; a section that is not is corrupt */
	if (((uintptr_t)data & 3) || size < sizeof(*h) || h->magic != BTF_MAGIC ||
	    h->hdr_len < sizeof(*h) ||
	    h->hdr_len > size)
		return -EINVAL;
	if ((uint64_t)h->hdr_len + h->type_off + h->type_len > size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > size || h->str_len == 0)
		return -EINVAL;
	b->strs = (const char *)data + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	if (b->strs[b->str_len - 1])
		return -EINVAL;
	start = data + h->hdr_len + h->type_off;
	end = start + h->type_len;
	for (p = start; p < end; n++) {
		const struct btf_type *t = (const void *)p;

		if (((uintptr_t)p & 3) || (size_t)(end - p) < sizeof(*t) ||
		    n == MAX_TYPES || (size_t)(end - p) - sizeof(*t) < extra_size(t))
			return -EINVAL;
		p += sizeof(*t) + extra_size(t);
	}
	b->types = bpf_zalloc(n * sizeof(*b->types));
	if (!b->types)
		return -ENOMEM;
	b->nr_types = 1;
	for (p = start; p < end; p += sizeof(struct btf_type) + extra_size((const void *)p))
		b->types[b->nr_types++] = (const void *)p;
	return 0;
}

struct btf *btf_load(const void *data, size_t size)
{
	/* a copy: the section may sit at any alignment inside the object */
	struct btf *b = bpf_zalloc(sizeof(*b));

	if (!b)
		return NULL;
	b->blob = bpf_zalloc(size ? size : 1);
	if (!b->blob || (memcpy(b->blob, data, size), btf_parse(b, b->blob, size))) {
		btf_free(b);
		return NULL;
	}
	return b;
}

void btf_free(struct btf *b)
{
	if (!b)
		return;
	bpf_free(b->types);
	bpf_free(b->blob);
	bpf_free(b);
}

const struct btf_type *type_by_id(const struct btf *b, uint32_t id)
{
	return id && id < b->nr_types ? b->types[id] : NULL;
}

const char *name_of(const struct btf *b, uint32_t off)
{
	return off < b->str_len ? b->strs + off : "";
}

/* Skip typedef, const, volatile, restrict and type tags. */
const struct btf_type *btf_strip(const struct btf *b, uint32_t id)
{
	const struct btf_type *t = type_by_id(b, id);

	for (int i = 0; t && i < MAX_CHAIN; i++) {
		switch (KIND(t)) {
		case BTF_KIND_TYPEDEF: case BTF_KIND_CONST: case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
			t = type_by_id(b, t->size_or_type);
			continue;
		}
		return t;
	}
	return NULL;
}

static int type_size(const struct btf *b, uint32_t id, uint32_t *size, int depth)
{
	const struct btf_type *t = btf_strip(b, id);
	const struct btf_array *a;
	uint32_t elem;

	if (!t || depth > MAX_CHAIN)
		return -EINVAL;
	switch (KIND(t)) {
	case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: case BTF_KIND_FLOAT: case BTF_KIND_DATASEC:
		*size = t->size_or_type;
		return 0;
	case BTF_KIND_PTR:
		*size = 8;
		return 0;
	case BTF_KIND_ARRAY:
		a = (const void *)(t + 1);
		if (type_size(b, a->type, &elem, depth + 1) || (uint64_t)elem * a->nelems > UINT32_MAX)
			return -EINVAL;
		*size = elem * a->nelems;
		return 0;
	}
	return -EINVAL;
}

int btf_type_size(const struct btf *b, uint32_t id, uint32_t *size)
{
	return type_size(b, id, size, 0);
}

/* __uint(name, N): pointer to array[N]. */
static int uint_member(const struct btf *b, uint32_t id, uint32_t *v)
{
	const struct btf_type *t = btf_strip(b, id), *arr;

	if (!t || KIND(t) != BTF_KIND_PTR)
		return -EINVAL;
	arr = btf_strip(b, t->size_or_type);
	if (!arr || KIND(arr) != BTF_KIND_ARRAY)
		return -EINVAL;
	*v = ((const struct btf_array *)(arr + 1))->nelems;
	return 0;
}

/* __type(name, T): pointer to T; *type_id is T's id, for printing values. */
static int type_member(const struct btf *b, uint32_t id, uint32_t *size, uint32_t *type_id)
{
	const struct btf_type *t = btf_strip(b, id);

	if (!t || KIND(t) != BTF_KIND_PTR)
		return -EINVAL;
	*type_id = t->size_or_type;
	return type_size(b, t->size_or_type, size, 0);
}

static int read_def(const struct btf *b, const struct btf_type *st, struct btf_map_def *def,
		    char *err, size_t errlen)
{
	const struct btf_member *m = (const void *)(st + 1);

	for (unsigned int i = 0; i < VLEN(st); i++) {
		const char *n = name_of(b, m[i].name_off);
		int e = -EINVAL;

		if (!strcmp(n, "type"))
			e = uint_member(b, m[i].type, &def->type);
		else if (!strcmp(n, "max_entries"))
			e = uint_member(b, m[i].type, &def->max_entries);
		else if (!strcmp(n, "map_flags"))
			e = uint_member(b, m[i].type, &def->map_flags);
		else if (!strcmp(n, "key_size"))
			e = uint_member(b, m[i].type, &def->key_size);
		else if (!strcmp(n, "value_size"))
			e = uint_member(b, m[i].type, &def->value_size);
		else if (!strcmp(n, "key"))
			e = type_member(b, m[i].type, &def->key_size, &def->key_type_id);
		else if (!strcmp(n, "value"))
			e = type_member(b, m[i].type, &def->value_size, &def->value_type_id);
		else
			snprintf(err, errlen, "map field '%s' is not supported", n);
		if (e) {
			if (!err[0])
				snprintf(err, errlen, "bad BTF for map field '%s'", n);
			return -EINVAL;
		}
	}
	return 0;
}

static int find_map(const struct btf *b, const char *name, struct btf_map_def *def,
		    char *err, size_t errlen)
{
	for (uint32_t id = 1; id < b->nr_types; id++) {
		const struct btf_type *sec = b->types[id];
		const struct btf_secinfo *vi = (const void *)(sec + 1);

		if (KIND(sec) != BTF_KIND_DATASEC || strcmp(name_of(b, sec->name_off), ".maps"))
			continue;
		for (unsigned int i = 0; i < VLEN(sec); i++) {
			const struct btf_type *var = type_by_id(b, vi[i].type), *st;

			if (!var || KIND(var) != BTF_KIND_VAR ||
			    strcmp(name_of(b, var->name_off), name))
				continue;
			st = btf_strip(b, var->size_or_type);
			if (!st || KIND(st) != BTF_KIND_STRUCT) {
				snprintf(err, errlen, "map '%s' is not a struct in BTF", name);
				return -EINVAL;
			}
			return read_def(b, st, def, err, errlen);
		}
	}
	return -ENOENT;
}

int btf_find_map(const struct btf *b, const char *name, struct btf_map_def *def,
		 char *err, size_t errlen)
{
	int ret;

	memset(def, 0, sizeof(*def));
	err[0] = '\0';
	ret = find_map(b, name, def, err, errlen);
	if (ret == -EINVAL && !err[0])
		snprintf(err, errlen, "bad BTF");
	return ret;
}

uint32_t btf_find_datasec(const struct btf *b, const char *name)
{
	for (uint32_t id = 1; id < b->nr_types; id++)
		if (KIND(b->types[id]) == BTF_KIND_DATASEC &&
		    !strcmp(name_of(b, b->types[id]->name_off), name))
			return id;
	return 0;
}
