/*
 * The ring buffer map (BPF_MAP_TYPE_RINGBUF): max_entries bytes, a power of
 * two and a multiple of 4096 as in Linux, shared by all CPUs. Producers
 * reserve a record under the lock, fill it without the lock and commit it;
 * the consumer walks committed records in order and stops at the first one
 * still being written. A record never wraps: one that would cross the end
 * is preceded by a discarded filler up to the end (Linux maps the data twice
 * instead; records are the same to programs).
 */
#include "map_internal.h"
#include "lib.h"
#include "kerrno.h"

#define RB_BUSY		(1u << 31)
#define RB_DISCARD	(1u << 30)
#define RB_HDR		8u

struct rb_hdr {
	uint32_t len;			/* payload bytes, RB_BUSY, RB_DISCARD */
	uint32_t pad;
};

struct bpf_ringbuf {
	struct bpf_map map;
	uint32_t lock;
	uint64_t cons, prod;		/* byte positions, never wrapped */
	uint8_t *data;
};

static struct bpf_ringbuf *to_rb(struct bpf_map *map)
{
	return (struct bpf_ringbuf *)map;
}

static struct rb_hdr *hdr_at(struct bpf_ringbuf *rb, uint64_t pos)
{
	return (struct rb_hdr *)(rb->data + (pos & (rb->map.max_entries - 1)));
}

void *ringbuf_reserve(struct bpf_map *map, uint64_t size)
{
	struct bpf_ringbuf *rb = to_rb(map);
	uint64_t need = BPF_VALUE_ALIGN(size + RB_HDR), cons, irq;
	uint32_t room = map->max_entries;
	struct rb_hdr *h = NULL;

	if (size == 0 || need > room / 2)
		return NULL;
	irq = bpf_lock(&rb->lock);
	cons = __atomic_load_n(&rb->cons, __ATOMIC_ACQUIRE);
	{
		uint64_t to_end = room - (rb->prod & (room - 1));
		uint64_t filler = to_end < need ? to_end : 0;

		if (rb->prod + filler + need - cons <= room) {
			if (filler) {
				hdr_at(rb, rb->prod)->len = (uint32_t)(filler - RB_HDR) | RB_DISCARD;
				rb->prod += filler;
			}
			h = hdr_at(rb, rb->prod);
			h->len = (uint32_t)size | RB_BUSY;
			__atomic_store_n(&rb->prod, rb->prod + need, __ATOMIC_RELEASE);
		}
	}
	bpf_unlock(&rb->lock, irq);
	return h ? (uint8_t *)h + RB_HDR : NULL;
}

void ringbuf_commit(void *sample, bool discard)
{
	struct rb_hdr *h = (struct rb_hdr *)((uint8_t *)sample - RB_HDR);
	uint32_t len = h->len & ~RB_BUSY;

	__atomic_store_n(&h->len, discard ? len | RB_DISCARD : len, __ATOMIC_RELEASE);
}

int bpf_ringbuf_consume(struct bpf_map *map, void (*fn)(const void *data, uint32_t len, void *arg),
			void *arg)
{
	struct bpf_ringbuf *rb = to_rb(map);
	uint64_t prod = __atomic_load_n(&rb->prod, __ATOMIC_ACQUIRE);
	int n = 0;

	if (map->map_type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	while (rb->cons < prod) {
		struct rb_hdr *h = hdr_at(rb, rb->cons);
		uint32_t len = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);

		if (len & RB_BUSY)
			break;
		if (!(len & RB_DISCARD)) {
			fn((uint8_t *)h + RB_HDR, len, arg);
			n++;
		}
		__atomic_store_n(&rb->cons, rb->cons + BPF_VALUE_ALIGN((len & ~RB_DISCARD) + RB_HDR),
				 __ATOMIC_RELEASE);
	}
	return n;
}

static void *rb_no_lookup(struct bpf_map *map, const void *key)
{
	(void)map, (void)key;
	return NULL;
}

static int rb_no_update(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EOPNOTSUPP;
}

static int rb_no_delete(struct bpf_map *map, const void *key)
{
	(void)map, (void)key;
	return -EOPNOTSUPP;
}

static int rb_no_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	(void)map, (void)key, (void)next_key;
	return -EOPNOTSUPP;
}

static void rb_free(struct bpf_map *map)
{
	bpf_free(to_rb(map)->data);
	bpf_free(map);
}

static const struct bpf_map_ops ringbuf_ops = {
	.map_lookup_elem = rb_no_lookup,
	.map_update_elem = rb_no_update,
	.map_delete_elem = rb_no_delete,
	.map_get_next_key = rb_no_next_key,
	.map_free = rb_free,
};

struct bpf_map *ringbuf_map_alloc(const struct bpf_map_spec *spec, int *err)
{
	struct bpf_ringbuf *rb;
	uint32_t n = spec->max_entries;

	*err = -EINVAL;
	if (spec->key_size || spec->value_size || n < 4096 || n > (16u << 20) || (n & (n - 1)))
		return NULL;
	*err = -ENOMEM;
	rb = bpf_zalloc(sizeof(*rb));
	if (!rb)
		return NULL;
	rb->data = bpf_zalloc(n);
	if (!rb->data) {
		bpf_free(rb);
		return NULL;
	}
	bpf_map_init(&rb->map, &ringbuf_ops, spec);
	*err = 0;
	return &rb->map;
}
