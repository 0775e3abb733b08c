/*
 * The eBPF runtime (bpf/): programs, maps, the structural check, the
 * verifier's entry point and the interpreter. net/ and probes/ use eBPF only
 * through this header. Everything declared here is plain C that also builds
 * for the host tests, except where marked "kernel only".
 *
 * A program's life: the loader (or a test) fills a struct bpf_prog with
 * instructions whose lddw map forms name entries of prog->maps and whose
 * helper calls name entries of prog->helpers; bpf_check_basic() proves the
 * program well formed, bpf_verify() proves it safe, and bpf_prog_run() runs it
 * trusting both. bpf_prog_run_checked() runs anything that passed only the
 * structural check, bounds-checking every memory access; the host tests use
 * it to run unverified and random programs.
 */
#ifndef KP_BPF_H
#define KP_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf_isa.h"

#define BPF_MAXINSNS		65536	/* instructions per program (lddw counts two) */
#define BPF_MAX_CALL_FRAMES	8	/* bpf-to-bpf frames, the entry one included (Linux) */
#define BPF_MAX_TAIL_CALLS	33	/* tail calls per run (Linux's MAX_TAIL_CALL_CNT) */
#define BPF_OBJ_NAME_LEN	32	/* program and map names, NUL included (Linux: 16) */
#define BPF_MAX_HELPERS		256	/* helper ids below this may be in a table */

/* Linux's numbers (uapi/linux/bpf.h). */
enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC = 0,
	BPF_PROG_TYPE_KPROBE = 2,
	BPF_PROG_TYPE_XDP = 6,
};

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_DEVMAP = 14,
	BPF_MAP_TYPE_RINGBUF = 27,
};

/* Helper ids, Linux's numbers (uapi/linux/bpf.h); the ones this kernel has. */
enum bpf_func_id {
	BPF_FUNC_map_lookup_elem = 1,
	BPF_FUNC_map_update_elem = 2,
	BPF_FUNC_map_delete_elem = 3,
	BPF_FUNC_probe_read = 4,
	BPF_FUNC_ktime_get_ns = 5,
	BPF_FUNC_trace_printk = 6,
	BPF_FUNC_get_prandom_u32 = 7,
	BPF_FUNC_get_smp_processor_id = 8,
	BPF_FUNC_tail_call = 12,	/* done by the interpreter itself */
	BPF_FUNC_get_current_pid_tgid = 14,
	BPF_FUNC_get_current_comm = 16,
	BPF_FUNC_redirect = 23,
	BPF_FUNC_csum_diff = 28,
	BPF_FUNC_xdp_adjust_head = 44,
	BPF_FUNC_probe_read_str = 45,
	BPF_FUNC_redirect_map = 51,
	BPF_FUNC_xdp_adjust_meta = 54,
	BPF_FUNC_xdp_adjust_tail = 65,
	BPF_FUNC_probe_read_kernel = 113,
	BPF_FUNC_probe_read_kernel_str = 115,
	BPF_FUNC_ringbuf_output = 130,
	BPF_FUNC_ringbuf_reserve = 131,
	BPF_FUNC_ringbuf_submit = 132,
	BPF_FUNC_ringbuf_discard = 133,
	BPF_FUNC_get_func_ip = 173,
};

struct bpf_map;

/* What a map is made from: an ELF object's map definition, or a test. */
struct bpf_map_spec {
	enum bpf_map_type map_type;
	uint32_t key_size, value_size, max_entries, map_flags;
	const char *name;
};

/* map_update_elem flags (Linux's). */
#define BPF_ANY		0	/* create or replace */
#define BPF_NOEXIST	1	/* create only */
#define BPF_EXIST	2	/* replace only */

/*
 * A map's operations, Linux's names. lookup returns the value (for per-CPU
 * maps: this CPU's copy) or NULL; lookup_percpu gives one CPU's copy (NULL
 * for maps that are not per-CPU). get_next_key with key NULL gives the
 * first key; -ENOENT after the last. direct_value gives the address of byte
 * off of the value of a single-value array, for lddw's map-value form
 * (global data), or NULL. A prog array's values are struct bpf_prog
 * pointers (update takes the address of one; NULL clears the slot); a
 * devmap's are u32 interface indexes.
 */
struct bpf_map_ops {
	void *(*map_lookup_elem)(struct bpf_map *map, const void *key);
	void *(*map_lookup_percpu_elem)(struct bpf_map *map, const void *key, unsigned int cpu);
	int (*map_update_elem)(struct bpf_map *map, const void *key, const void *value,
			       uint64_t flags);
	int (*map_delete_elem)(struct bpf_map *map, const void *key);
	int (*map_get_next_key)(struct bpf_map *map, const void *key, void *next_key);
	void *(*map_direct_value)(struct bpf_map *map, uint32_t off);
	void (*map_free)(struct bpf_map *map);
};

struct btf;

struct bpf_map {
	const struct bpf_map_ops *ops;
	enum bpf_map_type map_type;
	uint32_t key_size, value_size, max_entries, map_flags;
	uint32_t id;
	char name[BPF_OBJ_NAME_LEN];
	/* the object's BTF and the key's and value's types in it (0: none) */
	const struct btf *btf;
	uint32_t btf_key_type_id, btf_value_type_id;
};

/*
 * A key or value of map as JSON, the way bpftool prints maps with BTF:
 * integers in decimal, enums by name, structs and unions as objects of
 * their fields by name (bitfields too), arrays as lists, char arrays
 * holding text as strings, pointers and floats in hex (bpf/btf_dump.c).
 * The length wanted, or -ENOENT when the map has no BTF type for it.
 */
int bpf_map_btf_format(const struct bpf_map *map, bool key, const void *data, char *buf,
		       size_t len);

/* A new, zeroed map; NULL with *err (-EINVAL bad spec, -ENOMEM) on failure. */
struct bpf_map *bpf_map_create(const struct bpf_map_spec *spec, int *err);
void bpf_map_free(struct bpf_map *map);
const char *bpf_map_type_name(enum bpf_map_type type);	/* "hash"...; NULL if unknown */

/*
 * A ring buffer's consumer side: fn on each committed record, oldest first,
 * then the space is released; stops at a record still being written.
 * Returns how many records were consumed.
 */
int bpf_ringbuf_consume(struct bpf_map *map, void (*fn)(const void *data, uint32_t len,
							void *arg), void *arg);

/*
 * What the portable code needs from its surroundings: bpf/env_kernel.c in
 * the kernel, tests/host/bpf_env.c on the host. bpf_lock() spins with
 * interrupts off and returns what bpf_unlock() restores.
 */
void *bpf_zalloc(size_t size);
void bpf_free(void *p);
unsigned int bpf_this_cpu(void);
unsigned int bpf_nr_cpus(void);
uint64_t bpf_lock(uint32_t *lock);
void bpf_unlock(uint32_t *lock, uint64_t flags);

/*
 * A helper, called with r1..r5 and returning r0, like Linux's BPF_CALL_x
 * functions. Pointers arrive as integers, as the program holds them.
 */
typedef uint64_t (*bpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5);

/*
 * The helper table (bpf/helpers.c). bpf/ fills in the helpers that need only
 * maps and the kernel core; net/ and probes/ register theirs (XDP, trace)
 * at init, as a lower layer cannot call them. prog_types is a mask of
 * BPF_PROG_MASK(type): the program types that may call the helper.
 */
#define BPF_PROG_MASK(type)	(1u << (type))
struct bpf_helper_info {
	const char *name;		/* Linux's, without "bpf_" */
	uint32_t prog_types;
};
int bpf_helper_register(enum bpf_func_id id, const char *name, bpf_helper_fn fn,
			uint32_t prog_types);
/* The table a loaded program calls through (BPF_MAX_HELPERS entries). */
const bpf_helper_fn *bpf_helper_table(void);
/* NULL for an unknown id. */
const struct bpf_helper_info *bpf_helper_info(uint32_t id);

struct bpf_prog {
	enum bpf_prog_type type;
	uint32_t id;
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_insn *insnsi;
	uint32_t len;			/* instructions */
	/* lddw with src_reg BPF_PSEUDO_MAP_FD / _VALUE: imm indexes maps */
	struct bpf_map **maps;
	uint32_t nr_maps;
	/* call imm (src_reg 0) indexes helpers; NULL entries are unknown ids */
	const bpf_helper_fn *helpers;
	uint32_t nr_helpers;
	bool gpl_compatible;
	char section[64];		/* the ELF section it came from: "xdp", "kprobe/SYM" */
	uint32_t users;			/* attachments; an attached program stays loaded */
	uint64_t run_cnt;		/* runs through bpf_prog_run_func() */
	uint64_t run_ticks;		/* their clock ticks, while bpf_stats_clock is set */
};

/*
 * The structural check: every opcode, register and reserved field valid,
 * jumps and calls inside the program and onto instruction starts, the last
 * instruction an exit or a jump, lddw whole and its map index known, helper
 * ids known, no division by a zero immediate, call frames at most
 * BPF_MAX_CALL_FRAMES deep and not recursive. Shift amounts are left to the
 * verifier: the ISA masks them, and the conformance suite runs such shifts. 0, or -EINVAL with one line in log ("insn N: why").
 */
int bpf_check_basic(const struct bpf_prog *prog, char *log, size_t log_size);

/*
 * The verifier (bpf/verifier.c): proves prog safe for its type and may
 * rewrite context accesses. 0, or a negative error with the reason in log.
 * Runs bpf_check_basic() first.
 */
int bpf_verify(struct bpf_prog *prog, char *log, size_t log_size);

/* Run a verified program with r1 = ctx; returns r0. */
uint64_t bpf_prog_run(const struct bpf_prog *prog, const void *ctx);

/*
 * The same in the shape of Linux's bpf_func (ctx first, then the
 * program), so a hook can call the interpreter through its own function
 * pointer with no wrapper: counts the run in run_cnt and, while
 * bpf_stats_clock is set (`bpf stats on`, Linux's bpf_stats_enabled),
 * adds the ticks it took to run_ticks. Returns r0's low 32 bits.
 */
unsigned int bpf_prog_run_func(const void *ctx, const void *prog);
extern uint64_t (*bpf_stats_clock)(void);

/* ---- bpf_trace_printk's formatting (bpf/printk.c) ---- */

/* Fault-safe read of n bytes of kernel memory: 0, or -EFAULT with dst zeroed. */
typedef int (*bpf_read_mem_fn)(void *dst, uint64_t src, size_t n);
/*
 * Format fmt (fmt_size bytes, NUL inside) with up to three arguments as
 * bpf_trace_printk() does, into out (always terminated when size > 0).
 * The length the text wanted, or -EINVAL for a format Linux refuses.
 */
int bpf_trace_format(char *out, size_t size, const char *fmt, uint32_t fmt_size,
		     const uint64_t args[3], bpf_read_mem_fn read_mem);

/* ---- the ELF loader (bpf/loader.c) ---- */

#define BPF_OBJ_MAX_SIZE	(4u << 20)	/* bytes of ELF */
#define BPF_OBJ_MAX_MAPS	64
#define BPF_OBJ_MAX_PROGS	64
#define BPF_DATA_MAX_SIZE	(1u << 20)	/* a .data, .rodata or .bss section */

/*
 * What one `clang -O2 -g -target bpf` object becomes: its maps (BTF-defined
 * ".maps", legacy "maps", and one single-value array per .rodata, .data
 * and .bss) and one program per function in a program section ("xdp",
 * "xdp/...", "kprobe/SYM", "kretprobe/SYM"), each with the .text functions
 * it calls appended and its lddw and call relocations resolved. Programs
 * share the object's maps array; a lddw map imm indexes it.
 */
struct bpf_object {
	char license[64];
	struct btf *btf;		/* the checked .BTF, or NULL */
	struct bpf_map **maps;
	uint32_t nr_maps;
	struct bpf_prog **progs;
	uint32_t nr_progs;
};

/*
 * Parse, relocate and structurally check an object; names are the
 * functions' and maps' symbol names, "prefix." before them when prefix is
 * non-empty. 0 and *out, or a negative error with one line in err and
 * nothing allocated.
 */
int bpf_object_load(const void *data, size_t size, const char *prefix, struct bpf_object **out,
		    char *err, size_t errlen);
/* Free the object, its programs and its maps. */
void bpf_object_free(struct bpf_object *obj);
/* "xdp", "kprobe"; NULL if unknown. */
const char *bpf_prog_type_name(enum bpf_prog_type type);

/* ---- loaded objects, in the kernel (bpf/registry.c; kernel only) ---- */

#define BPF_LOG_SIZE	4096

/*
 * Load an object image (a GRUB module, a TFTP download): the loader, then
 * bpf_verify() on every program; on success the maps and programs get ids
 * and are listed by `bpf progs` / `bpf maps`. prefix names the object (may
 * be NULL). 0, or an error with one line in err and nothing registered;
 * the verifier's log of the last load is kept for `bpf log`.
 */
int bpf_load_image(const void *data, size_t size, const char *prefix, char *err, size_t errlen);
/* A loaded program by name or decimal id; NULL if none. */
struct bpf_prog *bpf_prog_find(const char *name);
struct bpf_map *bpf_map_find(const char *name);
/* Attachments hold their program (users); unload refuses while any is held. */
void bpf_prog_hold(struct bpf_prog *prog);
void bpf_prog_release(struct bpf_prog *prog);
/*
 * Attaching programs of one type to their hook, registered by the layer
 * that owns the hook (probes/ for kprobe programs): `bpf attach PROG
 * [TARGET]` and `bpf detach PROG` call these. 0, or an error with err set.
 */
struct bpf_attach_ops {
	int (*attach)(struct bpf_prog *prog, const char *target, char *err, size_t errlen);
	int (*detach)(struct bpf_prog *prog, char *err, size_t errlen);
};
void bpf_attach_ops_register(enum bpf_prog_type type, const struct bpf_attach_ops *ops);
const struct bpf_attach_ops *bpf_attach_ops(enum bpf_prog_type type);

/*
 * For modules (bpf/module_owner.c; exported): load an object image as
 * NAME, owned by the module, and attach its programs through the hooks
 * above. When the module goes, whatever it attached is detached and what
 * it loaded is unloaded (hooks owned elsewhere, XDP, drop theirs from their
 * own module notifier: bpf_prog_owner() tells them). 0 or -errno; the
 * reason is printed.
 */
struct module;
int bpf_module_load(struct module *owner, const void *data, size_t size, const char *name);
int bpf_module_attach(const char *prog, const char *target);
/* The module that loaded prog's object, or NULL. */
struct module *bpf_prog_owner(const struct bpf_prog *prog);

/* ---- checked execution, for programs nobody verified ---- */

/* Memory a checked run may touch besides its own stack: [start, end). */
struct bpf_region {
	uintptr_t start, end;
	bool writable;
};

struct bpf_checked_run {
	const struct bpf_region *regions;
	unsigned int nr_regions;
	uint64_t insn_budget;		/* instructions before -E2BIG */
	/* out: where a refused run stopped */
	uint32_t fault_pc;
	uintptr_t fault_addr;
};

/*
 * Run prog (it must have passed bpf_check_basic()) with r1, r2 set, each
 * load, store and atomic checked against the regions and the live stack
 * frames. 0 and *r0 on a normal exit; -EFAULT for an access outside them,
 * -E2BIG when the budget runs out, -ELOOP for too deep calls.
 */
int bpf_prog_run_checked(const struct bpf_prog *prog, uint64_t r1, uint64_t r2,
			 struct bpf_checked_run *cr, uint64_t *r0);

#endif
