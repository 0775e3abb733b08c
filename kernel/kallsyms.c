/*
 * The kernel's symbol table, generated at link time by scripts/kallsyms.py
 * from the first link's `nm` and linked into .kallsyms (last in the image, so
 * filling it in moves nothing). Entries are sorted by address; names live in
 * one blob. A second array sorted by name makes name lookup a binary search.
 */
#include "kernel.h"
#include "kallsyms.h"
#include "module.h"

/* Defined by the generated build/kallsyms.c (empty in the first link). */
extern const struct ksym kallsyms_syms[];
extern const uint32_t kallsyms_by_name[];
extern const uint32_t kallsyms_num;
extern const char kallsyms_names[];

static bool in_kernel_table(const struct ksym *s)
{
	return s >= kallsyms_syms && s < kallsyms_syms + kallsyms_num;
}

const char *ksym_name(const struct ksym *s)
{
	return in_kernel_table(s) ? kallsyms_names + s->name : module_ksym_name(s);
}

unsigned int kallsyms_count(void)
{
	return kallsyms_num;
}

uint64_t kallsyms_lookup_name(const char *name)
{
	uint32_t lo = 0, hi = kallsyms_num;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct ksym *s = &kallsyms_syms[kallsyms_by_name[mid]];
		int c = strcmp(name, ksym_name(s));

		if (!c) {
			/* several statics may share a name: take the first */
			while (mid > 0 && !strcmp(name, ksym_name(&kallsyms_syms[kallsyms_by_name[mid - 1]])))
				mid--;
			return kallsyms_syms[kallsyms_by_name[mid]].addr;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return module_kallsyms_lookup_name(name);
}
EXPORT_SYMBOL(kallsyms_lookup_name);

const struct ksym *kallsyms_lookup(uint64_t addr, uint64_t *off)
{
	uint32_t lo = 0, hi = kallsyms_num;
	const struct ksym *s;

	/* last symbol starting at or below addr */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (kallsyms_syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return module_kallsyms_lookup(addr, off, NULL);
	s = &kallsyms_syms[lo - 1];
	/* prefer the sized symbol when an alias of size 0 shares its address */
	while (s > kallsyms_syms && s[-1].addr == s->addr && !s->size)
		s--;
	if (addr - s->addr >= (s->size ? s->size : 1))
		return module_kallsyms_lookup(addr, off, NULL);
	if (off)
		*off = addr - s->addr;
	return s;
}

/* "name+0xoff/0xsize", with " [module]" after a module's symbol as Linux prints it. */
static char *sprint_at(uint64_t addr, uint64_t shown, uint64_t delta, char *buf, size_t len)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(addr, &off);
	const struct module *mod;

	if (!s) {
		snprintf(buf, len, "%#lx", shown);
		return buf;
	}
	mod = in_kernel_table(s) ? NULL : module_of(addr);
	snprintf(buf, len, "%s+0x%lx/0x%x%s%s%s", ksym_name(s), off + delta, s->size,
		 mod ? " [" : "", mod ? mod->name : "", mod ? "]" : "");
	return buf;
}

char *kallsyms_sprint(uint64_t addr, char *buf, size_t len)
{
	return sprint_at(addr, addr, 0, buf, len);
}

char *kallsyms_sprint_ret(uint64_t ret, char *buf, size_t len)
{
	/* a call as a function's last instruction returns just past its end */
	return sprint_at(ret - 1, ret, 1, buf, len);
}

int kallsyms_for_each(int (*fn)(const struct ksym *s, void *arg), void *arg)
{
	for (uint32_t i = 0; i < kallsyms_num; i++) {
		int r = fn(&kallsyms_syms[i], arg);

		if (r)
			return r;
	}
	return 0;
}

int parse_address(const char *s, uint64_t *addr)
{
	char name[128];
	const char *op;
	uint64_t base, off = 0;
	size_t n;

	if (!*s)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '9')
		return kstrtou64(s, addr);
	for (op = s; *op && *op != '+' && *op != '-'; op++)
		;
	n = op - s;
	if (n >= sizeof(name))
		return -ENOENT;
	memcpy(name, s, n);
	name[n] = '\0';
	base = kallsyms_lookup_name(name);
	if (!base)
		return -ENOENT;
	if (*op && kstrtou64(op + 1, &off))
		return -EINVAL;
	*addr = *op == '-' ? base - off : base + off;
	return 0;
}
