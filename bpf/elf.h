/*
 * Private to the loader (bpf/elf.c, bpf/btf.c, bpf/loader.c): the parts of
 * ELF64 a relocatable eBPF object uses, and a checked view of one object.
 * Every accessor here has already bounds-checked what it returns.
 */
#ifndef KP_BPF_ELF_H
#define KP_BPF_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EM_BPF			247
#define SHT_PROGBITS		1
#define SHT_SYMTAB		2
#define SHT_STRTAB		3
#define SHT_NOBITS		8
#define SHT_REL			9
#define SHF_EXECINSTR		0x4
#define STT_OBJECT		1
#define STT_FUNC		2
#define STT_SECTION		3
#define STB_GLOBAL		1
#define R_BPF_64_64		1
#define R_BPF_64_ABS64		2
#define R_BPF_64_ABS32		3
#define R_BPF_64_NODYLD32	4
#define R_BPF_64_32		10

struct elf64_shdr {
	uint32_t sh_name, sh_type;
	uint64_t sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t sh_link, sh_info;
	uint64_t sh_addralign, sh_entsize;
};

struct elf64_sym {
	uint32_t st_name;
	uint8_t st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
};

struct elf64_rel {
	uint64_t r_offset, r_info;
};

#define ELF_ST_TYPE(i)		((i) & 0xf)
#define ELF_ST_BIND(i)		((i) >> 4)
#define ELF_R_SYM(i)		((uint32_t)((i) >> 32))
#define ELF_R_TYPE(i)		((uint32_t)(i))

struct elf_file {
	const uint8_t *data;
	size_t size;
	const struct elf64_shdr *sh;	/* section headers, validated */
	unsigned int shnum;
	const char *shstr;		/* section name strings */
	size_t shstr_size;
	const struct elf64_sym *syms;
	unsigned int nsyms;
	const char *str;		/* symbol name strings */
	size_t str_size;
};

/*
 * Check the header, every section's bounds, the section and symbol string
 * tables and the symbol table; 0 or -EINVAL/-ENOEXEC with err filled.
 */
int elf_open(struct elf_file *f, const void *data, size_t size, char *err, size_t errlen);
/* Section name ("" if none); section contents (NULL for NOBITS). */
const char *elf_sec_name(const struct elf_file *f, unsigned int i);
const void *elf_sec_data(const struct elf_file *f, unsigned int i);
/* Index of the section named name, or 0. */
unsigned int elf_find_sec(const struct elf_file *f, const char *name);
const char *elf_sym_name(const struct elf_file *f, const struct elf64_sym *sym);

/* BTF (bpf/btf.c): what a BTF-defined map in ".maps" declares. */
struct btf;
struct btf_map_def {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t key_type_id, value_type_id;	/* 0 when given as key_size/value_size */
};
/* Find var name in the ".maps" DATASEC; 0, -ENOENT or -EINVAL with err. */
int btf_find_map(const struct btf *b, const char *name, struct btf_map_def *def,
		 char *err, size_t errlen);

#endif
