/*
 * Physical frame allocator: one bit per 4 KiB frame over the loader's memory
 * map, first fit from a moving hint. Contiguous runs serve DMA rings and
 * large heap blocks. Frames below the end of the kernel image and the
 * multiboot information and modules are never handed out.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "boot.h"

#define MAX_PHYS	(4ULL << 30)	/* RAM tracked; more is left unused */
#define NFRAMES		(MAX_PHYS / PAGE_SIZE)

/* every CPU allocates and frees, probe hits on any CPU too */
static struct spinlock frame_lock = SPINLOCK_INIT("frames");

static uint64_t bitmap[NFRAMES / 64];	/* 1 = used or absent */
static uint64_t nframes, nfree, phys_end, hint;

extern char __kernel_end[];

static bool used(uint64_t f) { return bitmap[f / 64] & (1ULL << (f % 64)); }
static void set_used(uint64_t f) { bitmap[f / 64] |= 1ULL << (f % 64); }
static void set_free(uint64_t f) { bitmap[f / 64] &= ~(1ULL << (f % 64)); }

static void reserve(uint64_t start, uint64_t end)
{
	for (uint64_t f = start / PAGE_SIZE; f < ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE && f < NFRAMES; f++) {
		if (!used(f)) {
			set_used(f);
			nfree--;
		}
	}
}

void frame_init(void)
{
	memset(bitmap, 0xff, sizeof(bitmap));
	for (unsigned int i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mmap *m = &boot_info.mmap[i];
		uint64_t s = ALIGN_UP(m->base, PAGE_SIZE), e = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);

		if (m->type != 1)
			continue;
		e = min(e, MAX_PHYS);
		for (uint64_t pa = s; pa < e; pa += PAGE_SIZE) {
			if (used(pa / PAGE_SIZE)) {
				set_free(pa / PAGE_SIZE);
				nfree++;
				nframes++;
			}
		}
		phys_end = max(phys_end, e);
	}
	reserve(0, (uint64_t)__kernel_end - KERNEL_VMA);
	reserve(boot_info.mbi_phys, boot_info.mbi_phys + boot_info.mbi_size);
	for (unsigned int i = 0; i < boot_info.nfiles; i++)
		reserve(boot_info.files[i].start, boot_info.files[i].end);
	hint = ((uint64_t)__kernel_end - KERNEL_VMA) / PAGE_SIZE;
	pr_info("mm: %lu MiB usable, %lu frames free\n", nframes * PAGE_SIZE >> 20, nfree);
}

static uint64_t find_run(uint64_t from, uint64_t to, size_t n)
{
	uint64_t run = 0;

	for (uint64_t f = from; f < to; f++) {
		run = used(f) ? 0 : run + 1;
		if (run == n)
			return f + 1 - n;
	}
	return 0;
}

uint64_t frame_alloc(size_t n)
{
	uint64_t limit = phys_end / PAGE_SIZE, f;
	uint64_t flags = spin_lock_irqsave(&frame_lock);

	if (!n || n > nfree) {
		spin_unlock_irqrestore(&frame_lock, flags);
		return 0;
	}
	f = find_run(hint, limit, n);
	if (!f)
		f = find_run(1, limit, n);
	if (f) {
		for (uint64_t i = f; i < f + n; i++)
			set_used(i);
		nfree -= n;
		if (n == 1)
			hint = f + 1;
	}
	spin_unlock_irqrestore(&frame_lock, flags);
	return f * PAGE_SIZE;
}

void frame_free(uint64_t phys, size_t n)
{
	uint64_t f = phys / PAGE_SIZE;
	uint64_t flags = spin_lock_irqsave(&frame_lock);

	for (uint64_t i = f; i < f + n; i++) {
		if (!used(i)) {
			pr_err("mm: frame %#lx freed twice\n", i * PAGE_SIZE);
			continue;
		}
		set_free(i);
		nfree++;
	}
	if (f < hint)
		hint = f;
	spin_unlock_irqrestore(&frame_lock, flags);
}

void frame_stats(struct frame_stats *st)
{
	st->total = nframes;
	st->free = nfree;
	st->phys_end = phys_end;
}
