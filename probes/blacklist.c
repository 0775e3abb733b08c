/*
 * Where probes may not go. An int3 in the code that handles int3 would
 * recurse without end, so the blacklist covers:
 *   - .noprobe.text: the trap entry stubs and every file the hit path runs
 *     (the Makefile moves whole files there: traps, extable, paging's
 *     text_poke, the probe engine, fetch-args and filters);
 *   - functions marked NOKPROBE_SYMBOL() elsewhere;
 *   - the lib/ routines the hit path calls, named here because lib/ sits
 *     below the kernel headers and cannot mark itself.
 */
#include "kprobes_internal.h"
#include "kallsyms.h"

extern const char __noprobe_text_start[], __noprobe_text_end[];
extern const void *const __noprobe_list_start[], *const __noprobe_list_end[];

static const char *const lib_names[] = {
	"memcpy", "memset", "memmove", "memcmp", "strlen", "strnlen", "strcmp",
	"strncmp", "snprintf", "vsnprintf",
};

/* [start, end) of every listed function, resolved once (registration is hot in bulk). */
#define MAX_RANGES 256
static struct range {
	uint64_t start, end;
} ranges[MAX_RANGES];
static int nranges = -1;

static void add_symbol(uint64_t addr)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(addr, &off);

	if (s && off == 0 && nranges < MAX_RANGES)
		ranges[nranges++] = (struct range){ addr, addr + (s->size ? s->size : 1) };
}

static void resolve_ranges(void)
{
	nranges = 0;
	for (const void *const *p = __noprobe_list_start; p < __noprobe_list_end; p++)
		add_symbol((uint64_t)*p);
	for (size_t i = 0; i < ARRAY_SIZE(lib_names); i++)
		add_symbol(kallsyms_lookup_name(lib_names[i]));
	BUG_ON(nranges == MAX_RANGES);	/* raise MAX_RANGES */
}

bool kprobe_blacklisted(uint64_t addr)
{
	if (addr >= (uint64_t)__noprobe_text_start && addr < (uint64_t)__noprobe_text_end)
		return true;
	if (nranges < 0)
		resolve_ranges();
	for (int i = 0; i < nranges; i++)
		if (addr >= ranges[i].start && addr < ranges[i].end)
			return true;
	return false;
}
