/*
 * A checked view of an ELF64 relocatable eBPF object. elf_open() validates
 * everything the loader will later index (header, section table, string
 * tables, symbols), so a truncated or corrupted object is refused here with
 * one reason and the loader never reads outside the buffer.
 */
#include "elf.h"
#include "lib.h"
#include "kerrno.h"

struct elf64_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

#define ET_REL		1
#define MAX_SECTIONS	1024

static int bad(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -ENOEXEC;
}

/* Is [off, off + len) inside the file? */
static bool in_file(const struct elf_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

int elf_open(struct elf_file *f, const void *data, size_t size, char *err, size_t errlen)
{
	const struct elf64_ehdr *eh = data;
	const struct elf64_shdr *symtab = NULL;

	memset(f, 0, sizeof(*f));
	f->data = data;
	f->size = size;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, "\177ELF", 4))
		return bad(err, errlen, "not an ELF file");
	if (eh->e_ident[4] != 2 || eh->e_ident[5] != 1)
		return bad(err, errlen, "not a little-endian ELF64 file");
	if (eh->e_machine != EM_BPF)
		return bad(err, errlen, "not an eBPF object (wrong machine)");
	if (eh->e_type != ET_REL)
		return bad(err, errlen, "not a relocatable object");
	if (eh->e_shentsize != sizeof(struct elf64_shdr) || eh->e_shnum == 0 ||
	    eh->e_shnum > MAX_SECTIONS || eh->e_shoff % 8 ||
	    !in_file(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr)))
		return bad(err, errlen, "truncated or bad section table");
	if (eh->e_shstrndx >= eh->e_shnum)
		return bad(err, errlen, "bad section name table");
	f->sh = (const struct elf64_shdr *)(f->data + eh->e_shoff);
	f->shnum = eh->e_shnum;
	for (unsigned int i = 1; i < f->shnum; i++) {
		const struct elf64_shdr *s = &f->sh[i];

		if (s->sh_type != SHT_NOBITS && !in_file(f, s->sh_offset, s->sh_size))
			return bad(err, errlen, "truncated object: a section runs past the end");
		if (s->sh_type == SHT_SYMTAB) {
			if (symtab)
				return bad(err, errlen, "more than one symbol table");
			symtab = s;
		}
	}
	{
		const struct elf64_shdr *ss = &f->sh[eh->e_shstrndx];

		if (ss->sh_type != SHT_STRTAB || ss->sh_size == 0 ||
		    f->data[ss->sh_offset + ss->sh_size - 1] != '\0')
			return bad(err, errlen, "bad section name table");
		f->shstr = (const char *)f->data + ss->sh_offset;
		f->shstr_size = ss->sh_size;
	}
	for (unsigned int i = 1; i < f->shnum; i++)
		if (f->sh[i].sh_name >= f->shstr_size)
			return bad(err, errlen, "bad section name");
	if (!symtab)
		return bad(err, errlen, "no symbol table");
	if (symtab->sh_entsize != sizeof(struct elf64_sym) || symtab->sh_size % sizeof(struct elf64_sym) ||
	    symtab->sh_offset % 8 || symtab->sh_link == 0 || symtab->sh_link >= f->shnum ||
	    f->sh[symtab->sh_link].sh_type != SHT_STRTAB)
		return bad(err, errlen, "bad symbol table");
	f->syms = (const struct elf64_sym *)(f->data + symtab->sh_offset);
	f->nsyms = (unsigned int)(symtab->sh_size / sizeof(struct elf64_sym));
	{
		const struct elf64_shdr *st = &f->sh[symtab->sh_link];

		if (st->sh_size == 0 || f->data[st->sh_offset + st->sh_size - 1] != '\0')
			return bad(err, errlen, "bad symbol name table");
		f->str = (const char *)f->data + st->sh_offset;
		f->str_size = st->sh_size;
	}
	for (unsigned int i = 0; i < f->nsyms; i++)
		if (f->syms[i].st_name >= f->str_size)
			return bad(err, errlen, "bad symbol name");
	return 0;
}

const char *elf_sec_name(const struct elf_file *f, unsigned int i)
{
	return i && i < f->shnum ? f->shstr + f->sh[i].sh_name : "";
}

const void *elf_sec_data(const struct elf_file *f, unsigned int i)
{
	if (!i || i >= f->shnum || f->sh[i].sh_type == SHT_NOBITS)
		return NULL;
	return f->data + f->sh[i].sh_offset;
}

unsigned int elf_find_sec(const struct elf_file *f, const char *name)
{
	for (unsigned int i = 1; i < f->shnum; i++)
		if (!strcmp(elf_sec_name(f, i), name))
			return i;
	return 0;
}

const char *elf_sym_name(const struct elf_file *f, const struct elf64_sym *sym)
{
	return f->str + sym->st_name;
}
