/*
 * bpf/map*.c on the host: each map type's update flags, errors, iteration
 * and per-CPU copies; the hash map against a reference model under random
 * operations; LRU eviction order; ring buffer records, discards and wrap;
 * the map, ring buffer and csum_diff helpers called from a program.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "bpf.h"
#include "kerrno.h"
#include "../../bpf/map_internal.h"
#include "bpf_asm.h"

extern unsigned int bpf_host_cpu;

static struct bpf_map *make(enum bpf_map_type t, uint32_t ks, uint32_t vs, uint32_t n)
{
	struct bpf_map_spec spec = { t, ks, vs, n, 0, "m" };
	int err;
	struct bpf_map *m = bpf_map_create(&spec, &err);

	CHECK(m != NULL);
	CHECK_EQ(err, 0);
	return m;
}

static void t_array(void)
{
	struct bpf_map *m = make(BPF_MAP_TYPE_ARRAY, 4, 12, 4);
	uint32_t k = 2, next;
	uint8_t v[12] = { 1, 2, 3 }, *p;
	int n = 0;

	CHECK_EQ(m->ops->map_update_elem(m, &k, v, BPF_ANY), 0);
	p = m->ops->map_lookup_elem(m, &k);
	CHECK(p && p[0] == 1 && p[2] == 3);
	CHECK_EQ(m->ops->map_update_elem(m, &k, v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(m->ops->map_update_elem(m, &k, v, 7), -EINVAL);
	CHECK_EQ(m->ops->map_delete_elem(m, &k), -EINVAL);
	k = 4;
	CHECK(m->ops->map_lookup_elem(m, &k) == NULL);
	CHECK_EQ(m->ops->map_update_elem(m, &k, v, BPF_ANY), -E2BIG);
	for (int e = m->ops->map_get_next_key(m, NULL, &next); !e;
	     e = m->ops->map_get_next_key(m, &next, &next))
		n++;
	CHECK_EQ(n, 4);
	CHECK(m->ops->map_direct_value(m, 0) == NULL);	/* only single-value arrays */
	CHECK(m->ops->map_lookup_percpu_elem(m, &k, 0) == NULL);
	bpf_map_free(m);

	m = make(BPF_MAP_TYPE_ARRAY, 4, 20, 1);
	k = 0;
	CHECK(m->ops->map_direct_value(m, 8) == (uint8_t *)m->ops->map_lookup_elem(m, &k) + 8);
	CHECK(m->ops->map_direct_value(m, 20) == NULL);
	bpf_map_free(m);
}

static void t_percpu_array(void)
{
	struct bpf_map *m = make(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 3);
	uint32_t k = 1;
	uint64_t v = 11, *p;

	bpf_host_cpu = 0;
	CHECK_EQ(m->ops->map_update_elem(m, &k, &v, BPF_ANY), 0);
	bpf_host_cpu = 1;
	p = m->ops->map_lookup_elem(m, &k);
	CHECK(p && *p == 0);
	*p = 22;
	CHECK_EQ(*(uint64_t *)m->ops->map_lookup_percpu_elem(m, &k, 0), 11);
	CHECK_EQ(*(uint64_t *)m->ops->map_lookup_percpu_elem(m, &k, 1), 22);
	CHECK(m->ops->map_lookup_percpu_elem(m, &k, 2) == NULL);
	bpf_host_cpu = 0;
	bpf_map_free(m);
}

static void t_bad_specs(void)
{
	static const struct bpf_map_spec bad[] = {
		{ BPF_MAP_TYPE_ARRAY, 8, 4, 1, 0, "k" },
		{ BPF_MAP_TYPE_ARRAY, 4, 0, 1, 0, "v" },
		{ BPF_MAP_TYPE_HASH, 4, 4, 0, 0, "n" },
		{ BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0, "p" },
		{ BPF_MAP_TYPE_RINGBUF, 0, 0, 5000, 0, "r" },
		{ BPF_MAP_TYPE_RINGBUF, 4, 4, 4096, 0, "r" },
		{ 99, 4, 4, 4, 0, "t" },
	};
	int err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(bpf_map_create(&bad[i], &err) == NULL);
		CHECK_EQ(err, -EINVAL);
	}
	CHECK(bpf_map_create(&(struct bpf_map_spec){ BPF_MAP_TYPE_ARRAY, 4, 1 << 20, 1000, 0, "big" },
			     &err) == NULL);
	CHECK_EQ(err, -E2BIG);
}

static void t_hash_model(void)
{
	enum { N = 64, KEYS = 100 };
	struct bpf_map *m = make(BPF_MAP_TYPE_HASH, 4, 8, N);
	uint64_t model[KEYS];
	bool present[KEYS] = { false };
	int count = 0;
	uint32_t seed = 7;

	for (int i = 0; i < 200000; i++) {
		uint32_t k, op;
		uint64_t v, *p;
		int e;

		seed = seed * 1103515245 + 12345;
		k = (seed >> 8) % KEYS;
		op = (seed >> 20) % 4;
		v = seed;
		if (op == 0) {
			e = m->ops->map_delete_elem(m, &k);
			CHECK_EQ(e, present[k] ? 0 : -ENOENT);
			count -= present[k];
			present[k] = false;
		} else if (op == 1) {
			p = m->ops->map_lookup_elem(m, &k);
			CHECK(!p == !present[k]);
			if (p && present[k])
				CHECK(*p == model[k]);
		} else {
			uint64_t flags = (seed >> 24) % 3;

			e = m->ops->map_update_elem(m, &k, &v, flags);
			if (present[k]) {
				CHECK_EQ(e, flags == BPF_NOEXIST ? -EEXIST : 0);
			} else if (flags == BPF_EXIST) {
				CHECK_EQ(e, -ENOENT);
			} else {
				CHECK_EQ(e, count == N ? -E2BIG : 0);
			}
			if (!e) {
				count += !present[k];
				present[k] = true;
				model[k] = v;
			}
		}
		if (check_failed_now) {
			printf("    # failed at step %d\n", i);
			break;
		}
	}
	{
		uint32_t key, n = 0;

		for (int e = m->ops->map_get_next_key(m, NULL, &key); !e;
		     e = m->ops->map_get_next_key(m, &key, &key)) {
			CHECK(key < KEYS && present[key]);
			n++;
		}
		CHECK_EQ(n, count);
	}
	bpf_map_free(m);
}

static void t_percpu_and_lru_hash(void)
{
	struct bpf_map *m = make(BPF_MAP_TYPE_PERCPU_HASH, 8, 4, 4);
	uint64_t k = 5;
	uint32_t v = 9;

	bpf_host_cpu = 1;
	CHECK_EQ(m->ops->map_update_elem(m, &k, &v, BPF_ANY), 0);
	CHECK_EQ(*(uint32_t *)m->ops->map_lookup_percpu_elem(m, &k, 1), 9);
	CHECK_EQ(*(uint32_t *)m->ops->map_lookup_percpu_elem(m, &k, 0), 0);
	bpf_host_cpu = 0;
	bpf_map_free(m);

	m = make(BPF_MAP_TYPE_LRU_HASH, 4, 4, 3);
	for (uint32_t i = 1; i <= 3; i++)
		CHECK_EQ(m->ops->map_update_elem(m, &i, &i, BPF_ANY), 0);
	{
		uint32_t one = 1, four = 4, two = 2;

		CHECK(m->ops->map_lookup_elem(m, &one) != NULL);	/* 2 is now the oldest */
		CHECK_EQ(m->ops->map_update_elem(m, &four, &four, BPF_ANY), 0);
		CHECK(m->ops->map_lookup_elem(m, &two) == NULL);
		CHECK(m->ops->map_lookup_elem(m, &one) != NULL);
		CHECK(m->ops->map_lookup_elem(m, &four) != NULL);
	}
	bpf_map_free(m);
}

static void t_slots(void)
{
	struct bpf_map *pa = make(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2);
	struct bpf_map *dm = make(BPF_MAP_TYPE_DEVMAP, 4, 4, 2);
	struct bpf_prog prog = { .len = 1 }, *pp = &prog;
	uint32_t k = 1, ifindex = 3;

	CHECK_EQ(pa->ops->map_update_elem(pa, &k, &pp, BPF_ANY), 0);
	CHECK(*(struct bpf_prog **)pa->ops->map_lookup_elem(pa, &k) == &prog);
	CHECK_EQ(pa->ops->map_delete_elem(pa, &k), 0);
	CHECK(*(struct bpf_prog **)pa->ops->map_lookup_elem(pa, &k) == NULL);
	CHECK_EQ(dm->ops->map_update_elem(dm, &k, &ifindex, BPF_ANY), 0);
	CHECK_EQ(*(uint32_t *)dm->ops->map_lookup_elem(dm, &k), 3);
	bpf_map_free(pa);
	bpf_map_free(dm);
}

struct seen {
	int n;
	uint32_t lens[64];
	uint8_t first[64];
};

static void collect(const void *data, uint32_t len, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64) {
		s->lens[s->n] = len;
		s->first[s->n] = *(const uint8_t *)data;
	}
	s->n++;
}

static void t_ringbuf(void)
{
	struct bpf_map *m = make(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct seen s = { 0 };
	uint8_t *a, *b, *c;
	int total = 0;

	a = ringbuf_reserve(m, 10);
	b = ringbuf_reserve(m, 20);
	CHECK(a && b);
	a[0] = 0xaa;
	b[0] = 0xbb;
	ringbuf_commit(b, false);
	CHECK_EQ(bpf_ringbuf_consume(m, collect, &s), 0);	/* a is still busy */
	ringbuf_commit(a, false);
	CHECK_EQ(bpf_ringbuf_consume(m, collect, &s), 2);
	CHECK(s.lens[0] == 10 && s.first[0] == 0xaa && s.lens[1] == 20 && s.first[1] == 0xbb);
	c = ringbuf_reserve(m, 5);
	ringbuf_commit(c, true);
	CHECK_EQ(bpf_ringbuf_consume(m, collect, &s), 0);
	CHECK(ringbuf_reserve(m, 3000) == NULL);	/* more than half the ring */
	/* fill until full, drain, many times round: records never wrap */
	for (int round = 0; round < 50; round++) {
		int n = 0;

		while ((a = ringbuf_reserve(m, 100 + round)) != NULL) {
			a[0] = (uint8_t)n++;
			ringbuf_commit(a, false);
		}
		CHECK(n > 20);
		s.n = 0;
		CHECK_EQ(bpf_ringbuf_consume(m, collect, &s), n);
		CHECK(s.first[0] == 0 && s.first[5] == 5);
		total += n;
	}
	CHECK(total > 1000);
	bpf_map_free(m);
}

static void t_helpers_from_program(void)
{
	static const char src[] =
		"stw [%r10-4], 7\n"
		"stdw [%r10-16], 42\n"
		"lddw %r1, 0\n"			/* becomes map 0 */
		"mov %r2, %r10\nadd %r2, -4\n"
		"mov %r3, %r10\nadd %r3, -16\n"
		"mov %r4, 0\n"
		"call 2\n"				/* map_update_elem */
		"lddw %r1, 0\n"
		"mov %r2, %r10\nadd %r2, -4\n"
		"call 1\n"				/* map_lookup_elem */
		"jeq %r0, 0, fail\n"
		"ldxdw %r6, [%r0+0]\n"
		"lddw %r1, 0\n"			/* becomes map 1, the ring */
		"mov %r2, %r10\nadd %r2, -16\n"
		"mov %r3, 8\nmov %r4, 0\n"
		"call 130\n"			/* ringbuf_output */
		"jne %r0, 0, fail\n"
		"mov %r0, %r6\n"
		"exit\n"
		"fail:\nmov %r0, -1\nexit\n";
	struct bpf_map *maps[2] = { make(BPF_MAP_TYPE_HASH, 4, 8, 4),
				    make(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096) };
	struct bpf_insn insns[64];
	struct bpf_prog prog = { .insnsi = insns, .maps = maps, .nr_maps = 2,
				 .helpers = bpf_helper_table(), .nr_helpers = BPF_MAX_HELPERS };
	char err[128];
	int n = bpf_asm(src, insns, 64, err, sizeof(err)), lddw = 0;
	struct seen s = { 0 };
	uint32_t key = 7;

	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW)) {
			insns[i].src_reg = BPF_PSEUDO_MAP_FD;
			insns[i].imm = lddw++ == 2;
			i++;
		}
	}
	prog.len = (uint32_t)n;
	CHECK_EQ(bpf_check_basic(&prog, err, sizeof(err)), 0);
	CHECK_EQ(bpf_prog_run(&prog, NULL), 42);
	CHECK_EQ(*(uint64_t *)maps[0]->ops->map_lookup_elem(maps[0], &key), 42);
	CHECK_EQ(bpf_ringbuf_consume(maps[1], collect, &s), 1);
	CHECK_EQ(s.lens[0], 8);
	CHECK_EQ(s.first[0], 42);
	CHECK(bpf_helper_info(BPF_FUNC_map_lookup_elem) &&
	      !strcmp(bpf_helper_info(BPF_FUNC_map_lookup_elem)->name, "map_lookup_elem"));
	CHECK(bpf_helper_info(200) == NULL);
	bpf_map_free(maps[0]);
	bpf_map_free(maps[1]);
}

static void t_csum_diff(void)
{
	const bpf_helper_fn csum_diff = bpf_helper_table()[BPF_FUNC_csum_diff];
	uint32_t from[2] = { 0x01020304, 0x0a0b0c0d }, to[2] = { 0x01020305, 0x0a0b0c0d };
	uint64_t d = csum_diff((uintptr_t)from, 8, (uintptr_t)to, 8, 0), fold = d;

	/* from + diff == to, in one's complement: the change is +1 in one word */
	while (fold >> 16)
		fold = (fold & 0xffff) + (fold >> 16);
	CHECK_EQ(fold, 1);
	CHECK_EQ((int64_t)csum_diff((uintptr_t)from, 6, (uintptr_t)to, 8, 0), -EINVAL);
	CHECK_EQ(csum_diff(0, 0, (uintptr_t)to, 4, 5), 0x01020305 + 5);
}

int main(void)
{
	RUN(t_array);
	RUN(t_percpu_array);
	RUN(t_bad_specs);
	RUN(t_hash_model);
	RUN(t_percpu_and_lru_hash);
	RUN(t_slots);
	RUN(t_ringbuf);
	RUN(t_helpers_from_program);
	RUN(t_csum_diff);
	return check_done();
}
