/*
 * Symbols across the kernel and its modules: resolving a module's undefined
 * symbols against the kernel's EXPORT_SYMBOL table and live modules'
 * exports, and a kallsyms table per module (built from its ELF symbols at
 * load) so backtraces, ksym, insns and probes by name see module code.
 */
#include "kernel.h"
#include "mm.h"
#include "module.h"
#include "module_internal.h"

extern const struct kernel_symbol __ksymtab_start[], __ksymtab_end[];

static const struct kernel_symbol *find_in(const struct kernel_symbol *s, const struct kernel_symbol *end,
					   const char *name)
{
	for (; s < end; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static uint64_t kernel_export_lookup(const char *name)
{
	const struct kernel_symbol *s = find_in(__ksymtab_start, __ksymtab_end, name);

	return s ? s->addr : 0;
}

struct find_export {
	const char *name;
	uint64_t addr;
	struct module *owner;
};

static int module_export(struct module *mod, void *arg)
{
	struct find_export *f = arg;
	const struct kernel_symbol *s;

	if (mod->state == MODULE_STATE_GOING)
		return 0;
	s = find_in(mod->syms, mod->syms + mod->num_syms, f->name);
	if (!s)
		return 0;
	f->addr = s->addr;
	f->owner = mod;
	return 1;
}

uint64_t export_lookup(const char *name, struct module **owner)
{
	struct find_export f = { name, 0, NULL };

	*owner = NULL;
	f.addr = kernel_export_lookup(name);
	if (f.addr)
		return f.addr;
	module_for_each(module_export, &f);
	*owner = f.owner;
	return f.addr;
}

/* Is this export already offered by the kernel or a live module? */
const char *export_clash(const struct kernel_symbol *syms, unsigned int n)
{
	struct module *owner;

	for (unsigned int i = 0; i < n; i++)
		if (export_lookup(syms[i].name, &owner))
			return syms[i].name;
	return NULL;
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Insertion sort: a module has tens of symbols, and there is no qsort here. */
static void sort_ksyms(struct ksym *k, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		struct ksym t = k[i];
		unsigned int j = i;

		for (; j > 0 && by_addr(&k[j - 1], &t) > 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static char type_letter(const struct elf_mod *m, const Elf64_Sym *s)
{
	const Elf64_Shdr *sh = &m->sh[s->st_shndx];
	char c = sh->sh_flags & SHF_EXECINSTR ? 't' : sh->sh_type == SHT_NOBITS ? 'b' :
		 sh->sh_flags & SHF_WRITE ? 'd' : 'r';

	return ELF64_ST_BIND(s->st_info) == STB_LOCAL ? c : c - 'a' + 'A';
}

int module_build_kallsyms(struct module *mod, const struct elf_mod *m)
{
	size_t names = 0;
	unsigned int n = 0;

	for (unsigned int i = 1; i < m->nsyms; i++) {
		const Elf64_Sym *s = &m->syms[i];
		unsigned int t = ELF64_ST_TYPE(s->st_info);

		if ((t == STT_FUNC || t == STT_OBJECT) && s->st_shndx < m->eh->e_shnum &&
		    m->off[s->st_shndx] != NO_OFF && m->strtab[s->st_name]) {
			n++;
			names += strlen(elf_mod_sym_name(m, s)) + 1;
		}
	}
	mod->ksyms = kmalloc(n * sizeof(*mod->ksyms) + 1);
	mod->strtab = kmalloc(names + 1);
	if (!mod->ksyms || !mod->strtab)
		return -ENOMEM;
	names = 0;
	n = 0;
	for (unsigned int i = 1; i < m->nsyms; i++) {
		const Elf64_Sym *s = &m->syms[i];
		unsigned int t = ELF64_ST_TYPE(s->st_info);
		const char *name = elf_mod_sym_name(m, s);

		if (!((t == STT_FUNC || t == STT_OBJECT) && s->st_shndx < m->eh->e_shnum &&
		      m->off[s->st_shndx] != NO_OFF && *name))
			continue;
		mod->ksyms[n] = (struct ksym){
			.addr = elf_mod_sym_addr(m, s, (uint64_t)mod->base),
			.size = (uint32_t)s->st_size,
			.name = (uint32_t)names,
			.type = type_letter(m, s),
		};
		memcpy(mod->strtab + names, name, strlen(name) + 1);
		names += strlen(name) + 1;
		n++;
	}
	sort_ksyms(mod->ksyms, n);
	mod->num_ksyms = n;
	return 0;
}

const char *module_ksym_name(const struct ksym *s)
{
	struct module *mod = module_of(s->addr);

	return mod ? mod->strtab + s->name : "?";
}

static const struct ksym *ksym_in(struct module *mod, const char *name)
{
	for (unsigned int i = 0; i < mod->num_ksyms; i++)
		if (!strcmp(mod->strtab + mod->ksyms[i].name, name))
			return &mod->ksyms[i];
	return NULL;
}

struct find_name {
	const char *mod, *sym;
	size_t modlen;
	uint64_t addr;
};

static int name_in_module(struct module *mod, void *arg)
{
	struct find_name *f = arg;
	const struct ksym *s;

	if (f->mod && (strlen(mod->name) != f->modlen || strncmp(mod->name, f->mod, f->modlen)))
		return 0;
	s = ksym_in(mod, f->sym);
	if (s)
		f->addr = s->addr;
	return s != NULL;
}

/* "SYM" in any module, or "MOD:SYM" in that one (Linux's kprobe_events syntax). */
uint64_t module_kallsyms_lookup_name(const char *name)
{
	const char *colon = strchr(name, ':');
	struct find_name f = { NULL, name, 0, 0 };

	if (colon) {
		f.mod = name;
		f.modlen = colon - name;
		f.sym = colon + 1;
	}
	module_for_each(name_in_module, &f);
	return f.addr;
}

const struct ksym *module_kallsyms_lookup(uint64_t addr, uint64_t *off, const char **modname)
{
	struct module *mod = module_of(addr);
	const struct ksym *best = NULL;

	if (!mod)
		return NULL;
	for (unsigned int i = 0; i < mod->num_ksyms && mod->ksyms[i].addr <= addr; i++)
		if (addr - mod->ksyms[i].addr < (mod->ksyms[i].size ? mod->ksyms[i].size : 1))
			best = &mod->ksyms[i];
	if (best) {
		if (off)
			*off = addr - best->addr;
		if (modname)
			*modname = mod->name;
	}
	return best;
}
