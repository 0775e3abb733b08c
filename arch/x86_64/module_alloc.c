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

struct flush_range {
	uint64_t va;
	size_t pages;
};

static void flush_local(void *arg)
{
	const struct flush_range *r = arg;

	for (size_t i = 0; i < r->pages; i++)
		invlpg(r->va + i * PAGE_SIZE);
}

/*
 * Every CPU may hold a translation of these pages (module pages are
 * global, so a CR3 reload keeps them): drop it everywhere before the new
 * rights count or the frames are reused.
 */
static void flush_all(uint64_t va, size_t pages)
{
	struct flush_range r = { va, pages };

	if (pages)
		smp_call_all(flush_local, &r);
}

void module_protect(void *va, size_t pages, bool write, bool exec)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t page = (uint64_t)va + i * PAGE_SIZE, pa = page_phys(page);

		if (pa)
			map_page_prot(page, pa, write, exec);
	}
	flush_all((uint64_t)va, pages);
}

void module_free(void *va, size_t pages)
{
	size_t first = ((uint64_t)va - MODULES_VADDR) / PAGE_SIZE;
	uint64_t pa[64];

	if (!va || (uint64_t)va < MODULES_VADDR || first + pages >= NPAGES)
		return;
	/* in batches: unmap, flush every CPU, then the frames may be reused */
	for (size_t done = 0; done < pages;) {
		size_t n = min(pages - done, ARRAY_SIZE(pa));
		uint64_t base = (uint64_t)va + done * PAGE_SIZE;

		for (size_t i = 0; i < n; i++) {
			pa[i] = page_phys(base + i * PAGE_SIZE);
			if (pa[i])
				page_unmap(base + i * PAGE_SIZE);
		}
		flush_all(base, n);
		for (size_t i = 0; i < n; i++)
			if (pa[i])
				frame_free(pa[i], 1);
		done += n;
	}
	mark(first, pages + 1, false);
}
