/*
 * Where probes may not go: only code that runs before the engine can tell
 * that a probe is already active on this CPU, and the code that runs or
 * restores a probed instruction. A hit anywhere else, even in code a handler
 * calls, is caught by the per-CPU state and taken as a reentry. The ranges
 * are the .noprobe.text.* sections (include/kernel.h names them), plus any
 * function marked NOKPROBE_SYMBOL(). `kprobes blacklist` lists them.
 */
#include "kprobes_internal.h"
#include "console.h"
#include "kallsyms.h"

extern const char __noprobe_text_start[], __noprobe_text_end[];
extern const char __noprobe_entry_start[], __noprobe_entry_end[];
extern const char __noprobe_hit_start[], __noprobe_hit_end[];
extern const char __noprobe_kretprobe_start[], __noprobe_kretprobe_end[];
extern const char __noprobe_poke_start[], __noprobe_poke_end[];
extern const char _text[], _etext[];
extern const void *const __noprobe_list_start[], *const __noprobe_list_end[];

static const struct {
	const char *start, *end;
	const char *why;
} sections[] = {
	{ __noprobe_entry_start, __noprobe_entry_end,
	  "trap entry/exit, exception dispatch: before the probe state is looked at" },
	{ __noprobe_hit_start, __noprobe_hit_end,
	  "int3/#DB/fault hooks, table lookup, step/boost/emulate" },
	{ __noprobe_kretprobe_start, __noprobe_kretprobe_end,
	  "kretprobe trampoline and instance bookkeeping" },
	{ __noprobe_poke_start, __noprobe_poke_end, "text_poke: writes the probes' int3" },
};

static const char *const listed_why = "NOKPROBE_SYMBOL";

/* Size of a NOKPROBE_SYMBOL() function, or 0 if addr is not one's start. */
static uint64_t listed_size(uint64_t addr)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(addr, &off);

	return s && off == 0 ? (s->size ? s->size : 1) : 0;
}

bool kprobe_blacklisted(uint64_t addr)
{
	if (addr >= (uint64_t)__noprobe_text_start && addr < (uint64_t)__noprobe_text_end)
		return true;
	for (const void *const *p = __noprobe_list_start; p < __noprobe_list_end; p++)
		if (addr - (uint64_t)*p < listed_size((uint64_t)*p))
			return true;
	return false;
}

struct show_state {
	uint64_t start, end;
	const char *why;
	unsigned long funcs;
};

/* One line per function in [start, end), as Linux's debugfs blacklist file. */
static int show_func(const struct ksym *s, void *arg)
{
	struct show_state *st = arg;

	if (s->type != 't' || s->addr < st->start || s->addr >= st->end || !s->size)
		return s->addr >= st->end;
	cprintf("0x%016lx-0x%016lx\t%s\t(%s)\n", s->addr,
		min(s->addr + s->size, st->end), ksym_name(s), st->why);
	st->funcs++;
	return 0;
}

static int count_func(const struct ksym *s, void *arg)
{
	unsigned long *n = arg;

	if (s->type == 't' && s->size && is_kernel_text(s->addr)) {
		n[0]++;
		n[1] += kprobe_blacklisted(s->addr);
	}
	return 0;
}

void kprobe_blacklist_stats(uint64_t *bytes, uint64_t *text, unsigned long *funcs,
			    unsigned long *all_funcs)
{
	unsigned long n[2] = { 0, 0 };

	*bytes = __noprobe_text_end - __noprobe_text_start;
	for (const void *const *p = __noprobe_list_start; p < __noprobe_list_end; p++)
		*bytes += listed_size((uint64_t)*p);
	*text = _etext - _text;
	kallsyms_for_each(count_func, n);
	*all_funcs = n[0];
	*funcs = n[1];
}

void kprobe_blacklist_show(void)
{
	struct show_state st = { 0 };
	uint64_t bytes, text;
	unsigned long funcs, all;

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		st.start = (uint64_t)sections[i].start;
		st.end = (uint64_t)sections[i].end;
		st.why = sections[i].why;
		kallsyms_for_each(show_func, &st);
	}
	for (const void *const *p = __noprobe_list_start; p < __noprobe_list_end; p++) {
		st.start = (uint64_t)*p;
		st.end = st.start + listed_size(st.start);
		st.why = listed_why;
		kallsyms_for_each(show_func, &st);
	}
	kprobe_blacklist_stats(&bytes, &text, &funcs, &all);
	cprintf("# %lu of %lu functions, %lu of %lu text bytes (%lu.%02lu%%) blacklisted\n",
		funcs, all, bytes, text, bytes * 100 / text, bytes * 10000 / text % 100);
}
