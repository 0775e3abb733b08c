/*
 * Out-of-line instruction slots: 32-byte cells in executable pages within
 * +-2 GiB of the text (so a copied rip-relative operand and the boost jmp
 * back always reach). The pages are mapped read+execute only; cells are
 * written with text_poke like the text itself, and refilled with int3 when
 * freed so a stale jump into one traps at once.
 */
#include "kprobes_internal.h"
#include "mm.h"

#define SLOTS_PER_PAGE	(PAGE_SIZE / SLOT_SIZE)

struct slot_page {
	uint8_t *base;
	unsigned int nused;
	uint64_t used[SLOTS_PER_PAGE / 64];
	struct kprobe_site *owner[SLOTS_PER_PAGE];	/* whose copy each cell holds */
	struct slot_page *next;
};

static struct slot_page *pages;
static unsigned long nused;

uint8_t *slot_alloc(struct kprobe_site *owner)
{
	struct slot_page *pg;

	for (pg = pages; pg; pg = pg->next)
		if (pg->nused < SLOTS_PER_PAGE)
			break;
	if (!pg) {
		pg = kzalloc(sizeof(*pg));
		if (!pg)
			return NULL;
		pg->base = exec_alloc_page();
		if (!pg->base) {
			kfree(pg);
			return NULL;
		}
		pg->next = pages;
		pages = pg;
	}
	for (unsigned int i = 0; i < SLOTS_PER_PAGE; i++) {
		if (!(pg->used[i / 64] & (1ULL << (i % 64)))) {
			pg->used[i / 64] |= 1ULL << (i % 64);
			pg->owner[i] = owner;
			pg->nused++;
			nused++;
			return pg->base + i * SLOT_SIZE;
		}
	}
	return NULL;	/* not reached: nused said there was room */
}

void slot_free(uint8_t *slot)
{
	static const uint8_t fill[SLOT_SIZE] = {
		[0 ... SLOT_SIZE - 1] = INT3
	};

	for (struct slot_page *pg = pages; pg; pg = pg->next) {
		unsigned int i = (slot - pg->base) / SLOT_SIZE;

		if (slot < pg->base || slot >= pg->base + PAGE_SIZE)
			continue;
		text_poke(slot, fill, SLOT_SIZE);
		pg->used[i / 64] &= ~(1ULL << (i % 64));
		pg->owner[i] = NULL;
		pg->nused--;
		nused--;
		return;
	}
}

/* From the fault path, before it knows whether a probe is active. */
__noprobe("hit") struct kprobe_site *slot_owner(uint64_t addr)
{
	for (struct slot_page *pg = pages; pg; pg = pg->next)
		if (addr - (uint64_t)pg->base < PAGE_SIZE)
			return pg->owner[(addr - (uint64_t)pg->base) / SLOT_SIZE];
	return NULL;
}

unsigned long slots_in_use(void)
{
	return nused;
}
