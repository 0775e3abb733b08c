/*
 * The kernel's own page tables, replacing the boot stub's 1 GiB maps:
 *   PAGE_OFFSET + phys	direct map of RAM, 2 MiB pages, RW, NX
 *   KERNEL_VMA + phys	the image, 4 KiB pages: text RX, rodata R+NX,
 *			data/bss RW+NX, stack guard pages absent
 *   IOREMAP_BASE ...	MMIO, uncached, NX
 *   MODULES_VADDR ...	loadable modules (module_alloc.c), 4 KiB pages
 *   EXEC_BASE ...	out-of-line slots for probes (within 2 GiB of text)
 *   POKE_VA		a two-page window text_poke maps over the page(s)
 *			being patched, so text itself is never writable
 */
#include "arch.h"
#include "kernel.h"
#include "mm.h"
#include "x86_private.h"

#define PTE_P		(1UL << 0)
#define PTE_W		(1UL << 1)
#define PTE_PWT		(1UL << 3)
#define PTE_PCD		(1UL << 4)
#define PTE_PS		(1UL << 7)
#define PTE_G		(1UL << 8)
#define PTE_NX		(1UL << 63)
#define PTE_ADDR	0x000ffffffffff000UL

#define IOREMAP_BASE	0xffffc90000000000UL
#define IOREMAP_END	0xffffc90040000000UL
#define POKE_VA		0xffffc8ff00000000UL
#define EXEC_BASE	0xffffffffc0000000UL
#define EXEC_END	0xffffffffff000000UL

extern char __kernel_start[], __kernel_end[], _text[], _etext[];
extern char __rodata_start[], __data_start[], __kallsyms_start[];

static uint64_t *pml4;
static uint64_t *poke_pte;	/* the text_poke window's two PTEs, made at boot */
static uint64_t ioremap_next = IOREMAP_BASE;
static uint64_t exec_next = EXEC_BASE;

static uint64_t *table_alloc(void)
{
	uint64_t pa = frame_alloc(1);

	if (!pa)
		panic("paging: out of memory for page tables");
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return phys_to_virt(pa);
}

static unsigned int index_of(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* The entry for va at 'level' (0 = PTE ... 3 = PML4E), creating tables. */
static uint64_t *walk(uint64_t va, int level, bool create)
{
	uint64_t *t = pml4;

	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[index_of(va, l)];

		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			*e = virt_to_phys(table_alloc()) | PTE_P | PTE_W;
		}
		if (*e & PTE_PS)
			return NULL;	/* a large page covers it */
		t = phys_to_virt(*e & PTE_ADDR);
	}
	return &t[index_of(va, level)];
}

static void map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	*walk(va, 0, true) = pa | flags | PTE_P;
}

void page_unmap(uint64_t va)
{
	uint64_t *e = walk(va, 0, false);

	if (e) {
		*e = 0;
		invlpg(va);
	}
}

uint64_t virt_to_phys(const void *p)
{
	uint64_t va = (uint64_t)p;

	if (va >= (uint64_t)__kernel_start && va < (uint64_t)__kernel_end)
		return va - KERNEL_VMA;
	if (va >= PAGE_OFFSET && va < PAGE_OFFSET + (1UL << 46))
		return va - PAGE_OFFSET;
	if (pml4) {	/* ioremap and exec pages: ask the tables */
		uint64_t *e = walk(va, 0, false);

		if (e && (*e & PTE_P))
			return (*e & PTE_ADDR) | (va & 0xfff);
	}
	return va;	/* boot identity map */
}

bool va_is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

bool va_is_mapped(uint64_t va, size_t len, bool write)
{
	uint64_t end = va + len;

	if (!len || end < va || !va_is_canonical(va) || !va_is_canonical(end - 1))
		return false;
	for (uint64_t page = ALIGN_DOWN(va, PAGE_SIZE); page < end;) {
		uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR), e = 0;
		int l;

		for (l = 3; l >= 0; l--) {
			e = t[index_of(page, l)];
			if (!(e & PTE_P) || (write && !(e & PTE_W)))
				return false;
			if (l == 0 || (e & PTE_PS))
				break;
			t = phys_to_virt(e & PTE_ADDR);
		}
		/* step to the end of whatever (large) page covered it */
		page = ALIGN_DOWN(page, 1UL << (12 + 9 * l)) + (1UL << (12 + 9 * l));
	}
	return true;
}

void map_page_prot(uint64_t va, uint64_t pa, bool write, bool exec)
{
	map_page(va, pa, PTE_G | (write ? PTE_W : 0) | (exec ? 0 : PTE_NX));
	invlpg(va);
}

uint64_t page_phys(uint64_t va)
{
	uint64_t *e = walk(va, 0, false);

	return e && (*e & PTE_P) ? *e & PTE_ADDR : 0;
}

/* The image's text, or a module page mapped executable (module text after loading). */
bool is_kernel_text(uint64_t va)
{
	uint64_t *e;

	if (va >= (uint64_t)_text && va < (uint64_t)_etext)
		return true;
	if (va < MODULES_VADDR || va >= MODULES_END || !pml4)
		return false;
	e = walk(va, 0, false);
	return e && (*e & PTE_P) && !(*e & PTE_NX);
}

static uint64_t image_flags(uint64_t va)
{
	if (va < (uint64_t)__rodata_start)
		return PTE_G;				/* text: RX */
	if (va < (uint64_t)__data_start || va >= (uint64_t)__kallsyms_start)
		return PTE_G | PTE_NX;			/* read-only data */
	return PTE_G | PTE_NX | PTE_W;			/* data, bss */
}

void paging_init(void)
{
	struct frame_stats st;
	uint64_t va, end;

	frame_stats(&st);
	pml4 = table_alloc();

	end = ALIGN_UP(st.phys_end, 1UL << 21);
	for (uint64_t pa = 0; pa < end; pa += 1UL << 21)
		*walk(PAGE_OFFSET + pa, 1, true) = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;

	for (va = (uint64_t)__kernel_start; va < (uint64_t)__kernel_end; va += PAGE_SIZE)
		map_page(va, va - KERNEL_VMA, image_flags(va));

	/* POKE_VA is 2 MiB aligned: both window PTEs sit in this one table */
	poke_pte = walk(POKE_VA, 0, true);
	write_cr3(virt_to_phys(pml4));
	stacks_unmap_guards();
	pr_info("paging: direct map %lu MiB, kernel %lu KiB (text RX, rodata R, data RW+NX)\n",
		end >> 20, ((uint64_t)__kernel_end - (uint64_t)__kernel_start) >> 10);
}

void *ioremap(uint64_t phys, size_t size)
{
	uint64_t off = phys & (PAGE_SIZE - 1), base = ioremap_next;
	size_t pages = ALIGN_UP(size + off, PAGE_SIZE) / PAGE_SIZE;

	if (base + pages * PAGE_SIZE > IOREMAP_END)
		return NULL;
	for (size_t i = 0; i < pages; i++)
		map_page(base + i * PAGE_SIZE, ALIGN_DOWN(phys, PAGE_SIZE) + i * PAGE_SIZE,
			 PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G);
	ioremap_next += (pages + 1) * PAGE_SIZE;	/* leave a hole between maps */
	return (void *)(base + off);
}

void *exec_alloc_page(void)
{
	uint64_t pa, va;

	if (exec_next >= EXEC_END)
		return NULL;
	pa = frame_alloc(1);
	if (!pa)
		return NULL;
	/* int3-fill, so a stray jump into an unused slot traps at once */
	memset(phys_to_virt(pa), 0xcc, PAGE_SIZE);
	va = exec_next;
	exec_next += PAGE_SIZE;
	map_page(va, pa, PTE_G);	/* read + execute, never writable */
	return (void *)va;
}

bool in_exec_area(uint64_t va)
{
	return va >= EXEC_BASE && va < EXEC_END;
}

/*
 * The PTE that maps va, creating nothing: the poke window's own walk. It and
 * the alias writes are the blacklist's "poke" range, so they use nothing
 * outside it (no memcpy, no table allocation).
 */
static __noprobe("poke") uint64_t *pte_of(uint64_t va)
{
	uint64_t *t = pml4;

	for (int l = 3; l > 0; l--) {
		uint64_t e = t[index_of(va, l)];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = phys_to_virt(e & PTE_ADDR);
	}
	return &t[index_of(va, 0)];
}

/*
 * Write through the alias window: map the one or two pages under POKE_VA,
 * copy, unmap. Called with interrupts off (text_poke.c). Only this CPU's TLB
 * is flushed here; text_poke.c flushes the others' and serialises them.
 */
__noprobe("poke") void poke_alias_write(void *addr, const void *src, size_t len)
{
	uint64_t va = (uint64_t)addr, page = ALIGN_DOWN(va, PAGE_SIZE);
	volatile uint8_t *dst = (uint8_t *)(POKE_VA + (va - page));

	for (int i = 0; i < 2; i++) {
		uint64_t *e = pte_of(page + i * PAGE_SIZE);

		poke_pte[i] = e && (*e & PTE_P) ? (*e & PTE_ADDR) | PTE_P | PTE_W | PTE_NX : 0;
		invlpg(POKE_VA + i * PAGE_SIZE);
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = ((const uint8_t *)src)[i];
	for (int i = 0; i < 2; i++) {
		poke_pte[i] = 0;
		invlpg(POKE_VA + i * PAGE_SIZE);
	}
}

__noprobe("poke") void poke_alias_flush(void)
{
	invlpg(POKE_VA);
	invlpg(POKE_VA + PAGE_SIZE);
}
