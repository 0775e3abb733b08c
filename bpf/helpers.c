/*
 * The helper table, and the helpers that need nothing but maps: map access,
 * ring buffer output and csum_diff. Semantics and return values follow
 * Linux's helpers of the same names (uapi/linux/bpf.h documents them).
 * Arguments arrive as the program's registers; the verifier has checked
 * their types, so a pointer here is a pointer of the promised kind.
 */
#include "map_internal.h"
#include "lib.h"
#include "kerrno.h"

#define PTR(x)		((void *)(uintptr_t)(x))
#define ALL_TYPES	(BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE) | BPF_PROG_MASK(BPF_PROG_TYPE_XDP))

static uint64_t map_lookup_elem(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	struct bpf_map *m = PTR(map);

	(void)r3, (void)r4, (void)r5;
	return (uintptr_t)m->ops->map_lookup_elem(m, PTR(key));
}

static uint64_t map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags,
				uint64_t r5)
{
	struct bpf_map *m = PTR(map);

	(void)r5;
	return (uint64_t)(int64_t)m->ops->map_update_elem(m, PTR(key), PTR(value), flags);
}

static uint64_t map_delete_elem(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	struct bpf_map *m = PTR(map);

	(void)r3, (void)r4, (void)r5;
	return (uint64_t)(int64_t)m->ops->map_delete_elem(m, PTR(key));
}

static uint64_t ringbuf_reserve_helper(uint64_t map, uint64_t size, uint64_t flags, uint64_t r4,
				       uint64_t r5)
{
	(void)r4, (void)r5;
	if (flags)
		return 0;
	return (uintptr_t)ringbuf_reserve(PTR(map), size);
}

static uint64_t ringbuf_submit(uint64_t data, uint64_t flags, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)flags, (void)r3, (void)r4, (void)r5;
	ringbuf_commit(PTR(data), false);
	return 0;
}

static uint64_t ringbuf_discard(uint64_t data, uint64_t flags, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)flags, (void)r3, (void)r4, (void)r5;
	ringbuf_commit(PTR(data), true);
	return 0;
}

static uint64_t ringbuf_output(uint64_t map, uint64_t data, uint64_t size, uint64_t flags,
			       uint64_t r5)
{
	void *rec;

	(void)flags, (void)r5;
	rec = ringbuf_reserve(PTR(map), size);
	if (!rec)
		return (uint64_t)-EAGAIN;
	memcpy(rec, PTR(data), size);
	ringbuf_commit(rec, false);
	return 0;
}

/*
 * The one's-complement sum of the 32-bit words of to, minus those of from,
 * plus seed: what a program folds into a checksum update. Sizes are
 * multiples of 4 up to 512, as in Linux.
 */
static uint64_t csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size,
			  uint64_t seed)
{
	uint64_t sum = (uint32_t)seed;
	uint32_t w;

	if ((from_size | to_size) & 3 || from_size > 512 || to_size > 512 ||
	    (from_size && !from) || (to_size && !to))
		return (uint64_t)-EINVAL;
	for (uint64_t i = 0; i < from_size; i += 4) {
		memcpy(&w, (const uint8_t *)PTR(from) + i, 4);
		sum += (uint32_t)~w;
	}
	for (uint64_t i = 0; i < to_size; i += 4) {
		memcpy(&w, (const uint8_t *)PTR(to) + i, 4);
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return sum;
}

static bpf_helper_fn helper_fns[BPF_MAX_HELPERS] = {
	[BPF_FUNC_map_lookup_elem] = map_lookup_elem,
	[BPF_FUNC_map_update_elem] = map_update_elem,
	[BPF_FUNC_map_delete_elem] = map_delete_elem,
	[BPF_FUNC_csum_diff] = csum_diff,
	[BPF_FUNC_ringbuf_output] = ringbuf_output,
	[BPF_FUNC_ringbuf_reserve] = ringbuf_reserve_helper,
	[BPF_FUNC_ringbuf_submit] = ringbuf_submit,
	[BPF_FUNC_ringbuf_discard] = ringbuf_discard,
};

static struct bpf_helper_info helper_infos[BPF_MAX_HELPERS] = {
	[BPF_FUNC_map_lookup_elem] = { "map_lookup_elem", ALL_TYPES },
	[BPF_FUNC_map_update_elem] = { "map_update_elem", ALL_TYPES },
	[BPF_FUNC_map_delete_elem] = { "map_delete_elem", ALL_TYPES },
	[BPF_FUNC_tail_call] = { "tail_call", ALL_TYPES },
	[BPF_FUNC_csum_diff] = { "csum_diff", BPF_PROG_MASK(BPF_PROG_TYPE_XDP) },
	[BPF_FUNC_ringbuf_output] = { "ringbuf_output", ALL_TYPES },
	[BPF_FUNC_ringbuf_reserve] = { "ringbuf_reserve", ALL_TYPES },
	[BPF_FUNC_ringbuf_submit] = { "ringbuf_submit", ALL_TYPES },
	[BPF_FUNC_ringbuf_discard] = { "ringbuf_discard", ALL_TYPES },
};

int bpf_helper_register(enum bpf_func_id id, const char *name, bpf_helper_fn fn,
			uint32_t prog_types)
{
	if ((uint32_t)id >= BPF_MAX_HELPERS || !fn || !name)
		return -EINVAL;
	if (helper_infos[id].name)
		return -EEXIST;
	helper_fns[id] = fn;
	helper_infos[id].prog_types = prog_types;
	__atomic_store_n(&helper_infos[id].name, name, __ATOMIC_RELEASE);
	return 0;
}

const bpf_helper_fn *bpf_helper_table(void)
{
	return helper_fns;
}

const struct bpf_helper_info *bpf_helper_info(uint32_t id)
{
	if (id >= BPF_MAX_HELPERS || !helper_infos[id].name)
		return NULL;
	return &helper_infos[id];
}
