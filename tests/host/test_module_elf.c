/*
 * Host tests for kernel/module_elf.c: each relocation type and its overflow
 * check, header checks on crafted files, and a whole object built by the
 * host compiler with the kernel's code model, laid out and relocated at a
 * module-space address.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "kerrno.h"
#include "../../kernel/module_internal.h"

#define MODBASE 0xffffffffa0000000ULL

static void t_reloc_types(void)
{
	uint8_t b[8];
	uint64_t v64;
	int32_t v32;

	CHECK_EQ(elf_apply_rela(R_X86_64_64, b, 0, 0x1122334455667788ULL, 8), 0);
	memcpy(&v64, b, 8);
	CHECK(v64 == 0x1122334455667790ULL);
	/* call from a module to the kernel image: within +-2 GiB */
	CHECK_EQ(elf_apply_rela(R_X86_64_PLT32, b, MODBASE + 0x10, 0xffffffff80100000ULL, -4), 0);
	memcpy(&v32, b, 4);
	CHECK_EQ(v32, (int64_t)(0xffffffff80100000ULL - 4 - (MODBASE + 0x10)));
	CHECK_EQ(elf_apply_rela(R_X86_64_PC32, b, MODBASE, MODBASE + 0x100, 0), 0);
	memcpy(&v32, b, 4);
	CHECK_EQ(v32, 0x100);
	/* -mcmodel=kernel absolutes: sign-extended 32 bits, fine in the top 2 GiB */
	CHECK_EQ(elf_apply_rela(R_X86_64_32S, b, 0, MODBASE + 0x40, 0), 0);
	memcpy(&v32, b, 4);
	CHECK_EQ((int64_t)v32, (int64_t)(MODBASE + 0x40));
	CHECK_EQ(elf_apply_rela(R_X86_64_PC64, b, MODBASE + 8, MODBASE, 0), 0);
	memcpy(&v64, b, 8);
	CHECK_EQ((int64_t)v64, -8);
	CHECK_EQ(elf_apply_rela(R_X86_64_NONE, b, 0, 0, 0), 0);
}

static void t_reloc_overflow(void)
{
	uint8_t b[8] = { 0 };

	/* a zero-extended 32-bit absolute cannot hold a top-2-GiB address */
	CHECK_EQ(elf_apply_rela(R_X86_64_32, b, 0, MODBASE, 0), -ERANGE);
	CHECK_EQ(elf_apply_rela(R_X86_64_32, b, 0, 0x1000, 0), 0);
	CHECK_EQ(elf_apply_rela(R_X86_64_32S, b, 0, 0x80000000ULL, 0), -ERANGE);
	CHECK_EQ(elf_apply_rela(R_X86_64_PC32, b, MODBASE, 0xffff888000000000ULL, 0), -ERANGE);
	CHECK_EQ(elf_apply_rela(R_X86_64_PLT32, b, 0, 0x100000000ULL, 0), -ERANGE);
	CHECK_EQ(elf_apply_rela(9 /* GOTPCREL */, b, 0, 0, 0), -ENOEXEC);
	CHECK_EQ(elf_apply_rela(42 /* REX_GOTPCRELX */, b, 0, 0, 0), -ENOEXEC);
}

static void t_header_checks(void)
{
	struct elf_mod m;
	char err[128];
	Elf64_Ehdr eh;

	CHECK_EQ(elf_mod_parse(&m, "hello", 5, err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "not an ELF file");
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, "\177ELF", 4);
	eh.e_ident[4] = ELFCLASS64;
	eh.e_ident[5] = ELFDATA2LSB;
	eh.e_machine = 3;	/* i386 */
	eh.e_type = ET_REL;
	CHECK_EQ(elf_mod_parse(&m, &eh, sizeof(eh), err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "wrong machine (not x86-64 ELF64)");
	eh.e_machine = EM_X86_64;
	eh.e_type = 2;	/* an executable */
	CHECK_EQ(elf_mod_parse(&m, &eh, sizeof(eh), err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "not a relocatable object");
	eh.e_type = ET_REL;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 4;
	eh.e_shoff = 1 << 20;	/* past the end */
	CHECK_EQ(elf_mod_parse(&m, &eh, sizeof(eh), err, sizeof(err)), -ENOEXEC);
	CHECK_STR(err, "bad section header table");
}

/* A real object: tests/host/module_sample.c built with the modules' flags (module.mk). */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static uint64_t fake_printk = 0xffffffff80123450ULL;

static uint64_t resolve(const char *name, void *ctx, bool *found)
{
	(void)ctx;
	*found = !strcmp(name, "printk");
	return *found ? fake_printk : 0;
}

static void t_sample_object(void)
{
	const char *path = "build/host/module_sample.o";
	struct elf_mod m;
	char err[128] = "";
	size_t len = 0;
	uint8_t *buf = path ? read_file(path, &len) : NULL, *image;
	uint64_t *symaddr, off;
	int32_t rel;

	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK_EQ(elf_mod_parse(&m, buf, len, err, sizeof(err)), 0);
	m.off = calloc(m.eh->e_shnum, sizeof(*m.off));
	CHECK_EQ(elf_mod_layout(&m, err, sizeof(err)), 0);
	CHECK(m.text_size == 4096 && m.ro_size == 4096 && m.data_size == 4096);
	CHECK_STR(elf_mod_info(&m, "license"), "GPL");
	CHECK(elf_mod_info(&m, "author") == NULL);
	image = calloc(1, m.text_size + m.ro_size + m.data_size);
	symaddr = calloc(m.nsyms, sizeof(*symaddr));
	CHECK_EQ(elf_mod_relocate(&m, image, MODBASE, symaddr, resolve, NULL, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* sample_ptr (.data) holds &sample_counter (.bss): R_X86_64_64 */
	for (unsigned int i = 1; i < m.nsyms; i++) {
		const char *n = elf_mod_sym_name(&m, &m.syms[i]);

		if (!strcmp(n, "sample_ptr")) {
			uint64_t v;

			off = elf_mod_sym_addr(&m, &m.syms[i], MODBASE) - MODBASE;
			CHECK(off >= m.text_size + m.ro_size);
			memcpy(&v, image + off, 8);
			for (unsigned int j = 1; j < m.nsyms; j++)
				if (!strcmp(elf_mod_sym_name(&m, &m.syms[j]), "sample_counter"))
					CHECK(v == elf_mod_sym_addr(&m, &m.syms[j], MODBASE));
		}
		if (!strcmp(n, "sample_call")) {
			/* e8 rel32 to printk somewhere in the function */
			off = elf_mod_sym_addr(&m, &m.syms[i], MODBASE) - MODBASE;
			CHECK(off < m.text_size);
			bool seen = false;

			for (size_t k = off; k + 5 <= off + m.syms[i].st_size; k++) {
				if (image[k] != 0xe8)
					continue;
				memcpy(&rel, image + k + 1, 4);
				seen |= MODBASE + k + 5 + (int64_t)rel == fake_printk;
			}
			CHECK(seen);
		}
	}
	free(symaddr);
	free(image);
	free(m.off);
	free(buf);
}

static uint64_t resolve_none(const char *name, void *ctx, bool *found)
{
	(void)name;
	(void)ctx;
	*found = false;
	return 0;
}

static void t_undefined_named(void)
{
	const char *path = "build/host/module_sample.o";
	struct elf_mod m;
	char err[128];
	size_t len = 0;
	uint8_t *buf = path ? read_file(path, &len) : NULL, *image;
	uint64_t *symaddr;

	if (!buf) {
		CHECK(buf != NULL);
		return;
	}
	CHECK_EQ(elf_mod_parse(&m, buf, len, err, sizeof(err)), 0);
	m.off = calloc(m.eh->e_shnum, sizeof(*m.off));
	CHECK_EQ(elf_mod_layout(&m, err, sizeof(err)), 0);
	image = calloc(1, m.text_size + m.ro_size + m.data_size);
	symaddr = calloc(m.nsyms, sizeof(*symaddr));
	CHECK_EQ(elf_mod_relocate(&m, image, MODBASE, symaddr, resolve_none, NULL, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "undefined symbol 'printk'");
	free(symaddr);
	free(image);
	free(m.off);
	free(buf);
}

int main(void)
{
	RUN(t_reloc_types);
	RUN(t_reloc_overflow);
	RUN(t_header_checks);
	RUN(t_sample_object);
	RUN(t_undefined_named);
	return check_done();
}
