/*
 * Map creation and the names of map types: the one place that knows which
 * constructor builds which type. Ids are unique per boot, as Linux's.
 */
#include "map_internal.h"
#include "lib.h"
#include "kerrno.h"

static const struct {
	enum bpf_map_type type;
	const char *name;
	struct bpf_map *(*alloc)(const struct bpf_map_spec *spec, int *err);
} map_types[] = {
	{ BPF_MAP_TYPE_HASH, "hash", hash_map_alloc },
	{ BPF_MAP_TYPE_ARRAY, "array", array_map_alloc },
	{ BPF_MAP_TYPE_PROG_ARRAY, "prog_array", array_map_alloc },
	{ BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", hash_map_alloc },
	{ BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", array_map_alloc },
	{ BPF_MAP_TYPE_LRU_HASH, "lru_hash", hash_map_alloc },
	{ BPF_MAP_TYPE_DEVMAP, "devmap", array_map_alloc },
	{ BPF_MAP_TYPE_RINGBUF, "ringbuf", ringbuf_map_alloc },
};

static uint32_t next_map_id;

const char *bpf_map_type_name(enum bpf_map_type type)
{
	for (size_t i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++)
		if (map_types[i].type == type)
			return map_types[i].name;
	return NULL;
}

void bpf_map_init(struct bpf_map *map, const struct bpf_map_ops *ops,
		  const struct bpf_map_spec *spec)
{
	map->ops = ops;
	map->map_type = spec->map_type;
	map->key_size = spec->key_size;
	map->value_size = spec->value_size;
	map->max_entries = spec->max_entries;
	map->map_flags = spec->map_flags;
	map->id = __atomic_add_fetch(&next_map_id, 1, __ATOMIC_RELAXED);
	snprintf(map->name, sizeof(map->name), "%s", spec->name ? spec->name : "");
}

struct bpf_map *bpf_map_create(const struct bpf_map_spec *spec, int *err)
{
	for (size_t i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++)
		if (map_types[i].type == spec->map_type)
			return map_types[i].alloc(spec, err);
	*err = -EINVAL;
	return NULL;
}

void bpf_map_free(struct bpf_map *map)
{
	if (map)
		map->ops->map_free(map);
}
