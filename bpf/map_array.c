/*
 * Array-shaped maps: array, per-CPU array, prog array and devmap. Keys are
 * u32 indexes below max_entries; every element exists from creation (zeroed)
 * and cannot be deleted, except a prog array's or devmap's slot, which
 * deleting empties. Per-CPU arrays keep one copy of each value per CPU,
 * CPU-major, so a program only ever writes its own CPU's lines.
 */
#include "map_internal.h"
#include "lib.h"
#include "kerrno.h"

struct bpf_array {
	struct bpf_map map;
	uint32_t elem_size;		/* value size rounded up to 8 */
	uint32_t nr_copies;		/* CPUs for a per-CPU array, else 1 */
	uint8_t *values;
};

static struct bpf_array *to_array(struct bpf_map *map)
{
	return (struct bpf_array *)map;	/* map is the first member */
}

static bool index_of(const struct bpf_map *map, const void *key, uint32_t *idx)
{
	memcpy(idx, key, sizeof(*idx));
	return *idx < map->max_entries;
}

static void *elem(struct bpf_array *a, uint32_t idx, unsigned int cpu)
{
	return a->values + ((size_t)cpu * a->map.max_entries + idx) * a->elem_size;
}

static void *array_lookup(struct bpf_map *map, const void *key)
{
	struct bpf_array *a = to_array(map);
	uint32_t idx;

	if (!index_of(map, key, &idx))
		return NULL;
	return elem(a, idx, a->nr_copies > 1 ? bpf_this_cpu() : 0);
}

static void *array_lookup_percpu(struct bpf_map *map, const void *key, unsigned int cpu)
{
	struct bpf_array *a = to_array(map);
	uint32_t idx;

	if (a->nr_copies == 1 || cpu >= a->nr_copies || !index_of(map, key, &idx))
		return NULL;
	return elem(a, idx, cpu);
}

static int array_update(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (!index_of(map, key, &idx))
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;		/* every element exists */
	memcpy(array_lookup(map, key), value, map->value_size);
	return 0;
}

/* Prog arrays and devmaps: a slot holds a program pointer or an ifindex; 0 is empty. */
static int slot_update(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	struct bpf_array *a = to_array(map);
	uint32_t idx;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (!index_of(map, key, &idx))
		return -E2BIG;
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpf_prog *prog;

		memcpy(&prog, value, sizeof(prog));
		__atomic_store_n((struct bpf_prog **)elem(a, idx, 0), prog, __ATOMIC_RELEASE);
	} else {
		memcpy(elem(a, idx, 0), value, map->value_size);
	}
	return 0;
}

static int array_delete(struct bpf_map *map, const void *key)
{
	struct bpf_array *a = to_array(map);
	uint32_t idx;

	if (map->map_type != BPF_MAP_TYPE_PROG_ARRAY && map->map_type != BPF_MAP_TYPE_DEVMAP)
		return -EINVAL;
	if (!index_of(map, key, &idx))
		return -ENOENT;
	if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY)
		__atomic_store_n((struct bpf_prog **)elem(a, idx, 0), NULL, __ATOMIC_RELEASE);
	else
		memset(elem(a, idx, 0), 0, map->value_size);
	return 0;
}

static int array_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	uint32_t idx, next = 0;

	/* after an index out of range, start again from 0 (as Linux) */
	if (key && index_of(map, key, &idx))
		next = idx + 1;
	if (next >= map->max_entries)
		return -ENOENT;
	memcpy(next_key, &next, sizeof(next));
	return 0;
}

static void *array_direct_value(struct bpf_map *map, uint32_t off)
{
	if (map->max_entries != 1 || off >= map->value_size)
		return NULL;
	return to_array(map)->values + off;
}

static void array_free(struct bpf_map *map)
{
	bpf_free(to_array(map)->values);
	bpf_free(map);
}

static const struct bpf_map_ops array_ops = {
	.map_lookup_elem = array_lookup,
	.map_lookup_percpu_elem = array_lookup_percpu,
	.map_update_elem = array_update,
	.map_delete_elem = array_delete,
	.map_get_next_key = array_next_key,
	.map_direct_value = array_direct_value,
	.map_free = array_free,
};

static const struct bpf_map_ops slot_ops = {
	.map_lookup_elem = array_lookup,
	.map_update_elem = slot_update,
	.map_delete_elem = array_delete,
	.map_get_next_key = array_next_key,
	.map_free = array_free,
};

struct bpf_map *array_map_alloc(const struct bpf_map_spec *spec, int *err)
{
	bool slots = spec->map_type == BPF_MAP_TYPE_PROG_ARRAY ||
		     spec->map_type == BPF_MAP_TYPE_DEVMAP;
	struct bpf_array *a;
	uint64_t bytes;

	*err = -EINVAL;
	if (spec->key_size != 4 || spec->value_size == 0 || spec->max_entries == 0)
		return NULL;
	if (spec->map_type == BPF_MAP_TYPE_PROG_ARRAY && spec->value_size != 4)
		return NULL;
	if (spec->map_type == BPF_MAP_TYPE_DEVMAP && spec->value_size != 4 && spec->value_size != 8)
		return NULL;
	a = bpf_zalloc(sizeof(*a));
	*err = -ENOMEM;
	if (!a)
		return NULL;
	bpf_map_init(&a->map, slots ? &slot_ops : &array_ops, spec);
	/* a prog array stores pointers where Linux's takes fds */
	a->elem_size = spec->map_type == BPF_MAP_TYPE_PROG_ARRAY ? sizeof(void *) :
		       BPF_VALUE_ALIGN(spec->value_size);
	a->nr_copies = spec->map_type == BPF_MAP_TYPE_PERCPU_ARRAY ? bpf_nr_cpus() : 1;
	bytes = (uint64_t)a->elem_size * spec->max_entries * a->nr_copies;
	if (bytes > (64u << 20) || !(a->values = bpf_zalloc((size_t)bytes))) {
		*err = bytes > (64u << 20) ? -E2BIG : -ENOMEM;
		bpf_free(a);
		return NULL;
	}
	*err = 0;
	return &a->map;
}
