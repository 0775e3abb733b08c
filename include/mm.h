/* Memory: physical frames (kernel/frame.c) and the kernel heap (kernel/heap.c). */
#ifndef KP_MM_H
#define KP_MM_H

#include <stddef.h>
#include <stdint.h>

/* ---- physical frames ---- */

void frame_init(void);
/* n contiguous 4 KiB frames; returns the physical address or 0. */
uint64_t frame_alloc(size_t n);
void frame_free(uint64_t phys, size_t n);
struct frame_stats {
	uint64_t total, free;	/* frames */
	uint64_t phys_end;	/* highest usable physical address + 1 */
};
void frame_stats(struct frame_stats *st);

/* ---- heap ---- */

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Whole pages from the direct map, for rings and large buffers. */
void *alloc_pages_virt(size_t n);
void free_pages_virt(void *p, size_t n);

struct heap_stats {
	uint64_t allocs, frees;		/* calls that succeeded */
	uint64_t bytes_in_use;		/* requested bytes currently allocated */
	uint64_t objects_in_use;
	uint64_t pages;			/* pages the heap holds */
	uint64_t failures;		/* allocations refused */
	uint64_t corruptions;		/* double frees and overruns caught */
	uint64_t free_blocks, free_bytes; /* small blocks free in those pages, kept for reuse */
};
void heap_stats(struct heap_stats *st);

#endif
