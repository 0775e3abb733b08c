/*
 * bpf/loader.c on the host, with the samples clang built for this test run
 * (build/samples/bpf/, one object per sample): programs, maps from BTF and global data,
 * relocations and a bpf-to-bpf call checked by running the latency sample;
 * then truncated, corrupted and randomly damaged objects, each refused with
 * one message and nothing left allocated (LeakSanitizer checks at exit).
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "bpf.h"
#include "kerrno.h"

#define SAMPLES "build/samples/bpf/"

static uint64_t fake_ns;

static uint64_t stub_ktime(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	return fake_ns;
}

static uint64_t stub_redirect_map(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)a, (void)b, (void)d, (void)e;
	return c;
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		printf("    # cannot open %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n);
	if (fread(buf, 1, n, f) != (size_t)n)
		n = 0;
	fclose(f);
	*size = n;
	return buf;
}

static struct bpf_object *load(const char *file, const char *prefix)
{
	struct bpf_object *obj = NULL;
	char err[160];
	size_t size;
	uint8_t *data = read_file(file, &size);
	int e;

	if (!data)
		return NULL;
	e = bpf_object_load(data, size, prefix, &obj, err, sizeof(err));
	if (e)
		printf("    # %s: %d %s\n", file, e, err);
	free(data);
	return obj;
}

static struct bpf_map *map_named(struct bpf_object *obj, const char *name)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i]->name, name))
			return obj->maps[i];
	return NULL;
}

static void t_drop_all(void)
{
	struct bpf_object *obj = load(SAMPLES "xdp_drop.o", NULL);

	CHECK(obj != NULL);
	if (!obj)
		return;
	CHECK_EQ(obj->nr_progs, 1);
	CHECK_EQ(obj->nr_maps, 0);
	CHECK_STR(obj->progs[0]->name, "xdp_prog");
	CHECK_STR(obj->progs[0]->section, "xdp");
	CHECK_EQ(obj->progs[0]->type, BPF_PROG_TYPE_XDP);
	CHECK_STR(obj->license, "GPL");
	CHECK(obj->progs[0]->gpl_compatible);
	CHECK_EQ(bpf_prog_run(obj->progs[0], NULL), 1);	/* XDP_DROP */
	bpf_object_free(obj);
}

static void t_global_data(void)
{
	struct bpf_object *obj = load(SAMPLES "xdp_drop_udp.o", "udp");
	struct bpf_map *ro, *bss;
	uint32_t zero = 0;
	int lddw_values = 0;

	CHECK(obj != NULL);
	if (!obj)
		return;
	CHECK_STR(obj->progs[0]->name, "udp.xdp_drop_udp");
	ro = map_named(obj, "udp.rodata");
	bss = map_named(obj, "udp.bss");
	CHECK(ro && bss);
	if (ro && bss) {
		CHECK_EQ(ro->value_size, 2);
		CHECK_EQ(*(uint16_t *)ro->ops->map_lookup_elem(ro, &zero), 9999);
		CHECK_EQ(bss->value_size, 8);
	}
	for (uint32_t i = 0; i < obj->progs[0]->len; i++)
		lddw_values += obj->progs[0]->insnsi[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
			       obj->progs[0]->insnsi[i].src_reg == BPF_PSEUDO_MAP_VALUE;
	CHECK_EQ(lddw_values, 2);
	bpf_object_free(obj);
}

static void t_btf_maps(void)
{
	struct bpf_object *obj = load(SAMPLES "xdp_proto_count.o", NULL);
	struct bpf_map *m;

	CHECK(obj != NULL);
	if (!obj)
		return;
	m = map_named(obj, "proto_count");
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->map_type, BPF_MAP_TYPE_PERCPU_ARRAY);
		CHECK_EQ(m->key_size, 4);
		CHECK_EQ(m->value_size, 8);
		CHECK_EQ(m->max_entries, 256);
	}
	bpf_object_free(obj);
	obj = load(SAMPLES "xdp_redirect.o", NULL);
	CHECK(obj && obj->nr_progs == 2 && obj->maps[0]->map_type == BPF_MAP_TYPE_DEVMAP &&
	      obj->maps[0]->max_entries == 4);
	bpf_object_free(obj);
	obj = load(SAMPLES "kprobe_hist.o", NULL);
	CHECK(obj && obj->nr_progs == 1 && obj->progs[0]->type == BPF_PROG_TYPE_KPROBE);
	CHECK(obj && !strcmp(obj->progs[0]->section, "kprobe/kp_target_add"));
	CHECK(obj && obj->nr_maps == 1 && obj->maps[0]->map_type == BPF_MAP_TYPE_HASH);
	bpf_object_free(obj);
}

/* Keys and values printed through the object's BTF, as bpftool's JSON. */
static void t_btf_format(void)
{
	struct bpf_object *obj = load(SAMPLES "kprobe_printk.o", NULL);
	struct {
		uint64_t calls;
		int32_t a, b;
		char tag[8];
		uint16_t ab[2];
	} v = { 3, -7, 12, "add", { 65529, 12 } };
	uint32_t key = 0;
	char buf[256];
	struct bpf_map *m;

	CHECK(obj != NULL);
	if (!obj)
		return;
	m = map_named(obj, "last");
	CHECK(m && m->btf && m->btf_key_type_id && m->btf_value_type_id);
	if (!m)
		goto out;
	CHECK_EQ(bpf_map_btf_format(m, true, &key, buf, sizeof(buf)), 1);
	CHECK_STR(buf, "0");
	bpf_map_btf_format(m, false, &v, buf, sizeof(buf));
	CHECK_STR(buf, "{\"calls\": 3, \"a\": -7, \"b\": 12, \"tag\": \"add\", \"ab\": [65529, 12]}");
	/* not text (no NUL): an array of signed chars */
	memcpy(v.tag, "abcdefgh", 8);
	bpf_map_btf_format(m, false, &v, buf, sizeof(buf));
	CHECK(strstr(buf, "\"tag\": [97, 98, 99, 100, 101, 102, 103, 104]") != NULL);
	/* cut short: the length wanted, the text terminated */
	CHECK_EQ(bpf_map_btf_format(m, false, &v, buf, 10) > 10, 1);
	CHECK_EQ(strlen(buf), 9);
out:
	bpf_object_free(obj);
	obj = load(SAMPLES "xdp_drop_udp.o", NULL);
	CHECK(obj != NULL);
	if (!obj)
		return;
	m = map_named(obj, ".rodata");
	CHECK(m != NULL);
	if (m) {
		bpf_map_btf_format(m, false, m->ops->map_lookup_elem(m, &key), buf, sizeof(buf));
		CHECK_STR(buf, "{\"drop_port\": 9999}");
	}
	m = map_named(obj, ".bss");
	CHECK(m != NULL);
	if (m) {
		bpf_map_btf_format(m, false, m->ops->map_lookup_elem(m, &key), buf, sizeof(buf));
		CHECK_STR(buf, "{\"dropped\": 0}");
		CHECK_EQ(bpf_map_btf_format(m, true, &key, buf, sizeof(buf)), -ENOENT);
	}
	bpf_object_free(obj);
}

/* Entry stores the time, return computes log2 of the delta in a .text function. */
static void t_latency_runs(void)
{
	struct bpf_object *obj = load(SAMPLES "kretprobe_latency.o", NULL);
	struct bpf_prog *entry = NULL, *ret = NULL;
	struct bpf_map *hist;
	uint32_t bucket = 11;
	uint64_t *count;

	CHECK(obj != NULL);
	if (!obj)
		return;
	CHECK_EQ(obj->nr_progs, 2);
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		if (!strcmp(obj->progs[i]->name, "lat_entry"))
			entry = obj->progs[i];
		if (!strcmp(obj->progs[i]->name, "lat_exit"))
			ret = obj->progs[i];
	}
	CHECK(entry && ret);
	if (!entry || !ret)
		goto out;
	CHECK_STR(ret->section, "kretprobe/kp_target_add");
	fake_ns = 1000;
	CHECK_EQ(bpf_prog_run(entry, NULL), 0);
	fake_ns = 1000 + 4000;		/* log2(4000) = 11 */
	CHECK_EQ(bpf_prog_run(ret, NULL), 0);
	hist = map_named(obj, "lat_hist");
	count = hist ? hist->ops->map_lookup_elem(hist, &bucket) : NULL;
	CHECK(count && *count == 1);
out:
	bpf_object_free(obj);
}

static int try_load(const uint8_t *data, size_t size, char *err, size_t errlen)
{
	struct bpf_object *obj = NULL;
	int e = bpf_object_load(data, size, NULL, &obj, err, errlen);

	if (!e)
		bpf_object_free(obj);
	else if (obj)
		return 1;	/* a refusal must not hand anything out */
	return e;
}

/* The first relocation entry of the object's program section. */
static Elf64_Rel *first_rel(uint8_t *d)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)d;
	Elf64_Shdr *sh = (Elf64_Shdr *)(d + eh->e_shoff);

	for (int i = 1; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_REL && (sh[sh[i].sh_info].sh_flags & SHF_EXECINSTR))
			return (Elf64_Rel *)(d + sh[i].sh_offset);
	return NULL;
}

static void t_bad_objects(void)
{
	size_t size;
	uint8_t *orig = read_file(SAMPLES "xdp_proto_count.o", &size), *d;
	char err[160];
	Elf64_Ehdr *eh;
	Elf64_Rel *rel;

	CHECK(orig != NULL);
	if (!orig)
		return;
	d = malloc(size);
	for (size_t n = 0; n < size; n += 3) {
		int e = try_load(orig, n, err, sizeof(err));

		if (e >= 0 || !err[0]) {
			printf("    # truncated to %zu: %d \"%s\"\n", n, e, err);
			CHECK(0);
			break;
		}
	}
	memcpy(d, orig, size);
	eh = (Elf64_Ehdr *)d;
	eh->e_machine = EM_X86_64;
	CHECK_EQ(try_load(d, size, err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "not an eBPF object (wrong machine)");

	memcpy(d, orig, size);
	rel = first_rel(d);
	CHECK(rel != NULL);
	rel->r_offset = 0x100000;
	CHECK_EQ(try_load(d, size, err, sizeof(err)), -EINVAL);
	CHECK(!strncmp(err, "bad relocation offset", 21));

	memcpy(d, orig, size);
	rel = first_rel(d);
	rel->r_info = ELF64_R_INFO(100000, R_BPF_64_64);
	CHECK_EQ(try_load(d, size, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "bad relocation: symbol out of range");

	memcpy(d, orig, size);
	rel = first_rel(d);
	rel->r_offset += 8;	/* onto an instruction that is not a lddw */
	CHECK_EQ(try_load(d, size, err, sizeof(err)), -EINVAL);
	CHECK(!strncmp(err, "bad relocation: R_BPF_64_64 not on a lddw", 41));

	memcpy(d, orig, size);
	eh = (Elf64_Ehdr *)d;
	((Elf64_Shdr *)(d + eh->e_shoff))[2].sh_size = 1ull << 40;
	CHECK_EQ(try_load(d, size, err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "truncated object: a section runs past the end");

	CHECK_EQ(try_load(orig, BPF_OBJ_MAX_SIZE + 1, err, sizeof(err)), -E2BIG);
	CHECK_STR(err, "object too large");

	/* random damage: never a crash, always one message or a clean load */
	srand(1);
	for (int round = 0; round < 3000; round++) {
		int e;

		memcpy(d, orig, size);
		for (int k = 0; k < 1 + rand() % 4; k++)
			d[rand() % size] = (uint8_t)rand();
		e = try_load(d, size, err, sizeof(err));
		if (e > 0 || (e < 0 && !err[0])) {
			printf("    # round %d: %d with \"%s\"\n", round, e, err);
			CHECK(0);
			break;
		}
	}
	free(d);
	free(orig);
}

int main(void)
{
	bpf_helper_register(BPF_FUNC_ktime_get_ns, "ktime_get_ns", stub_ktime,
			    BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE));
	bpf_helper_register(BPF_FUNC_redirect_map, "redirect_map", stub_redirect_map,
			    BPF_PROG_MASK(BPF_PROG_TYPE_XDP));
	/* any value will do: only loading is tested with these */
	bpf_helper_register(BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", stub_ktime,
			    BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE));
	bpf_helper_register(BPF_FUNC_trace_printk, "trace_printk", stub_ktime,
			    BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE));
	/* same shape: a verdict from the arguments; only loading is tested */
	bpf_helper_register(BPF_FUNC_redirect, "redirect", stub_redirect_map,
			    BPF_PROG_MASK(BPF_PROG_TYPE_XDP));
	RUN(t_drop_all);
	RUN(t_global_data);
	RUN(t_btf_maps);
	RUN(t_btf_format);
	RUN(t_latency_runs);
	RUN(t_bad_objects);
	return check_done();
}
