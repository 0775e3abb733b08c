/*
 * Hash maps: hash, per-CPU hash and LRU hash. All max_entries elements are
 * allocated at creation (Linux's default, preallocation), so an update from a
 * program never allocates and an element a reader still holds stays valid
 * memory after a delete (it may be reused, as in Linux). Writers take the
 * map's lock with interrupts off; readers take none: an insert is published
 * with a release store at the head of its bucket, a delete unlinks with one
 * store, so a reader walking a chain always sees a well-formed list.
 *
 * The LRU map stamps an element on each lookup or update; when full, an
 * update replaces the element with the oldest stamp (a scan: exact LRU, paid
 * only by an update into a full map).
 */
#include "map_internal.h"
#include "lib.h"
#include "kerrno.h"

struct htab_elem {
	struct htab_elem *next;
	uint32_t hash;
	uint64_t stamp;			/* LRU: last use */
	uint8_t data[];			/* key (aligned to 8), then the value(s) */
};

struct bpf_htab {
	struct bpf_map map;
	uint32_t lock;
	uint32_t nr_buckets;		/* a power of two */
	uint32_t key_room, value_room;	/* sizes rounded to 8 */
	uint32_t elem_size, nr_copies;
	uint32_t count;
	uint64_t clock;			/* LRU stamps */
	struct htab_elem **buckets;
	struct htab_elem *free_list;
	uint8_t *elems;
};

static struct bpf_htab *to_htab(struct bpf_map *map)
{
	return (struct bpf_htab *)map;
}

/* FNV-1a: keys are small and arbitrary bytes. */
static uint32_t hash_key(const void *key, uint32_t len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void *value_of(struct bpf_htab *h, struct htab_elem *e, unsigned int cpu)
{
	return e->data + h->key_room + (size_t)cpu * h->value_room;
}

static struct htab_elem *find(struct bpf_htab *h, const void *key, uint32_t hash,
			      struct htab_elem ***link)
{
	struct htab_elem **pp = &h->buckets[hash & (h->nr_buckets - 1)], *e;

	while ((e = __atomic_load_n(pp, __ATOMIC_ACQUIRE)) != NULL) {
		if (e->hash == hash && !memcmp(e->data, key, h->map.key_size)) {
			if (link)
				*link = pp;
			return e;
		}
		pp = &e->next;
	}
	return NULL;
}

static void touch(struct bpf_htab *h, struct htab_elem *e)
{
	if (h->map.map_type == BPF_MAP_TYPE_LRU_HASH)
		e->stamp = __atomic_add_fetch(&h->clock, 1, __ATOMIC_RELAXED);
}

static void *htab_lookup(struct bpf_map *map, const void *key)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e = find(h, key, hash_key(key, map->key_size), NULL);

	if (!e)
		return NULL;
	touch(h, e);
	return value_of(h, e, h->nr_copies > 1 ? bpf_this_cpu() : 0);
}

static void *htab_lookup_percpu(struct bpf_map *map, const void *key, unsigned int cpu)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e;

	if (h->nr_copies == 1 || cpu >= h->nr_copies)
		return NULL;
	e = find(h, key, hash_key(key, map->key_size), NULL);
	return e ? value_of(h, e, cpu) : NULL;
}

static void unlink_elem(struct bpf_htab *h, struct htab_elem **link, struct htab_elem *e)
{
	__atomic_store_n(link, e->next, __ATOMIC_RELEASE);
	e->next = h->free_list;
	h->free_list = e;
	h->count--;
}

/* The least recently used element, for an LRU map that is full. */
static void evict_oldest(struct bpf_htab *h)
{
	struct htab_elem *old = NULL, **link;

	for (uint32_t b = 0; b < h->nr_buckets; b++)
		for (struct htab_elem *e = h->buckets[b]; e; e = e->next)
			if (!old || e->stamp < old->stamp)
				old = e;
	if (old && find(h, old->data, old->hash, &link))
		unlink_elem(h, link, old);
}

static int htab_update(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	struct bpf_htab *h = to_htab(map);
	uint32_t hash = hash_key(key, map->key_size);
	struct htab_elem *e, **link, **bucket;
	uint64_t irq;
	int err = 0;

	if (flags > BPF_EXIST)
		return -EINVAL;
	irq = bpf_lock(&h->lock);
	e = find(h, key, hash, &link);
	if (e && flags == BPF_NOEXIST) {
		err = -EEXIST;
	} else if (!e && flags == BPF_EXIST) {
		err = -ENOENT;
	} else if (e) {
		/* in place, as Linux's per-CPU and preallocated maps do */
		memcpy(value_of(h, e, h->nr_copies > 1 ? bpf_this_cpu() : 0), value, map->value_size);
		touch(h, e);
	} else {
		if (!h->free_list && map->map_type == BPF_MAP_TYPE_LRU_HASH)
			evict_oldest(h);
		e = h->free_list;
		if (!e) {
			err = -E2BIG;
		} else {
			h->free_list = e->next;
			h->count++;
			e->hash = hash;
			memcpy(e->data, key, map->key_size);
			memset(e->data + h->key_room, 0, (size_t)h->value_room * h->nr_copies);
			memcpy(value_of(h, e, h->nr_copies > 1 ? bpf_this_cpu() : 0), value,
			       map->value_size);
			touch(h, e);
			bucket = &h->buckets[hash & (h->nr_buckets - 1)];
			e->next = *bucket;
			__atomic_store_n(bucket, e, __ATOMIC_RELEASE);
		}
	}
	bpf_unlock(&h->lock, irq);
	return err;
}

static int htab_delete(struct bpf_map *map, const void *key)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e, **link;
	uint64_t irq = bpf_lock(&h->lock);

	e = find(h, key, hash_key(key, map->key_size), &link);
	if (e)
		unlink_elem(h, link, e);
	bpf_unlock(&h->lock, irq);
	return e ? 0 : -ENOENT;
}

/* Bucket order, then chain order; an unknown key restarts from the first. */
static int htab_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e = NULL;
	uint32_t b = 0;

	if (key) {
		uint32_t hash = hash_key(key, map->key_size);

		e = find(h, key, hash, NULL);
		if (e) {
			b = hash & (h->nr_buckets - 1);
			e = e->next;
			if (!e)
				b++;
		}
	}
	for (; !e && b < h->nr_buckets; b++)
		e = __atomic_load_n(&h->buckets[b], __ATOMIC_ACQUIRE);
	if (!e)
		return -ENOENT;
	memcpy(next_key, e->data, map->key_size);
	return 0;
}

static void htab_free(struct bpf_map *map)
{
	struct bpf_htab *h = to_htab(map);

	bpf_free(h->buckets);
	bpf_free(h->elems);
	bpf_free(h);
}

static const struct bpf_map_ops htab_ops = {
	.map_lookup_elem = htab_lookup,
	.map_lookup_percpu_elem = htab_lookup_percpu,
	.map_update_elem = htab_update,
	.map_delete_elem = htab_delete,
	.map_get_next_key = htab_next_key,
	.map_free = htab_free,
};

struct bpf_map *hash_map_alloc(const struct bpf_map_spec *spec, int *err)
{
	struct bpf_htab *h;
	uint64_t bytes;

	*err = -EINVAL;
	if (!spec->key_size || spec->key_size > 512 || !spec->value_size ||
	    spec->value_size > (1u << 20) || !spec->max_entries || spec->max_entries > (1u << 20))
		return NULL;
	*err = -ENOMEM;
	h = bpf_zalloc(sizeof(*h));
	if (!h)
		return NULL;
	bpf_map_init(&h->map, &htab_ops, spec);
	h->nr_copies = spec->map_type == BPF_MAP_TYPE_PERCPU_HASH ? bpf_nr_cpus() : 1;
	h->key_room = BPF_VALUE_ALIGN(spec->key_size);
	h->value_room = BPF_VALUE_ALIGN(spec->value_size);
	h->elem_size = sizeof(struct htab_elem) + h->key_room + h->value_room * h->nr_copies;
	h->nr_buckets = 1;
	while (h->nr_buckets < spec->max_entries)
		h->nr_buckets <<= 1;
	bytes = (uint64_t)h->elem_size * spec->max_entries;
	if (bytes > (64u << 20)) {
		*err = -E2BIG;
		bpf_free(h);
		return NULL;
	}
	h->buckets = bpf_zalloc(h->nr_buckets * sizeof(*h->buckets));
	h->elems = bpf_zalloc((size_t)bytes);
	if (!h->buckets || !h->elems) {
		htab_free(&h->map);
		return NULL;
	}
	for (uint32_t i = spec->max_entries; i-- > 0;) {
		struct htab_elem *e = (struct htab_elem *)(h->elems + (size_t)i * h->elem_size);

		e->next = h->free_list;
		h->free_list = e;
	}
	*err = 0;
	return &h->map;
}
