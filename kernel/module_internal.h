/*
 * Shared between the module loader's files (kernel/module*.c) and its host
 * test. module_elf.c is portable: it checks, lays out and relocates an ELF
 * relocatable object in memory it is handed, and knows nothing of the kernel.
 */
#ifndef KP_MODULE_INTERNAL_H
#define KP_MODULE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf64.h"

#define MOD_PAGE	4096UL

struct elf_mod {
	const uint8_t *buf;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;		/* eh->e_shnum headers */
	const char *shstr;		/* section names */
	const Elf64_Sym *syms;
	unsigned int nsyms;
	const char *strtab;		/* symbol names */
	size_t strtab_len;
	/* layout: where each allocated section goes, as an offset into the image */
	uint64_t *off;			/* e_shnum entries, NO_OFF if not loaded */
	size_t text_size, ro_size, data_size;	/* each a multiple of MOD_PAGE */
};
#define NO_OFF	UINT64_MAX

/* Returns the address of an undefined symbol, 0 with *found false if none. */
typedef uint64_t (*elf_resolve_t)(const char *name, void *ctx, bool *found);

/* Check the header and every section's bounds; -ENOEXEC and a message. */
int elf_mod_parse(struct elf_mod *m, const void *buf, size_t len, char *err, size_t errlen);
/* Place allocated sections: text, then read-only data, then data and bss. m->off must hold e_shnum. */
int elf_mod_layout(struct elf_mod *m, char *err, size_t errlen);
/*
 * Copy the sections into image (mapped at base), give every symbol its
 * address in symaddr (m->nsyms entries; undefined ones from resolve) and
 * apply every relocation to a loaded section.
 */
int elf_mod_relocate(struct elf_mod *m, uint8_t *image, uint64_t base, uint64_t *symaddr,
		     elf_resolve_t resolve, void *ctx, char *err, size_t errlen);
/* Apply one x86-64 relocation at loc (address P): 0, -ENOEXEC (type) or -ERANGE. */
int elf_apply_rela(uint32_t type, uint8_t *loc, uint64_t P, uint64_t S, int64_t A);
/* The section called name, or -1. */
int elf_mod_section(const struct elf_mod *m, const char *name);
/* "key=value" in .modinfo: the value, or NULL (points into the file). */
const char *elf_mod_info(const struct elf_mod *m, const char *key);
/* A symbol's address once laid out at base (defined symbols only; 0 otherwise). */
uint64_t elf_mod_sym_addr(const struct elf_mod *m, const Elf64_Sym *s, uint64_t base);
const char *elf_mod_sym_name(const struct elf_mod *m, const Elf64_Sym *s);


/* ---- kernel side only (kernel/module_symbols.c) ---- */
struct module;
struct kernel_symbol;
/* An export of the kernel, else of a live module (*owner set); 0 if none. */
uint64_t export_lookup(const char *name, struct module **owner);
/* The first of these names already exported by the kernel or a module, or NULL. */
const char *export_clash(const struct kernel_symbol *syms, unsigned int n);
/* The module's function and object symbols, sorted by address, for kallsyms. */
int module_build_kallsyms(struct module *mod, const struct elf_mod *m);

#endif
