/* What the multiboot2 loader told us (kernel/multiboot.c), for kernel/ files only. */
#ifndef KP_KERNEL_BOOT_H
#define KP_KERNEL_BOOT_H

#include <stdint.h>
#include "kernel.h"

#define BOOT_MMAP_MAX 64

struct boot_mmap {
	uint64_t base, len;
	uint32_t type;	/* 1 = available RAM */
};

#define BOOT_FILES_MAX 32

/* A multiboot2 module: a file GRUB loaded beside the kernel. */
struct boot_file {
	uint64_t start, end;	/* physical */
	char name[64];		/* its command line: the file's name */
};

struct boot_info {
	uint64_t mbi_phys, mbi_size;
	uint64_t rsdp_phys;	/* 0 if the loader gave none */
	unsigned int nmmap;
	struct boot_mmap mmap[BOOT_MMAP_MAX];
	char loader[64];
	unsigned int nfiles;
	struct boot_file files[BOOT_FILES_MAX];
};

extern struct boot_info boot_info;
void multiboot_parse(uint64_t mbi_phys, uint32_t magic);

#endif
