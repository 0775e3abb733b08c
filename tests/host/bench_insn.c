/*
 * Decoder throughput: walk the .text of a real library (libc by default,
 * or argv[1]) with insn_decode() for about a second and print
 *   bench: insn_decode=N insn/s
 * A benchmark, not a test: it never judges the number.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "insn.h"

/* A few common shapes, used when no ELF file can be read. */
static const uint8_t fallback[] = {
	0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0x48, 0x8b, 0x05,
	0x10, 0x00, 0x00, 0x00, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x85, 0xc0,
	0x74, 0x05, 0xc5, 0xf9, 0x6f, 0x44, 0x24, 0x08, 0x62, 0xf1, 0x7c,
	0x48, 0x10, 0x40, 0x01, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xc9, 0xc3,
};

static uint8_t *load_text(const char *path, size_t *len)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint8_t *file, *text = NULL;
	const char *names;
	FILE *f = fopen(path, "rb");
	long size;
	int i;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc(size);
	if (fread(file, 1, size, f) != (size_t)size)
		size = 0;
	fclose(f);
	eh = (const Elf64_Ehdr *)file;
	if (size < (long)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)size)
		goto out;
	sh = (const Elf64_Shdr *)(file + eh->e_shoff);
	names = (const char *)file + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		if (strcmp(names + sh[i].sh_name, ".text") ||
		    sh[i].sh_offset + sh[i].sh_size > (uint64_t)size)
			continue;
		*len = sh[i].sh_size;
		text = malloc(*len);
		memcpy(text, file + sh[i].sh_offset, *len);
	}
out:
	free(file);
	return text;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/usr/lib/x86_64-linux-gnu/libc.so.6";
	size_t len = 0, off;
	uint8_t *text = load_text(path, &len);
	unsigned long count = 0;
	double t0, t;
	struct insn in;

	if (!text) {
		len = sizeof(fallback);
		text = malloc(len);
		memcpy(text, fallback, len);
		path = "built-in sample";
	}
	t0 = now();
	do {
		for (off = 0; off < len; count++)
			off += insn_decode(&in, text + off, len - off, off) ? 1 : in.len;
		t = now() - t0;
	} while (t < 1.0);
	printf("# %s: %zu bytes of code\n", path, len);
	printf("bench: insn_decode=%.0f insn/s\n", count / t);
	free(text);
	return 0;
}
