/*
 * Private to bpf/: BTF as the loader reads it (bpf/btf.c) and the console
 * prints map keys and values with it (bpf/btf_dump.c). Only the kinds and
 * records that clang writes for BPF objects; the format is Linux's
 * (Documentation/bpf/btf.rst).
 */
#ifndef KP_BPF_BTF_H
#define KP_BPF_BTF_H

#include <stddef.h>
#include <stdint.h>

#define MAX_CHAIN	32	/* typedef/const/volatile/pointer hops, nesting */

#define BTF_MAGIC	0xeb9f

enum {
	BTF_KIND_INT = 1, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION,
	BTF_KIND_ENUM, BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST,
	BTF_KIND_RESTRICT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR, BTF_KIND_DATASEC,
	BTF_KIND_FLOAT, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64,
};

struct btf_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_type {
	uint32_t name_off, info, size_or_type;
};

struct btf_member {
	uint32_t name_off, type, offset;
};

struct btf_array {
	uint32_t type, index_type, nelems;
};

struct btf_secinfo {
	uint32_t type, offset, size;
};

#define KIND(t)		(((t)->info >> 24) & 0x1f)
#define VLEN(t)		((t)->info & 0xffff)

#define KFLAG(t)	((t)->info >> 31)

/* A checked BTF blob (an aligned copy of the object's .BTF) and its types by id. */
struct btf {
	const struct btf_type **types;	/* [0] is void */
	uint32_t nr_types;
	const char *strs;
	uint32_t str_len;
	uint8_t *blob;
};

struct btf_enum {
	uint32_t name_off;
	int32_t val;
};

/* Copy and check a .BTF section; NULL if it is malformed or memory is short. */
struct btf *btf_load(const void *data, size_t size);
void btf_free(struct btf *b);
/* NULL for 0 or an id out of range. */
const struct btf_type *type_by_id(const struct btf *b, uint32_t id);
const char *name_of(const struct btf *b, uint32_t off);
/* id's type with typedef, const, volatile, restrict and type tags skipped. */
const struct btf_type *btf_strip(const struct btf *b, uint32_t id);
/* Bytes of a sized type (int, struct, array...): 0 or -EINVAL. */
int btf_type_size(const struct btf *b, uint32_t id, uint32_t *size);
/* The DATASEC of that name (".rodata"...), or 0. */
uint32_t btf_find_datasec(const struct btf *b, const char *name);

#endif
