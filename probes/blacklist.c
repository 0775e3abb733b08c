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
	"glob_match",	/* event filters' '~' operator, inside the probe handler */
};
static uint64_t lib_addrs[ARRAY_SIZE(lib_names)];	/* looked up once */

static bool in_symbol(uint64_t addr, uint64_t sym)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(sym, &off);

	return s && off == 0 && addr >= sym && addr < sym + (s->size ? s->size : 1);
}

bool kprobe_blacklisted(uint64_t addr)
{
	if (addr >= (uint64_t)__noprobe_text_start && addr < (uint64_t)__noprobe_text_end)
		return true;
	for (const void *const *p = __noprobe_list_start; p < __noprobe_list_end; p++)
		if (in_symbol(addr, (uint64_t)*p))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(lib_names); i++) {
		if (!lib_addrs[i])
			lib_addrs[i] = kallsyms_lookup_name(lib_names[i]);
		if (in_symbol(addr, lib_addrs[i]))
			return true;
	}
	return false;
}
