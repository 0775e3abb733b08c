/*
 * The probe table: address -> struct kprobe_site, looked up on every int3.
 *
 * Lookups take no lock and never wait: a reader loads the table pointer once
 * and walks its chain. Writers are serialised (interrupts off; one writer at
 * a time). Growing does not disturb readers: every site carries two chain
 * links, and a resize threads all sites onto the new bucket array through
 * the link the old table does not use, publishes the new table with one
 * store, and frees the old array only after synchronize_kprobes() says no
 * CPU can still be walking it. The table doubles when it is half full, so
 * a lookup stays O(1), and nearly constant, from 1 to 50,000+ probes; it
 * halves again when under 1/8 full, the same way, so removing the probes
 * of a probe-everything gives its memory back.
 */
#include "kprobes_internal.h"
#include "mm.h"

#define MIN_SHIFT	8	/* 256 buckets at boot, never fewer */

struct site_table *kprobe_table;
#define table kprobe_table

static struct site_table *table_alloc(unsigned int shift, unsigned int link)
{
	size_t n = 1UL << shift;
	struct site_table *t = kzalloc(sizeof(*t) + n * sizeof(t->buckets[0]));

	if (t) {
		t->shift = shift;
		t->hash_shift = 64 - shift;
		t->link = link;
	}
	return t;
}

int site_table_init(void)
{
	table = table_alloc(MIN_SHIFT, 0);
	return table ? 0 : -ENOMEM;
}

/*
 * At the chain's tail: a site keeps its place however many are added after
 * it, so its hit costs the same (a resize keeps the order too, walking the
 * old chains from their heads).
 */
static void chain_append(struct site_table *t, struct kprobe_site *s)
{
	struct kprobe_site **pp = &t->buckets[site_hash(s->addr, t)];

	while (*pp)
		pp = &(*pp)->hnext[t->link];
	s->hnext[t->link] = NULL;
	WRITE_ONCE(*pp, s);	/* publish only once s->hnext is set */
}

/* Called with the old table's chains quiet (writers serialised). */
static void resize(unsigned int shift)
{
	struct site_table *old = table, *t = table_alloc(shift, !old->link);
	uint64_t flags;

	if (!t)
		return;		/* stay at the current size; lookups just get longer */
	flags = local_irq_save();
	for (unsigned long i = 0; i < (1UL << old->shift); i++)
		for (struct kprobe_site *s = old->buckets[i]; s; s = s->hnext[old->link])
			chain_append(t, s);
	t->count = old->count;
	WRITE_ONCE(table, t);
	local_irq_restore(flags);
	synchronize_kprobes();
	kfree(old);
}

int site_insert(struct kprobe_site *s)
{
	uint64_t flags;

	if (table->count + 1 > 1UL << (table->shift - 1))
		resize(table->shift + 1);	/* keep the load under 1/2: a hit rarely walks past one site */
	flags = local_irq_save();
	chain_append(table, s);
	table->count++;
	local_irq_restore(flags);
	return 0;
}

void site_remove(struct kprobe_site *s)
{
	struct site_table *t = table;
	struct kprobe_site **pp = &t->buckets[site_hash(s->addr, t)];
	uint64_t flags = local_irq_save();

	for (; *pp; pp = &(*pp)->hnext[t->link]) {
		if (*pp == s) {
			/* readers already past s keep walking its (unchanged) link */
			WRITE_ONCE(*pp, s->hnext[t->link]);
			t->count--;
			break;
		}
	}
	local_irq_restore(flags);
	/* give back what a probe-everything grew, once it is mostly gone */
	if (t->shift > MIN_SHIFT && t->count < 1UL << (t->shift - 3))
		resize(t->shift - 1);
}

unsigned long site_count(void)
{
	return table->count;
}

unsigned long site_buckets(void)
{
	return 1UL << table->shift;
}

int site_for_each(int (*fn)(struct kprobe_site *s, void *arg), void *arg)
{
	const struct site_table *t = table;

	for (unsigned long i = 0; i < (1UL << t->shift); i++) {
		for (struct kprobe_site *s = t->buckets[i], *n; s; s = n) {
			int r;

			n = s->hnext[t->link];	/* fn may remove s */
			r = fn(s, arg);
			if (r)
				return r;
		}
	}
	return 0;
}
