/*
 * Module space: a bitmap of the 4 KiB virtual pages in
 * [MODULES_VADDR, MODULES_END), first fit, each run backed by frames that
 * need not be contiguous. A free run gets an unmapped page after it, so an
 * overrun faults instead of landing in the next module.
 */
#include "arch.h"
#include "kernel.h"
#include "mm.h"
#include "x86_private.h"

#define NPAGES	((MODULES_END - MODULES_VADDR) / PAGE_SIZE)

static uint64_t used[NPAGES / 64];

static bool page_used(size_t i) { return used[i / 64] & (1ULL << (i % 64)); }

static void mark(size_t first, size_t n, bool on)
{
	for (size_t i = first; i < first + n; i++) {
		if (on)
			used[i / 64] |= 1ULL << (i % 64);
		else
			used[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* First index of n free pages followed by a free guard page, or NPAGES. */
static size_t find_free(size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < NPAGES; i++) {
		run = page_used(i) ? 0 : run + 1;
		if (run == n + 1)
			return i - n;
	}
	return NPAGES;
}

void *module_alloc(size_t pages)
{
	size_t first;
	uint64_t base;

	if (!pages || pages >= NPAGES)
		return NULL;
	first = find_free(pages);
	if (first == NPAGES)
		return NULL;
	/* the guard page stays marked, so the next run starts after it */
	mark(first, pages + 1, true);
	base = MODULES_VADDR + first * PAGE_SIZE;
	for (size_t i = 0; i < pages; i++) {
		uint64_t pa = frame_alloc(1);

		if (!pa) {
			module_free((void *)base, i);
			mark(first + i, pages + 1 - i, false);
			return NULL;
		}
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		map_page_prot(base + i * PAGE_SIZE, pa, true, false);
	}
	return (void *)base;
}

void module_protect(void *va, size_t pages, bool write, bool exec)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t page = (uint64_t)va + i * PAGE_SIZE, pa = page_phys(page);

		if (pa)
			map_page_prot(page, pa, write, exec);
	}
}

void module_free(void *va, size_t pages)
{
	size_t first = ((uint64_t)va - MODULES_VADDR) / PAGE_SIZE;

	if (!va || (uint64_t)va < MODULES_VADDR || first + pages >= NPAGES)
		return;
	for (size_t i = 0; i < pages; i++) {
		uint64_t page = (uint64_t)va + i * PAGE_SIZE, pa = page_phys(page);

		if (pa) {
			page_unmap(page);
			frame_free(pa, 1);
		}
	}
	mark(first, pages + 1, false);
}
