/*
 * The inputs of the decoder's differential test (test_insn_diff.c): the
 * pinned corpus of ELF files, their executable sections, and objdump's
 * listing parsed back into address, bytes and text.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "insn_corpus.h"

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = n;
	}
	fclose(f);
	return buf;
}

/*
 * Executable PROGBITS sections of an x86-64 ELF. In the kernel image,
 * sections below the higher half hold the 32-bit multiboot entry, which
 * objdump would decode as 64-bit code: they are left out.
 */
bool load_image(struct image *im, const char *path, bool kernel)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	size_t size = 0;
	int i;

	memset(im, 0, sizeof(*im));
	im->path = path;
	im->file = read_file(path, &size);
	if (!im->file)
		return false;
	eh = (const Elf64_Ehdr *)im->file;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_shoff == 0 || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > size)
		goto bad;
	sh = (const Elf64_Shdr *)(im->file + eh->e_shoff);
	for (i = 0; i < eh->e_shnum && im->nsec < MAX_SECT; i++) {
		if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_EXECINSTR))
			continue;
		if (sh[i].sh_offset + sh[i].sh_size > size)
			goto bad;
		if (kernel && sh[i].sh_addr < 0xffff800000000000ull)
			continue;
		im->sec[im->nsec].addr = sh[i].sh_addr;
		im->sec[im->nsec].size = sh[i].sh_size;
		im->sec[im->nsec].data = im->file + sh[i].sh_offset;
		im->text_bytes += sh[i].sh_size;
		im->nsec++;
	}
	if (im->nsec)
		return true;
bad:
	free(im->file);
	im->file = NULL;
	return false;
}

const struct sect *find_sect(const struct image *im, uint64_t addr)
{
	int i;

	for (i = 0; i < im->nsec; i++)
		if (addr >= im->sec[i].addr && addr - im->sec[i].addr < im->sec[i].size)
			return &im->sec[i];
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parse one "  addr:\txx xx xx \tmnemonic" line. Returns the byte count,
 * or 0 for anything else: headers, symbols, "...", and the hex-and-ASCII
 * dump objdump prints for data objects in code sections (no tab after
 * the bytes).
 */
int objdump_parse_line(char *line, uint64_t *addr, uint8_t *bytes, char **text)
{
	char *s = line, *end;
	int n = 0, hi, lo;

	while (*s == ' ')
		s++;
	*addr = strtoull(s, &end, 16);
	if (end == s || end[0] != ':' || end[1] != '\t')
		return 0;
	s = end + 2;
	while (*s != '\t') {
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0 || s[2] != ' ' || n == 32)
			return 0;
		bytes[n++] = hi << 4 | lo;
		s += 3;
		while (*s == ' ')
			s++;
	}
	*text = s + 1;
	s[strcspn(s, "\n")] = 0;
	return n;
}

#define CORPUS_LIST "tests/host/insn_corpus.list"

/*
 * The corpus files, in the pinned list's order (or INSN_DIFF_FILES). A listed
 * file that is missing is named with its package: the corpus must be the same
 * everywhere, so a missing file fails the test instead of shrinking it.
 */
char **corpus_files(int *count, int *missing)
{
	char **v = NULL, *env = getenv("INSN_DIFF_FILES"), *tok, *save;
	char line[512], pkg[128], path[384];
	int n = 0, cap = 0;
	struct stat sb;
	FILE *f;

#define PUSH(s) do { if (n == cap) { cap = cap ? 2 * cap : 64; \
		v = realloc(v, cap * sizeof(*v)); } v[n++] = (s); } while (0)
	*missing = 0;
	if (env) {
		env = strdup(env);
		for (tok = strtok_r(env, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
			PUSH(strdup(tok));
		free(env);
		*count = n;
		return v;
	}
	f = fopen(CORPUS_LIST, "r");
	if (!f) {
		printf("    # cannot open %s\n", CORPUS_LIST);
		*missing = 1;
	}
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || sscanf(line, "%127s %383s", pkg, path) != 2)
			continue;
		if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
			printf("    # corpus file %s is missing (package %s)\n", path, pkg);
			(*missing)++;
			continue;
		}
		PUSH(strdup(path));
	}
	if (f)
		fclose(f);
#undef PUSH
	*count = n;
	return v;
}

unsigned long corpus_min(void)
{
	const char *e = getenv("INSN_DIFF_MIN");

	return e ? strtoul(e, NULL, 0) : 2000000;
}
