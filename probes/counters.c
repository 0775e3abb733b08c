/*
 * Per-CPU probe counters. Every registered kprobe owns one cell (struct
 * kprobe_count) in each CPU's array; the hit path increments its own CPU's
 * cell, so CPUs hitting the same probe at once write no common cache line.
 * A probe's cell is the same byte offset (kprobe->count_off) in every
 * CPU's array, so the hit path costs a load of the array pointer from the
 * CPU's control block it already holds, and the increment.
 *
 * Cells are handed out by the writers (registration), which are
 * serialised. The arrays grow by doubling: the new arrays are allocated
 * first, then each CPU copies its own cells and switches its pointer in a
 * cross-CPU call. The hit path runs with interrupts off, so a CPU's switch
 * never falls between its load of the pointer and its increment, and no
 * count is lost; the old arrays are free once the call returned everywhere.
 * A cell is given back only after its probe's grace period, so no late
 * increment lands in its next owner's count.
 */
#include "kprobes_internal.h"
#include "mm.h"

#define MIN_CELLS	256

static unsigned int ncells;	/* cells in each CPU's array */
static uint64_t *used;		/* bitmap of cells handed out */
static unsigned int hint;	/* where the search for a free cell starts */

struct grow {
	char *fresh[MAX_CPUS];	/* the new arrays; the old ones, after the call */
	size_t old_bytes;
};

static void switch_array(void *arg)
{
	struct grow *g = arg;
	struct kprobe_ctlblk *ctl = kprobe_ctl();
	unsigned int cpu = this_cpu()->cpu;
	char *old = ctl->counts;

	if (old)
		memcpy(g->fresh[cpu], old, g->old_bytes);
	WRITE_ONCE(ctl->counts, g->fresh[cpu]);
	g->fresh[cpu] = old;
}

static int grow(void)
{
	unsigned int n = ncells ? 2 * ncells : MIN_CELLS, cpus = num_cpus();
	size_t bytes = (size_t)n * sizeof(struct kprobe_count);
	uint64_t *map = kzalloc(n / 8);
	struct grow g = { .old_bytes = (size_t)ncells * sizeof(struct kprobe_count) };
	unsigned int c;

	for (c = 0; map && c < cpus; c++) {
		g.fresh[c] = kzalloc(bytes);
		if (!g.fresh[c])
			break;
	}
	if (!map || c < cpus) {
		while (c--)
			kfree(g.fresh[c]);
		kfree(map);
		return -ENOMEM;
	}
	if (used)
		memcpy(map, used, ncells / 8);
	kfree(used);
	used = map;
	smp_call_all(switch_array, &g);
	for (c = 0; c < cpus; c++)
		kfree(g.fresh[c]);	/* now the old arrays */
	hint = ncells;
	ncells = n;
	return 0;
}

static struct kprobe_count *cell(unsigned int cpu, unsigned int off)
{
	struct kprobe_ctlblk *ctl = cpu_percpu(cpu)->probe_state;

	return (struct kprobe_count *)(READ_ONCE(ctl->counts) + off);
}

/* A zeroed cell for p (a writer, before p can be hit). */
int kprobe_counter_get(struct kprobe *p)
{
	unsigned int i;

	for (;;) {
		for (i = 0; i < ncells; i++) {
			unsigned int k = (hint + i) % ncells;

			if (!(used[k / 64] & (1ULL << (k % 64)))) {
				i = k;
				goto found;
			}
		}
		if (grow())
			return -ENOMEM;
	}
found:
	used[i / 64] |= 1ULL << (i % 64);
	hint = i + 1;
	p->count_off = i * sizeof(struct kprobe_count);
	for (unsigned int c = 0; c < num_cpus(); c++)
		memset(cell(c, p->count_off), 0, sizeof(struct kprobe_count));
	return 0;
}

static unsigned long cell_sum(const struct kprobe *p, unsigned int field)
{
	unsigned long total = 0;

	for (unsigned int c = 0; c < num_cpus(); c++)
		total += READ_ONCE(((unsigned long *)cell(c, p->count_off))[field]);
	return total;
}

/* After p's grace period (no CPU increments its cell any more): fold and free. */
void kprobe_counter_put(struct kprobe *p)
{
	unsigned int i = p->count_off / sizeof(struct kprobe_count);

	for (unsigned int f = 0; f < ARRAY_SIZE(p->counted); f++)
		p->counted[f] += cell_sum(p, f);
	p->nmissed = p->counted[offsetof(struct kprobe_count, nmissed) / sizeof(unsigned long)];
	used[i / 64] &= ~(1ULL << (i % 64));
}

/* Before registration completes, and after unregistration: the folded totals. */
static unsigned long sum(const struct kprobe *p, size_t field)
{
	unsigned int f = field / sizeof(unsigned long);

	return READ_ONCE(p->counted[f]) + (READ_ONCE(p->site) ? cell_sum(p, f) : 0);
}

unsigned long kprobe_nhit(const struct kprobe *p)
{
	return sum(p, offsetof(struct kprobe_count, nhit));
}
EXPORT_SYMBOL(kprobe_nhit);

unsigned long kprobe_nmissed(const struct kprobe *p)
{
	return sum(p, offsetof(struct kprobe_count, nmissed));
}
EXPORT_SYMBOL(kprobe_nmissed);

unsigned long kretprobe_nhit(const struct kretprobe *rp)
{
	return sum(&rp->kp, offsetof(struct kprobe_count, ret_nhit));
}
EXPORT_SYMBOL(kretprobe_nhit);

unsigned long kretprobe_nmissed(const struct kretprobe *rp)
{
	return sum(&rp->kp, offsetof(struct kprobe_count, ret_nmissed));
}
EXPORT_SYMBOL(kretprobe_nmissed);
