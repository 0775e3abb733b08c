/*
 * Read what the boot loader left in memory, once, at boot: multiboot2 from
 * GRUB, or multiboot 1 from QEMU's -kernel loader (make bench). Everything
 * needed later is copied into boot_info, so the loader's memory can be reused.
 */
#include "kernel.h"
#include "arch.h"
#include "boot.h"

struct boot_info boot_info;
char boot_cmdline[256];

struct mb2_tag {
	uint32_t type, size;
};

enum {
	MB2_TAG_END = 0, MB2_TAG_CMDLINE = 1, MB2_TAG_LOADER = 2, MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6, MB2_TAG_ACPI_OLD = 14, MB2_TAG_ACPI_NEW = 15,
};

static void copy_str(char *dst, size_t n, const char *src, size_t srclen)
{
	size_t len = strnlen(src, min(srclen, n - 1));

	memcpy(dst, src, len);
	dst[len] = '\0';
}

#define MB1_BOOT_MAGIC	0x2badb002

static void parse_mb2(uint64_t mbi_phys);

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

/*
 * QEMU's -initrd "FILE,FILE": each module's string is its path; it is named
 * by the last path component, as `make iso` names GRUB modules.
 */
static void parse_mb1_modules(const uint32_t *mod, uint32_t count)
{
	for (uint32_t i = 0; i < count && boot_info.nfiles < BOOT_FILES_MAX; i++, mod += 4) {
		struct boot_file *f = &boot_info.files[boot_info.nfiles++];
		const char *path = mod[2] ? phys_to_virt(mod[2]) : "";
		const char *base = strrchr(path, '/');

		f->start = mod[0];
		f->end = mod[1];
		copy_str(f->name, sizeof(f->name), base ? base + 1 : path, 63);
	}
}

static void parse_mb1(uint64_t mbi_phys)
{
	const struct mb1_info *mb = phys_to_virt(mbi_phys);
	const uint8_t *e, *end;

	if (mb->flags & (1 << 2))
		copy_str(boot_cmdline, sizeof(boot_cmdline), phys_to_virt(mb->cmdline), 255);
	if (mb->flags & (1 << 9))
		copy_str(boot_info.loader, sizeof(boot_info.loader),
			 phys_to_virt(mb->boot_loader_name), 63);
	if (mb->flags & (1 << 3))
		parse_mb1_modules(phys_to_virt(mb->mods_addr), mb->mods_count);
	if (!(mb->flags & (1 << 6)))
		return;
	e = phys_to_virt(mb->mmap_addr);
	end = e + mb->mmap_length;
	/* each entry: size (not counting itself), base, length, type */
	for (; e < end && boot_info.nmmap < BOOT_MMAP_MAX; e += *(const uint32_t *)e + 4) {
		struct boot_mmap *m = &boot_info.mmap[boot_info.nmmap++];

		m->base = *(const uint64_t *)(e + 4);
		m->len = *(const uint64_t *)(e + 12);
		m->type = *(const uint32_t *)(e + 20);
	}
}

void multiboot_parse(uint64_t mbi_phys, uint32_t magic)
{
	if (magic == MB1_BOOT_MAGIC) {
		parse_mb1(mbi_phys);	/* nothing in it is needed after this */
		return;
	}
	parse_mb2(mbi_phys);
}

static void parse_mb2(uint64_t mbi_phys)
{
	const uint8_t *mbi = phys_to_virt(mbi_phys);
	uint32_t total = *(const uint32_t *)mbi;
	const uint8_t *p = mbi + 8;

	boot_info.mbi_phys = mbi_phys;
	boot_info.mbi_size = total;
	while (p < mbi + total) {
		const struct mb2_tag *t = (const struct mb2_tag *)p;
		const char *data = (const char *)(t + 1);

		if (t->type == MB2_TAG_END)
			break;
		switch (t->type) {
		case MB2_TAG_CMDLINE:
			copy_str(boot_cmdline, sizeof(boot_cmdline), data, t->size - 8);
			break;
		case MB2_TAG_LOADER:
			copy_str(boot_info.loader, sizeof(boot_info.loader), data, t->size - 8);
			break;
		case MB2_TAG_MODULE: {
			/* mod_start, mod_end, then the module's command line */
			const uint32_t *r = (const uint32_t *)data;
			struct boot_file *f = &boot_info.files[boot_info.nfiles];

			if (boot_info.nfiles == BOOT_FILES_MAX || t->size < 17)
				break;
			f->start = r[0];
			f->end = r[1];
			copy_str(f->name, sizeof(f->name), data + 8, t->size - 16);
			boot_info.nfiles++;
			break;
		}
		case MB2_TAG_MMAP: {
			uint32_t esize = *(const uint32_t *)data;
			const uint8_t *e = (const uint8_t *)data + 8;

			for (; e + esize <= p + t->size && boot_info.nmmap < BOOT_MMAP_MAX; e += esize) {
				struct boot_mmap *m = &boot_info.mmap[boot_info.nmmap++];

				m->base = *(const uint64_t *)e;
				m->len = *(const uint64_t *)(e + 8);
				m->type = *(const uint32_t *)(e + 16);
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* the tag holds a copy of the RSDP; prefer the ACPI 2.0 one */
			if (!boot_info.rsdp_phys || t->type == MB2_TAG_ACPI_NEW)
				boot_info.rsdp_phys = mbi_phys + (p - mbi) + 8;
			break;
		}
		p += ALIGN_UP(t->size, 8);
	}
}

const void *boot_file(const char *name, size_t *size)
{
	for (unsigned int i = 0; i < boot_info.nfiles; i++) {
		const struct boot_file *f = &boot_info.files[i];

		if (!strcmp(f->name, name)) {
			*size = f->end - f->start;
			return phys_to_virt(f->start);
		}
	}
	return NULL;
}

int boot_file_for_each(int (*fn)(const char *name, size_t size, void *arg), void *arg)
{
	for (unsigned int i = 0; i < boot_info.nfiles; i++) {
		int r = fn(boot_info.files[i].name, boot_info.files[i].end - boot_info.files[i].start, arg);

		if (r)
			return r;
	}
	return 0;
}

bool cmdline_has(const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = boot_cmdline; (p = strstr(p, flag)); p += n)
		if ((p == boot_cmdline || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '='))
			return true;
	return false;
}
