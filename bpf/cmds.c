/*
 * The `bpf` console command, in bpftool's spirit: load, progs, dump, maps,
 * map dump|lookup|update|delete, log, attach|detach (kprobe programs, through
 * the hook probes/ registers), unload. Keys and values are typed as
 * bytes in hex ("01 00 00 00") or, when they fit in 8 bytes, as one number
 * (little-endian, as the program sees it). Entries of maps with BTF print
 * as JSON lines, as bpftool's; others as hex bytes, with the number too
 * for 4- and 8-byte values.
 */
#include "bpf.h"
#include "bpf_internal.h"
#include "kernel.h"
#include "arch.h"
#include "console.h"

#define MAX_KV	512	/* bytes of key or value the console takes */
#define BTF_TEXT_MAX	4096	/* a value longer than this as JSON prints in hex */

static int cmd_load(int argc, char **argv)
{
	struct file_blob f;
	char err[160];
	int ret;

	if (argc < 3 || argc > 4)
		return cmd_error("usage: bpf load %s [NAME]", file_source_schemes());
	if (argc == 4 && (strlen(argv[3]) >= 16 || !argv[3][0]))
		return cmd_error("NAME must be 1 to 15 characters");
	if (file_get(argv[2], &f, err, sizeof(err)))
		return cmd_error("%s", err);
	ret = bpf_load_image(f.data, f.len, argc == 4 ? argv[3] : NULL, err, sizeof(err));
	file_put(&f);
	if (ret)
		return cmd_error("%s", err);
	cprintf("loaded %s (see 'bpf progs')\n", strchr(argv[2], ':') + 1);
	return 0;
}

static uint64_t stats_clock(void)
{
	return rdtsc();
}

/* TSC ticks as ns, split so that ticks * 10^6 cannot overflow */
static uint64_t ticks_ns(uint64_t ticks)
{
	uint64_t khz = tsc_khz();

	return khz ? ticks / khz * 1000000 + ticks % khz * 1000000 / khz : 0;
}

/* bpf stats [on|off]: Linux's kernel.bpf_stats_enabled */
static int cmd_stats(int argc, char **argv)
{
	if (argc == 3 && (!strcmp(argv[2], "on") || !strcmp(argv[2], "off")))
		__atomic_store_n(&bpf_stats_clock, strcmp(argv[2], "on") ? NULL : stats_clock,
				 __ATOMIC_RELAXED);
	else if (argc != 2)
		return cmd_error("usage: bpf stats [on|off]");
	cprintf("run time accounting %s\n", bpf_stats_clock ? "on" : "off");
	return 0;
}

static int cmd_progs(void)
{
	cprintf("%4s %-7s %-31s %6s %10s %12s %6s %s\n", "id", "type", "name", "insns", "run_cnt",
		"run_time_ns", "users", "section");
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_loaded *l = bpf_object_slot(i);

		for (uint32_t p = 0; l && p < l->obj->nr_progs; p++) {
			struct bpf_prog *prog = l->obj->progs[p];

			cprintf("%4u %-7s %-31s %6u %10lu %12lu %6u %s\n", prog->id,
				bpf_prog_type_name(prog->type), prog->name, prog->len,
				__atomic_load_n(&prog->run_cnt, __ATOMIC_RELAXED),
				ticks_ns(__atomic_load_n(&prog->run_ticks, __ATOMIC_RELAXED)),
				prog->users, prog->section);
		}
	}
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct bpf_prog *prog;

	if (argc != 3)
		return cmd_error("usage: bpf dump PROG");
	prog = bpf_prog_find(argv[2]);
	if (!prog)
		return cmd_error("no program '%s' (see 'bpf progs')", argv[2]);
	cprintf("%s: %u insns (code dst src off imm)\n", prog->name, prog->len);
	for (uint32_t i = 0; i < prog->len; i++) {
		const struct bpf_insn *in = &prog->insnsi[i];
		const struct bpf_helper_info *h = NULL;

		if (in->code == (BPF_JMP | BPF_CALL) && !in->src_reg)
			h = bpf_helper_info((uint32_t)in->imm);
		cprintf("%5u: %02x %u %u %6d %11d%s%s\n", i, in->code, in->dst_reg, in->src_reg,
			in->off, in->imm, h ? "  ; " : "", h ? h->name : "");
	}
	return 0;
}

static int cmd_maps(void)
{
	cprintf("%4s %-13s %-31s %5s %6s %8s\n", "id", "type", "name", "key", "value", "max");
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_loaded *l = bpf_object_slot(i);

		for (uint32_t m = 0; l && m < l->obj->nr_maps; m++) {
			struct bpf_map *map = l->obj->maps[m];

			cprintf("%4u %-13s %-31s %5u %6u %8u\n", map->id,
				bpf_map_type_name(map->map_type), map->name, map->key_size,
				map->value_size, map->max_entries);
		}
	}
	return 0;
}

/* argv[0..argc) as size bytes: hex bytes, or one number that fits. */
static int parse_bytes(int argc, char **argv, uint8_t *out, uint32_t size, const char *what)
{
	char *end;

	if (size > MAX_KV)
		return cmd_error("%s of %u bytes is too large for the console", what, size);
	if (argc == 1 && size <= 8) {
		unsigned long long v = strtoull(argv[0], &end, 0);

		if (*end || !argv[0][0] || (size < 8 && v >> (size * 8)))
			return cmd_error("%s '%s' is not a number of %u bytes", what, argv[0], size);
		memcpy(out, &v, size);
		return 0;
	}
	if ((uint32_t)argc != size)
		return cmd_error("%s needs %u hex bytes (or one number), got %d", what, size, argc);
	for (int i = 0; i < argc; i++) {
		unsigned long v = strtoull(argv[i], &end, 16);

		if (*end || !argv[i][0] || v > 0xff)
			return cmd_error("%s byte '%s' is not hex", what, argv[i]);
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void print_bytes(const char *label, const uint8_t *p, uint32_t n)
{
	cprintf("%s:", label);
	for (uint32_t i = 0; i < n; i++)
		cprintf(" %02x", p[i]);
	if (n == 4)
		cprintf(" (%u)", *(const uint32_t *)p);
	else if (n == 8)
		cprintf(" (%lu)", *(const uint64_t *)p);
	cprintf("\n");
}

/* BTF text of one key or value, into the scratch; false if none or too long. */
static bool btf_text(struct bpf_map *map, bool key, const void *data, char *buf, size_t len)
{
	int n = bpf_map_btf_format(map, key, data, buf, len);

	return n >= 0 && (size_t)n < len;
}

/*
 * With BTF for the value, an entry is one line of JSON as bpftool prints
 * it: {"key": K, "value": V}, or "values": [{"cpu": N, "value": V}...] for
 * a per-CPU map. A key without BTF is its number (or hex bytes).
 */
static bool print_entry_btf(struct bpf_map *map, const void *key)
{
	static char kbuf[256], vbuf[BTF_TEXT_MAX];
	const void *v;

	if (!map->btf_value_type_id || map->map_type == BPF_MAP_TYPE_PROG_ARRAY)
		return false;
	if (!btf_text(map, true, key, kbuf, sizeof(kbuf))) {
		if (map->key_size == 4)
			snprintf(kbuf, sizeof(kbuf), "%u", *(const uint32_t *)key);
		else if (map->key_size == 8)
			snprintf(kbuf, sizeof(kbuf), "%lu", *(const uint64_t *)key);
		else
			return false;
	}
	if (map->map_type == BPF_MAP_TYPE_PERCPU_ARRAY || map->map_type == BPF_MAP_TYPE_PERCPU_HASH) {
		cprintf("{\"key\": %s, \"values\": [", kbuf);
		for (unsigned int cpu = 0; cpu < bpf_nr_cpus(); cpu++) {
			v = map->ops->map_lookup_percpu_elem(map, key, cpu);
			if (!v && bpf_nr_cpus() == 1)	/* one CPU: the map keeps one copy */
				v = map->ops->map_lookup_elem(map, key);
			if (!v || !btf_text(map, false, v, vbuf, sizeof(vbuf)))
				snprintf(vbuf, sizeof(vbuf), "null");
			cprintf("%s{\"cpu\": %u, \"value\": %s}", cpu ? ", " : "", cpu, vbuf);
		}
		cprintf("]}\n");
		return true;
	}
	v = map->ops->map_lookup_elem(map, key);
	if (!v || !btf_text(map, false, v, vbuf, sizeof(vbuf)))
		return false;
	cprintf("{\"key\": %s, \"value\": %s}\n", kbuf, vbuf);
	return true;
}

static void print_entry(struct bpf_map *map, const void *key)
{
	if (print_entry_btf(map, key))
		return;
	print_bytes("key", key, map->key_size);
	if (map->ops->map_lookup_percpu_elem) {
		bool any = false;

		for (unsigned int cpu = 0; cpu < bpf_nr_cpus(); cpu++) {
			const void *v = map->ops->map_lookup_percpu_elem(map, key, cpu);
			char label[24];

			if (!v)
				continue;
			snprintf(label, sizeof(label), "  value (cpu %u)", cpu);
			print_bytes(label, v, map->value_size);
			any = true;
		}
		if (any)
			return;
	}
	{
		const void *v = map->ops->map_lookup_elem(map, key);

		if (map->map_type == BPF_MAP_TYPE_PROG_ARRAY) {
			struct bpf_prog *const *pp = v;

			cprintf("  value: %s\n", pp && *pp ? (*pp)->name : "(empty)");
		} else if (v) {
			print_bytes("  value", v, map->value_size);
		}
	}
}

static void print_record(const void *data, uint32_t len, void *arg)
{
	(void)arg;
	print_bytes("record", data, len < 64 ? len : 64);
}

static int cmd_map(int argc, char **argv)
{
	static uint8_t key[MAX_KV], value[MAX_KV];
	struct bpf_map *map;
	const char *op;
	int n = 0, e;

	if (argc < 4)
		return cmd_error("usage: bpf map dump|lookup|update|delete MAP [KEY [value VALUE]]");
	op = argv[2];
	map = bpf_map_find(argv[3]);
	if (!map)
		return cmd_error("no map '%s' (see 'bpf maps')", argv[3]);
	if (!strcmp(op, "dump")) {
		if (argc != 4)
			return cmd_error("usage: bpf map dump MAP");
		if (map->map_type == BPF_MAP_TYPE_RINGBUF) {
			cprintf("%d records\n", bpf_ringbuf_consume(map, print_record, NULL));
			return 0;
		}
		if (map->key_size > MAX_KV)
			return cmd_error("keys of %u bytes are too large for the console", map->key_size);
		for (e = map->ops->map_get_next_key(map, NULL, key); !e;
		     e = map->ops->map_get_next_key(map, key, key), n++)
			print_entry(map, key);
		cprintf("%d entries\n", n);
		return 0;
	}
	if (strcmp(op, "lookup") && strcmp(op, "update") && strcmp(op, "delete"))
		return cmd_error("unknown map operation '%s' (dump, lookup, update, delete)", op);
	if (map->map_type == BPF_MAP_TYPE_RINGBUF || map->map_type == BPF_MAP_TYPE_PROG_ARRAY)
		return cmd_error("'%s' is a %s map: use dump%s", map->name,
				 bpf_map_type_name(map->map_type),
				 map->map_type == BPF_MAP_TYPE_PROG_ARRAY ? " (updates come from loads)" : "");
	if (!strcmp(op, "update")) {
		int v;

		for (v = 4; v < argc && strcmp(argv[v], "value"); v++)
			;
		if (v == argc || v == 4 || v + 1 == argc)
			return cmd_error("usage: bpf map update MAP KEY value VALUE");
		if (parse_bytes(v - 4, argv + 4, key, map->key_size, "key") ||
		    parse_bytes(argc - v - 1, argv + v + 1, value, map->value_size, "value"))
			return -1;
		e = map->ops->map_update_elem(map, key, value, BPF_ANY);
		if (e)
			return cmd_error("update failed (%d)", e);
		cprintf("updated\n");
		return 0;
	}
	if (argc < 5)
		return cmd_error("usage: bpf map %s MAP KEY", op);
	if (parse_bytes(argc - 4, argv + 4, key, map->key_size, "key"))
		return -1;
	if (!strcmp(op, "delete")) {
		e = map->ops->map_delete_elem(map, key);
		if (e)
			return cmd_error(e == -ENOENT ? "no such key" : "delete failed (%d)", e);
		cprintf("deleted\n");
		return 0;
	}
	if (!map->ops->map_lookup_elem(map, key))
		return cmd_error("no such key");
	print_entry(map, key);
	return 0;
}

/* bpf attach PROG [TARGET] | bpf detach PROG, through the hook's owner */
static int cmd_attach(int argc, char **argv)
{
	bool attach = !strcmp(argv[1], "attach");
	const struct bpf_attach_ops *ops;
	struct bpf_prog *prog;
	char err[160];

	if (argc < 3 || argc > (attach ? 4 : 3))
		return cmd_error(attach ? "usage: bpf attach PROG [SYM]" : "usage: bpf detach PROG");
	prog = bpf_prog_find(argv[2]);
	if (!prog)
		return cmd_error("no program '%s' (see 'bpf progs')", argv[2]);
	ops = bpf_attach_ops(prog->type);
	if (!ops)
		return cmd_error("%s programs attach elsewhere (xdp attach bpf:%s)",
				 bpf_prog_type_name(prog->type), prog->name);
	if (attach ? ops->attach(prog, argc == 4 ? argv[3] : NULL, err, sizeof(err)) :
		     ops->detach(prog, err, sizeof(err)))
		return cmd_error("%s", err);
	cprintf("%s %s\n", attach ? "attached" : "detached", prog->name);
	return 0;
}

static int cmd_bpf(int argc, char **argv)
{
	char err[160];

	if (argc < 2)
		return cmd_error("usage: bpf load|paste|progs|stats|dump|maps|map|log|attach|detach|unload ...");
	if (!strcmp(argv[1], "load"))
		return cmd_load(argc, argv);
	if (!strcmp(argv[1], "progs"))
		return argc == 2 ? cmd_progs() : cmd_error("usage: bpf progs");
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc, argv);
	if (!strcmp(argv[1], "maps"))
		return argc == 2 ? cmd_maps() : cmd_error("usage: bpf maps");
	if (!strcmp(argv[1], "map"))
		return cmd_map(argc, argv);
	if (!strcmp(argv[1], "paste")) {
		if (argc != 3 || strlen(argv[2]) >= 16 || !argv[2][0])
			return cmd_error("usage: bpf paste NAME (1 to 15 characters), then base64 lines");
		return bpf_paste(argv[2]);
	}
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(argv[1], "log")) {
		if (argc != 2)
			return cmd_error("usage: bpf log");
		cprintf("%s", bpf_last_log[0] ? bpf_last_log : "(no load yet)\n");
		return 0;
	}
	if (!strcmp(argv[1], "attach") || !strcmp(argv[1], "detach"))
		return cmd_attach(argc, argv);
	if (!strcmp(argv[1], "unload")) {
		if (argc != 3)
			return cmd_error("usage: bpf unload NAME|PROG");
		if (bpf_unload(argv[2], err, sizeof(err)))
			return cmd_error("%s", err);
		cprintf("unloaded %s\n", argv[2]);
		return 0;
	}
	return cmd_error("unknown bpf subcommand '%s' (load, paste, progs, stats, dump, maps, map, log, attach, detach, unload)",
			 argv[1]);
}
CONSOLE_CMD(bpf, cmd_bpf, "bpf load SRC [NAME] | paste NAME | progs | stats [on|off] | dump PROG | maps | map OP MAP ... | log | attach PROG [SYM] | detach PROG | unload NAME",
	    "eBPF objects: load from a boot module or a paste, list, run stats, dump, maps, verifier log, unload");
