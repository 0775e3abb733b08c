/*
 * What jump optimization needs to know about the whole kernel image, found
 * once at boot by decoding every function: every byte control can reach
 * other than by falling through (a branch target), and every byte that is
 * never run at all (dead padding: alignment nops after a jmp or ret, and
 * between functions; where the short form's island may go). See docs/probes.md, "Fallbacks".
 */
#include "kprobes_internal.h"
#include "opt_reloc.h"
#include "kallsyms.h"
#include "mm.h"

extern const char _text[], _etext[];
extern const struct exception_entry __ex_table_start[], __ex_table_end[];

/* one bit per byte of [_text, _etext) each */
static uint8_t *targets, *dead, *written;

bool opt_in_image(uint64_t a)
{
	return a >= (uint64_t)_text && a < (uint64_t)_etext;
}

static void set_bit_of(uint8_t *map, uint64_t a)
{
	a -= (uint64_t)_text;
	map[a / 8] |= 1 << (a % 8);
}

static bool bit_of(const uint8_t *map, uint64_t a)
{
	a -= (uint64_t)_text;
	return map[a / 8] & (1 << (a % 8));
}

static void mark(uint64_t a, void *arg)
{
	(void)arg;
	if (opt_in_image(a))
		set_bit_of(targets, a);
}

bool opt_is_target(uint64_t a)
{
	return bit_of(targets, a);
}

bool opt_is_dead(uint64_t a)
{
	return opt_in_image(a) && bit_of(dead, a) && !bit_of(targets, a);
}

/* A detour's jmp or island: set while it is in the text (a quick test before a walk). */
void opt_set_written(uint64_t a, size_t n, bool on)
{
	for (uint64_t off = a - (uint64_t)_text; n; n--, off++)
		if (on)
			written[off / 8] |= 1 << (off % 8);
		else
			written[off / 8] &= ~(1 << (off % 8));
}

bool opt_is_written(uint64_t a)
{
	return opt_in_image(a) && bit_of(written, a);
}

static bool read64(uint64_t addr, uint64_t *v, void *arg)
{
	(void)arg;
	return !copy_from_kernel_nofault(v, (const void *)addr, sizeof(*v));
}

static bool is_code(uint64_t a, void *arg)
{
	(void)arg;
	return opt_in_image(a);
}

size_t opt_padding_after(const struct ksym *sym, size_t max)
{
	uint64_t end = sym->addr + sym->size, off;
	size_t n = 0;

	for (; n < max && opt_in_image(end + n); n++) {
		const struct ksym *o = kallsyms_lookup(end + n, &off);

		if (o && o != sym && off < o->size)
			break;
		if (o && o->addr == end + n)
			break;
	}
	return n;
}

static uint8_t scan_buf[64 * 1024];

static bool is_function(const struct ksym *sym)
{
	return (sym->type == 't' || sym->type == 'T') && opt_in_image(sym->addr) && sym->size;
}

static int scan_function(const struct ksym *sym, void *arg)
{
	static const struct opt_scan_env env = { mark, read64, is_code, NULL };
	size_t n;

	(void)arg;
	if (!is_function(sym))
		return 0;
	if (sym->size > sizeof(scan_buf)) {	/* too big to scan: no range in it is safe */
		for (uint64_t a = sym->addr; a < sym->addr + sym->size; a++)
			mark(a, NULL);
		return 0;
	}
	n = kprobe_read_orig(sym->addr, scan_buf, sym->size);
	opt_scan_targets(scan_buf, sym->addr, sym->addr + n, &env);
	return 0;
}

/*
 * With every target known: the alignment nops after a jmp or ret up to the
 * next target, and the padding after a function that ends so (up to the
 * next symbol) are never run. Anything else is taken to be, however odd.
 * Not in the blacklist: the entry code there has entries no scan sees (the
 * IDT's stubs, trampolines returned to).
 */
static int mark_dead(const struct ksym *sym, void *arg)
{
	uint64_t end = sym->addr + sym->size;
	bool after_jump = false;
	struct insn in;
	size_t pad;

	(void)arg;
	if (!is_function(sym) || sym->size > sizeof(scan_buf) || kprobe_blacklisted(sym->addr) ||
	    kprobe_read_orig(sym->addr, scan_buf, sym->size) != sym->size)
		return 0;
	for (uint64_t pc = sym->addr; pc < end; pc += in.len) {
		if (insn_decode(&in, scan_buf + (pc - sym->addr), end - pc, pc))
			return 0;
		if (after_jump && (in.flags & INSN_F_NOP) && !opt_is_target(pc)) {
			for (unsigned int i = 0; i < in.len; i++)
				set_bit_of(dead, pc + i);
			continue;
		}
		after_jump = opt_unconditional(&in);
	}
	if (!after_jump)
		return 0;
	pad = opt_padding_after(sym, 256);
	for (size_t i = 0; i < pad && !opt_is_target(end + i); i++)
		set_bit_of(dead, end + i);
	return 0;
}

/*
 * At boot, before any probe: later, with probes on the decoder and the
 * copy routines, the scan would take each of their hits.
 */
int opt_targets_init(void)
{
	size_t bytes = ((uint64_t)_etext - (uint64_t)_text) / 8 + 1;
	uint8_t *maps;

	if (targets)
		return 0;
	maps = kzalloc(3 * bytes);
	if (!maps)
		return -ENOMEM;
	targets = maps;
	dead = maps + bytes;
	written = maps + 2 * bytes;
	kallsyms_for_each(scan_function, NULL);
	/* an exception fixup is where a faulting instruction continues */
	for (const struct exception_entry *e = __ex_table_start; e < __ex_table_end; e++)
		mark((uint64_t)&e->fixup + e->fixup, NULL);
	kallsyms_for_each(mark_dead, NULL);
	return 0;
}
