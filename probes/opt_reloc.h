/*
 * Jump optimization, the part that is pure computation over bytes: which
 * whole instructions a `jmp rel32` at a probe replaces, whether each can run
 * at another address, the relocated copy, and the scan that finds every
 * address control can reach in a function other than by falling through.
 * No kernel state: probes/opt.c uses it in the kernel, tests/host/ on the
 * host. See docs/probes.md, "Jump-optimized probes".
 */
#ifndef KP_OPT_RELOC_H
#define KP_OPT_RELOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "insn.h"

#define OPT_JMP_LEN	5			/* e9 rel32 */
#define OPT_SHORT_JMP_LEN	2		/* eb rel8, to an island holding the e9 */
#define OPT_MAX_INSNS	OPT_JMP_LEN		/* each at least one byte */
#define OPT_MAX_RANGE	(OPT_JMP_LEN - 1 + INSN_MAX_LEN)
#define OPT_COPY_MAX	(OPT_MAX_INSNS * 12 + OPT_JMP_LEN)	/* loop grows to 2 + 2 + 5 */

/* Why a probe address cannot be jump-optimized (the order is the report's). */
enum opt_reason {
	OPT_OK,
	OPT_NO_ROOM,		/* the function ends (or a symbol starts) within 5 bytes */
	OPT_BRANCH_TARGET,	/* a jump, jump-table entry or fixup lands past the first byte */
	OPT_CALL_INSIDE,	/* a call before the last: its return address would point inside */
	OPT_INSN,		/* an instruction whose semantics a copy cannot keep */
	OPT_OUT_OF_REACH,	/* a rel32 from the detour does not reach */
	OPT_OTHER_PROBE,	/* another probe sits inside the replaced bytes */
	OPT_MODULE,		/* module text: its functions are not scanned */
	OPT_UNDECODABLE,	/* the function does not decode to its end */
	OPT_REASONS
};

const char *opt_reason_name(enum opt_reason r);
/* Control never falls through it (jmp, ret): the bytes after it run only if jumped to. */
bool opt_unconditional(const struct insn *in);

struct opt_plan {
	uint64_t addr;
	unsigned int len;		/* bytes replaced: whole instructions, >= 5 (or short) */
	unsigned int ninsn;
	struct insn insn[OPT_MAX_INSNS];
	uint8_t orig[OPT_MAX_RANGE];	/* the original bytes of the range */
};

/*
 * Choose the instructions from addr covering >= 5 bytes. code[0..avail)
 * holds the original text from addr up to the end of its function, and
 * code[avail..avail+pad) the padding after it up to the next symbol (never
 * run: it may be overwritten after a final jmp or ret, never copied).
 * Checks each instruction on its own; the branch-target check is the
 * caller's (it needs the whole function). *bad gets the offending address.
 */
enum opt_reason opt_plan_range(struct opt_plan *plan, const uint8_t *code, size_t avail,
			       size_t pad, uint64_t addr, uint64_t *bad);

/*
 * The short form, where 5 bytes are not to be had: only the instruction at
 * addr (>= 2 bytes) is replaced, its first two bytes by a jmp rel8 to an
 * island (5 never-run bytes nearby, the caller finds them) that holds the
 * jmp rel32. Its other bytes are left as they are: nothing runs them.
 */
enum opt_reason opt_plan_short(struct opt_plan *plan, const uint8_t *code, size_t avail,
			       uint64_t addr, uint64_t *bad);

/*
 * The relocated copy of the plan's instructions for address dst, then a
 * jmp back to addr + len: bytes written to out (at most OPT_COPY_MAX), or
 * -ERANGE when a displacement does not reach. map[i] gets the offset of
 * instruction i in out (for a fault there to be reported in place).
 */
int opt_relocate(const struct opt_plan *plan, uint64_t dst, uint8_t *out, uint8_t *map);

/* What opt_scan_targets() needs from its environment. */
struct opt_scan_env {
	void (*mark)(uint64_t target, void *arg);	/* control may arrive here */
	bool (*read64)(uint64_t addr, uint64_t *val, void *arg);	/* false: unreadable */
	bool (*is_code)(uint64_t addr, void *arg);	/* a jump-table entry candidate */
	void *arg;
};

/*
 * Decode the function at code[0..end-start) (original bytes) and mark
 * every direct branch target and every entry of each jump table it indexes
 * (disp32(,%reg,8) with no base, the form -mcmodel=kernel compiles a switch
 * to). Where decoding fails, every byte from there to the end is marked and
 * -EILSEQ returned: nothing past it can be trusted.
 */
int opt_scan_targets(const uint8_t *code, uint64_t start, uint64_t end,
		     const struct opt_scan_env *env);

/* ---- the kernel side (probes/opt.c, opt_targets.c, opt_coverage.c) ---- */

struct ksym;
/* opt_targets.c: the image's branch targets and dead padding, scanned at boot */
int opt_targets_init(void);
bool opt_in_image(uint64_t a);
bool opt_is_target(uint64_t a);
/* never run: nops after a jmp or ret up to the next target, and padding between functions */
bool opt_is_dead(uint64_t a);
/* a detour's jmp or island is in these bytes (opt.c keeps it up to date) */
void opt_set_written(uint64_t a, size_t n, bool on);
bool opt_is_written(uint64_t a);
/* bytes after sym's end that belong to no symbol, up to max */
size_t opt_padding_after(const struct ksym *sym, size_t max);

/* The whole decision for a probe at addr of the running kernel. */
enum opt_reason opt_analyze(uint64_t addr, struct opt_plan *plan, uint64_t *bad);

struct opt_coverage {
	unsigned long functions, boundaries;
	unsigned long count[OPT_REASONS];	/* per reason; [OPT_OK]: would be optimized */
};
/* Every probe-able boundary of one function (or all, only == NULL). */
void opt_coverage(const struct ksym *only, struct opt_coverage *out);
/* `kprobes coverage|optimize|optimization ...` (probes/cmds.c dispatches) */
bool opt_cmd_handles(const char *sub);
int opt_cmd(int argc, char **argv);

#endif
