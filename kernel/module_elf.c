/*
 * The module loader's ELF half: check an x86-64 relocatable object, place
 * its allocated sections in three page-aligned regions (text RX, read-only
 * data, writable data and bss) and apply its RELA relocations. Portable C,
 * tested on the host (tests/host/test_module_elf.c); the kernel side is
 * kernel/module.c.
 */
#include "lib.h"
#include "kerrno.h"
#include "module_internal.h"

#define ALIGN_TO(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

static int fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -ENOEXEC;
}

static bool in_file(const struct elf_mod *m, uint64_t off, uint64_t size)
{
	return off <= m->len && size <= m->len - off;
}

int elf_mod_parse(struct elf_mod *m, const void *buf, size_t len, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = buf;
	int symtab = -1;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, "\177ELF", 4))
		return fail(err, errlen, "not an ELF file");
	if (eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return fail(err, errlen, "wrong machine (not x86-64 ELF64)");
	if (eh->e_type != ET_REL)
		return fail(err, errlen, "not a relocatable object");
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum || eh->e_shstrndx >= eh->e_shnum ||
	    !in_file(m, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) || eh->e_shoff % 8)
		return fail(err, errlen, "bad section header table");
	m->eh = eh;
	m->sh = (const Elf64_Shdr *)(m->buf + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &m->sh[i];

		if (s->sh_type != SHT_NOBITS && !in_file(m, s->sh_offset, s->sh_size))
			return fail(err, errlen, "a section lies outside the file");
		if (s->sh_addralign > MOD_PAGE || (s->sh_addralign & (s->sh_addralign - 1)))
			return fail(err, errlen, "bad section alignment");
		if (s->sh_type == SHT_REL)
			return fail(err, errlen, "REL relocations (x86-64 uses RELA)");
		if (s->sh_type == SHT_SYMTAB) {
			if (symtab >= 0)
				return fail(err, errlen, "more than one symbol table");
			symtab = i;
		}
	}
	if (m->sh[eh->e_shstrndx].sh_type != SHT_STRTAB)
		return fail(err, errlen, "no section name table");
	m->shstr = (const char *)m->buf + m->sh[eh->e_shstrndx].sh_offset;
	if (symtab < 0)
		return fail(err, errlen, "no symbol table");
	if (m->sh[symtab].sh_entsize != sizeof(Elf64_Sym) || m->sh[symtab].sh_offset % 8 ||
	    m->sh[symtab].sh_link >= eh->e_shnum || m->sh[m->sh[symtab].sh_link].sh_type != SHT_STRTAB)
		return fail(err, errlen, "bad symbol table");
	m->syms = (const Elf64_Sym *)(m->buf + m->sh[symtab].sh_offset);
	m->nsyms = m->sh[symtab].sh_size / sizeof(Elf64_Sym);
	m->strtab = (const char *)m->buf + m->sh[m->sh[symtab].sh_link].sh_offset;
	m->strtab_len = m->sh[m->sh[symtab].sh_link].sh_size;
	if (!m->strtab_len || m->strtab[m->strtab_len - 1])
		return fail(err, errlen, "bad symbol name table");
	for (unsigned int i = 0; i < m->nsyms; i++)
		if (m->syms[i].st_name >= m->strtab_len)
			return fail(err, errlen, "bad symbol name");
	return 0;
}

int elf_mod_section(const struct elf_mod *m, const char *name)
{
	size_t max = m->sh[m->eh->e_shstrndx].sh_size;

	for (unsigned int i = 0; i < m->eh->e_shnum; i++)
		if (m->sh[i].sh_name < max && !strncmp(m->shstr + m->sh[i].sh_name, name, max - m->sh[i].sh_name) &&
		    strlen(name) < max - m->sh[i].sh_name)
			return i;
	return -1;
}

const char *elf_mod_info(const struct elf_mod *m, const char *key)
{
	int i = elf_mod_section(m, ".modinfo");
	size_t klen = strlen(key);
	const char *p, *end;

	if (i < 0 || m->sh[i].sh_type != SHT_PROGBITS)
		return NULL;
	p = (const char *)m->buf + m->sh[i].sh_offset;
	end = p + m->sh[i].sh_size;
	/* NUL-separated "key=value" strings; a value must end inside the section */
	while (p < end) {
		size_t n = strnlen(p, end - p);

		if (n == (size_t)(end - p))
			return NULL;
		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return p + klen + 1;
		p += n + 1;
	}
	return NULL;
}

/* 0 text, 1 read-only, 2 writable */
static int region_of(const Elf64_Shdr *s)
{
	if (s->sh_flags & SHF_EXECINSTR)
		return 0;
	return s->sh_flags & SHF_WRITE ? 2 : 1;
}

int elf_mod_layout(struct elf_mod *m, char *err, size_t errlen)
{
	uint64_t size[3] = { 0, 0, 0 }, base[3];

	for (unsigned int i = 0; i < m->eh->e_shnum; i++)
		m->off[i] = NO_OFF;
	for (int r = 0; r < 3; r++) {
		for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
			const Elf64_Shdr *s = &m->sh[i];

			if (!(s->sh_flags & SHF_ALLOC) || region_of(s) != r)
				continue;
			if ((s->sh_flags & SHF_WRITE) && (s->sh_flags & SHF_EXECINSTR))
				return fail(err, errlen, "writable code section");
			size[r] = ALIGN_TO(size[r], s->sh_addralign ? s->sh_addralign : 1);
			m->off[i] = size[r];	/* region-relative for now */
			size[r] += s->sh_size;
			if (size[r] > (64UL << 20))
				return fail(err, errlen, "module too large");
		}
	}
	m->text_size = ALIGN_TO(size[0], MOD_PAGE);
	m->ro_size = ALIGN_TO(size[1], MOD_PAGE);
	m->data_size = ALIGN_TO(size[2], MOD_PAGE);
	base[0] = 0;
	base[1] = m->text_size;
	base[2] = m->text_size + m->ro_size;
	for (unsigned int i = 0; i < m->eh->e_shnum; i++)
		if (m->off[i] != NO_OFF)
			m->off[i] += base[region_of(&m->sh[i])];
	return 0;
}

const char *elf_mod_sym_name(const struct elf_mod *m, const Elf64_Sym *s)
{
	return m->strtab + s->st_name;
}

uint64_t elf_mod_sym_addr(const struct elf_mod *m, const Elf64_Sym *s, uint64_t base)
{
	if (s->st_shndx == SHN_ABS)
		return s->st_value;
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= m->eh->e_shnum || m->off[s->st_shndx] == NO_OFF)
		return 0;
	return base + m->off[s->st_shndx] + s->st_value;
}

int elf_apply_rela(uint32_t type, uint8_t *loc, uint64_t P, uint64_t S, int64_t A)
{
	uint64_t v = S + A;
	int64_t rel = (int64_t)(v - P);

	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
		memcpy(loc, &v, 8);
		return 0;
	case R_X86_64_PC64:
		memcpy(loc, &rel, 8);
		return 0;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:	/* no PLT here: calls reach directly (module space is near the kernel) */
		if (rel != (int32_t)rel)
			return -ERANGE;
		memcpy(loc, &(int32_t){ (int32_t)rel }, 4);
		return 0;
	case R_X86_64_32:
		if (v != (uint32_t)v)
			return -ERANGE;
		memcpy(loc, &(uint32_t){ (uint32_t)v }, 4);
		return 0;
	case R_X86_64_32S:
		if ((int64_t)v != (int32_t)v)
			return -ERANGE;
		memcpy(loc, &(int32_t){ (int32_t)v }, 4);
		return 0;
	}
	return -ENOEXEC;
}

static int relocate_section(struct elf_mod *m, const Elf64_Shdr *rs, uint8_t *image, uint64_t base,
			    const uint64_t *symaddr, char *err, size_t errlen)
{
	const Elf64_Shdr *target = &m->sh[rs->sh_info];
	const Elf64_Rela *r = (const Elf64_Rela *)(m->buf + rs->sh_offset);
	size_t n = rs->sh_size / sizeof(*r);
	uint64_t toff = m->off[rs->sh_info];

	if (rs->sh_entsize != sizeof(*r) || rs->sh_offset % 8 || target->sh_type == SHT_NOBITS)
		return fail(err, errlen, "bad relocation section");
	for (size_t i = 0; i < n; i++) {
		uint32_t sym = ELF64_R_SYM(r[i].r_info), type = ELF64_R_TYPE(r[i].r_info);
		uint64_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
		int e;

		if (sym >= m->nsyms || r[i].r_offset > target->sh_size ||
		    target->sh_size - r[i].r_offset < width)
			return fail(err, errlen, "relocation outside its section");
		e = elf_apply_rela(type, image + toff + r[i].r_offset, base + toff + r[i].r_offset,
				   symaddr[sym], r[i].r_addend);
		if (e == -ENOEXEC) {
			snprintf(err, errlen, "unknown relocation type %u", type);
			return -ENOEXEC;
		}
		if (e) {
			snprintf(err, errlen, "relocation overflow (type %u) against '%s'", type,
				 elf_mod_sym_name(m, &m->syms[sym]));
			return -ENOEXEC;
		}
	}
	return 0;
}

int elf_mod_relocate(struct elf_mod *m, uint8_t *image, uint64_t base, uint64_t *symaddr,
		     elf_resolve_t resolve, void *ctx, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &m->sh[i];

		if (m->off[i] != NO_OFF && s->sh_type != SHT_NOBITS)
			memcpy(image + m->off[i], m->buf + s->sh_offset, s->sh_size);
	}
	/* every symbol's value first: relocations index them */
	for (unsigned int i = 1; i < m->nsyms; i++) {
		const Elf64_Sym *s = &m->syms[i];
		const char *name = elf_mod_sym_name(m, s);
		bool found = false;

		if (s->st_shndx == SHN_COMMON) {
			snprintf(err, errlen, "common symbol '%s' (build with -fno-common)", name);
			return -ENOEXEC;
		}
		if (s->st_shndx != SHN_UNDEF) {
			if (s->st_shndx != SHN_ABS && (s->st_shndx >= m->eh->e_shnum ||
			    (m->off[s->st_shndx] == NO_OFF && ELF64_ST_TYPE(s->st_info) != STT_SECTION))) {
				snprintf(err, errlen, "symbol '%s' in a section that is not loaded", name);
				return -ENOEXEC;
			}
			symaddr[i] = elf_mod_sym_addr(m, s, base);
			continue;
		}
		symaddr[i] = resolve(name, ctx, &found);
		if (!found && ELF64_ST_BIND(s->st_info) != STB_WEAK) {
			snprintf(err, errlen, "undefined symbol '%s'", name);
			return -ENOENT;
		}
	}
	for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
		const Elf64_Shdr *rs = &m->sh[i];
		int e;

		if (rs->sh_type != SHT_RELA)
			continue;
		if (rs->sh_info >= m->eh->e_shnum)
			return fail(err, errlen, "bad relocation section");
		if (m->off[rs->sh_info] == NO_OFF)
			continue;	/* relocates something not loaded (debug info) */
		e = relocate_section(m, rs, image, base, symaddr, err, errlen);
		if (e)
			return e;
	}
	return 0;
}
