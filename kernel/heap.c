/*
 * Kernel heap. Small blocks come from power-of-two size classes carved out of
 * whole pages; anything larger gets its own run of pages. Every block carries
 * a header (state magic, requested size) and a canary just past the caller's
 * bytes, so a double free or a write off the end is caught at kfree and
 * reported, not left to corrupt the next block silently.
 *
 * Free small blocks are kept for reuse, but not forever: once a class has
 * twice as many free blocks as when it was last trimmed (and at least a few
 * pages' worth), its pages whose blocks are all free go back to the frame
 * allocator. The doubling keeps the cost of trimming proportional to the
 * frees that caused it, and what stays cached is shown by `mem`.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"

#define MAGIC_USED	0x6b616c6cU	/* "kall" */
#define MAGIC_FREE	0x66726565U	/* "free" */
#define CANARY		0x5a5aa5a5c3c33c3cULL
#define MIN_SHIFT	5		/* 32-byte smallest class */
#define NCLASSES	8		/* 32 ... 4096 */
#define LARGE_CLASS	0xff
#define MAGIC_DROP	0x64726f70U	/* "drop": free, in a page being returned */
#define TRIM_MIN_PAGES	4

struct block {
	uint32_t magic;
	uint8_t class;
	uint8_t pad[3];
	uint64_t size;		/* bytes the caller asked for */
	/* payload follows; then an 8-byte canary */
};

struct free_block {
	struct block hdr;
	struct free_block *next;
};

/* every CPU allocates and frees, probe hits on any CPU too */
static struct spinlock heap_lock = SPINLOCK_INIT("heap");

static struct free_block *free_lists[NCLASSES];
static uint64_t nfree[NCLASSES];	/* blocks on each free list */
static uint64_t trim_at[NCLASSES];	/* trim once nfree reaches this */

/* Who called kfree, for the corruption reports. */
static const char *caller(void *ret, char *buf, size_t len)
{
	return kallsyms_sprint_ret((uint64_t)ret, buf, len);
}
static struct heap_stats stats;

static size_t class_size(int c) { return (size_t)1 << (c + MIN_SHIFT); }

static void *payload(struct block *b) { return b + 1; }

static void set_canary(struct block *b)
{
	uint64_t c = CANARY;

	memcpy((char *)payload(b) + b->size, &c, sizeof(c));
}

static bool canary_ok(const struct block *b)
{
	uint64_t c;

	memcpy(&c, (const char *)(b + 1) + b->size, sizeof(c));
	return c == CANARY;
}

static bool refill(int c)
{
	char *page = alloc_pages_virt(1);
	size_t sz = class_size(c);

	if (!page)
		return false;
	stats.pages++;
	for (size_t off = 0; off + sz <= PAGE_SIZE; off += sz) {
		struct free_block *f = (struct free_block *)(page + off);

		f->hdr.magic = MAGIC_FREE;
		f->hdr.class = c;
		f->next = free_lists[c];
		free_lists[c] = f;
		nfree[c]++;
	}
	return true;
}

static char *page_of(const void *p)
{
	return (char *)((uint64_t)p & ~(PAGE_SIZE - 1));
}

/* Every block of the page is free (or already marked to go)? */
static bool page_all_free(const char *page, int c)
{
	size_t sz = class_size(c);

	for (size_t off = 0; off + sz <= PAGE_SIZE; off += sz) {
		uint32_t m = ((const struct block *)(page + off))->magic;

		if (m != MAGIC_FREE && m != MAGIC_DROP)
			return false;
	}
	return true;
}

/*
 * Return class c's wholly free pages: mark their blocks, unlink every
 * marked block (the block at each page's start collects the page on a
 * list of its own), then free the pages, touching none of them after.
 * Interrupts are off (the caller's).
 */
static void trim(int c)
{
	struct free_block **pp, *f, *pages = NULL;

	for (f = free_lists[c]; f; f = f->next)
		if (f->hdr.magic == MAGIC_FREE && page_all_free(page_of(f), c))
			f->hdr.magic = MAGIC_DROP;
	for (pp = &free_lists[c]; (f = *pp);) {
		if (f->hdr.magic != MAGIC_DROP) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		nfree[c]--;
		if ((char *)f == page_of(f)) {
			f->next = pages;
			pages = f;
		}
	}
	while ((f = pages)) {
		pages = f->next;
		stats.pages--;
		free_pages_virt(f, 1);
	}
	trim_at[c] = max(2 * nfree[c], (uint64_t)TRIM_MIN_PAGES * (PAGE_SIZE / class_size(c)));
}

void *kmalloc(size_t size)
{
	size_t need = sizeof(struct block) + size + sizeof(uint64_t);
	struct block *b;
	uint64_t flags;
	int c = 0;

	if (size > (1ULL << 32))
		goto fail_unlocked;
	while (c < NCLASSES && class_size(c) < need)
		c++;
	flags = spin_lock_irqsave(&heap_lock);
	if (c < NCLASSES) {
		if (!free_lists[c] && !refill(c))
			goto fail;
		b = &free_lists[c]->hdr;
		free_lists[c] = free_lists[c]->next;
		nfree[c]--;
	} else {
		size_t pages = ALIGN_UP(need, PAGE_SIZE) / PAGE_SIZE;

		b = alloc_pages_virt(pages);
		if (!b)
			goto fail;
		c = LARGE_CLASS;
		stats.pages += pages;
	}
	b->magic = MAGIC_USED;
	b->class = c;
	b->size = size;
	set_canary(b);
	stats.allocs++;
	stats.objects_in_use++;
	stats.bytes_in_use += size;
	spin_unlock_irqrestore(&heap_lock, flags);
	return payload(b);
fail:
	spin_unlock_irqrestore(&heap_lock, flags);
fail_unlocked:
	stats.failures++;
	return NULL;
}
EXPORT_SYMBOL(kmalloc);

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}
EXPORT_SYMBOL(kzalloc);

static bool plausible(const void *p)
{
	uint64_t a = (uint64_t)p;

	return a >= PAGE_OFFSET && a < PAGE_OFFSET + (1ULL << 40) && (a & 7) == 0;
}

void kfree(void *p)
{
	struct block *b = (struct block *)p - 1;
	void *ret = __builtin_return_address(0);
	char who[128];
	uint64_t flags;

	if (!p)
		return;
	if (!plausible(p)) {
		pr_err("heap: kfree(%p) of a pointer the heap never returned (from %s)\n",
		       p, caller(ret, who, sizeof(who)));
		stats.corruptions++;
		return;
	}
	flags = spin_lock_irqsave(&heap_lock);
	if (b->magic == MAGIC_FREE || b->magic == MAGIC_DROP) {
		pr_err("heap: double free of %p (from %s)\n", p, caller(ret, who, sizeof(who)));
		stats.corruptions++;
		goto out;
	}
	if (b->magic != MAGIC_USED) {
		pr_err("heap: kfree(%p): header overwritten (from %s)\n", p,
		       caller(ret, who, sizeof(who)));
		stats.corruptions++;
		goto out;
	}
	if (!canary_ok(b)) {
		pr_err("heap: overrun past the %lu bytes of %p (from %s)\n", b->size, p,
		       caller(ret, who, sizeof(who)));
		stats.corruptions++;
		/* the block itself is still sane: free it */
	}
	stats.frees++;
	stats.objects_in_use--;
	stats.bytes_in_use -= b->size;
	if (b->class == LARGE_CLASS) {
		size_t pages = ALIGN_UP(sizeof(*b) + b->size + 8, PAGE_SIZE) / PAGE_SIZE;

		b->magic = MAGIC_FREE;
		stats.pages -= pages;
		free_pages_virt(b, pages);
	} else {
		struct free_block *f = (struct free_block *)b;

		memset(payload(b), 0x6b, class_size(b->class) - sizeof(*b));
		f->hdr.magic = MAGIC_FREE;
		f->next = free_lists[b->class];
		free_lists[b->class] = f;
		if (++nfree[b->class] >= trim_at[b->class])
			trim(b->class);
	}
out:
	spin_unlock_irqrestore(&heap_lock, flags);
}
EXPORT_SYMBOL(kfree);

void *alloc_pages_virt(size_t n)
{
	uint64_t pa = frame_alloc(n);

	return pa ? phys_to_virt(pa) : NULL;
}

void free_pages_virt(void *p, size_t n)
{
	frame_free(virt_to_phys(p), n);
}

void heap_stats(struct heap_stats *st)
{
	*st = stats;
	st->free_blocks = 0;
	st->free_bytes = 0;
	for (int c = 0; c < NCLASSES; c++) {
		st->free_blocks += nfree[c];
		st->free_bytes += nfree[c] * class_size(c);
	}
}
