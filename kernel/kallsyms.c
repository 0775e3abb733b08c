/*
 * The kernel's symbol table, generated at link time by scripts/kallsyms.py
 * from the first link's `nm` and linked into .kallsyms (last in the image, so
 * filling it in moves nothing). Entries are sorted by address; names live in
 * one blob. A second array sorted by name makes name lookup a binary search.
 */
#include "kernel.h"
#include "kallsyms.h"

/* Defined by the generated build/kallsyms.c (empty in the first link). */
extern const struct ksym kallsyms_syms[];
extern const uint32_t kallsyms_by_name[];
extern const uint32_t kallsyms_num;
extern const char kallsyms_names[];

const char *ksym_name(const struct ksym *s)
{
	return kallsyms_names + s->name;
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
	return 0;
}

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
		return NULL;
	s = &kallsyms_syms[lo - 1];
	/* prefer the sized symbol when an alias of size 0 shares its address */
	while (s > kallsyms_syms && s[-1].addr == s->addr && !s->size)
		s--;
	if (addr - s->addr >= (s->size ? s->size : 1))
		return NULL;
	if (off)
		*off = addr - s->addr;
	return s;
}

char *kallsyms_sprint(uint64_t addr, char *buf, size_t len)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(addr, &off);

	if (s)
		snprintf(buf, len, "%s+0x%lx/0x%x", ksym_name(s), off, s->size);
	else
		snprintf(buf, len, "%#lx", addr);
	return buf;
}

char *kallsyms_sprint_ret(uint64_t ret, char *buf, size_t len)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(ret - 1, &off);

	/* a call as a function's last instruction returns just past its end */
	if (s)
		snprintf(buf, len, "%s+0x%lx/0x%x", ksym_name(s), off + 1, s->size);
	else
		snprintf(buf, len, "%#lx", ret);
	return buf;
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
