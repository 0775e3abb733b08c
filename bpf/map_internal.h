/* Private to bpf/map*.c: each map type's constructor. */
#ifndef KP_BPF_MAP_INTERNAL_H
#define KP_BPF_MAP_INTERNAL_H

#include "bpf.h"

/* Values are laid out 8-byte aligned, as Linux does. */
#define BPF_VALUE_ALIGN(n)	(((n) + 7u) & ~7u)

struct bpf_map *array_map_alloc(const struct bpf_map_spec *spec, int *err);
struct bpf_map *hash_map_alloc(const struct bpf_map_spec *spec, int *err);
struct bpf_map *ringbuf_map_alloc(const struct bpf_map_spec *spec, int *err);

/* Ring buffer producer side, for the helpers: NULL when there is no room. */
void *ringbuf_reserve(struct bpf_map *map, uint64_t size);
void ringbuf_commit(void *sample, bool discard);

/* Fill the fields every map has from spec. */
void bpf_map_init(struct bpf_map *map, const struct bpf_map_ops *ops,
		  const struct bpf_map_spec *spec);

#endif
