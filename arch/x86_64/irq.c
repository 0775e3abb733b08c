/*
 * Device interrupts: IOAPIC pin -> vector 32 + pin -> the registered
 * handlers, delivered to one CPU: the one that requested the line first,
 * until irq_set_cpu() routes it elsewhere. A PCI INTx line may be wired to
 * several devices (two e1000s behind one PIRQ link), so a line holds a few
 * handlers; each asks its own device whether it raised the interrupt and
 * returns at once if not. The console (the only writer) changes routes;
 * handlers may then run on any CPU, so drivers lock what they share.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define MAX_GSI IRQ_MAX_GSI
#define IRQ_SHARED IRQ_MAX_SHARED

struct irq_slot {
	irq_handler_t fn;
	void *data;
	unsigned int irq;	/* the number it was requested as */
	const char *name;
};

static struct irq_slot slots[MAX_GSI][IRQ_SHARED];
static unsigned int line_cpu[MAX_GSI];	/* where the IOAPIC sends each pin */

/* The handler requested as irq (the first, if several share its line). */
static struct irq_slot *slot_of(unsigned int irq, unsigned int *gsi)
{
	bool level, low;

	*gsi = acpi_isa_irq_to_gsi(irq, &level, &low);
	return *gsi < MAX_GSI && slots[*gsi][0].fn ? &slots[*gsi][0] : NULL;
}
static uint64_t counts[MAX_CPUS][256];	/* a row per CPU: no line written by two */

int irq_request(unsigned int irq, irq_handler_t handler, void *data)
{
	bool level, low;
	unsigned int gsi = acpi_isa_irq_to_gsi(irq, &level, &low), i;

	if (gsi >= MAX_GSI)
		return -EINVAL;
	for (i = 0; i < IRQ_SHARED && slots[gsi][i].fn; i++)
		;
	if (i == IRQ_SHARED)
		return -EBUSY;
	slots[gsi][i].data = data;
	slots[gsi][i].irq = irq;
	slots[gsi][i].name = NULL;
	if (!i)
		line_cpu[gsi] = this_cpu()->cpu;
	/* the line may be live already: the handler is published last */
	__atomic_store_n(&slots[gsi][i].fn, handler, __ATOMIC_RELEASE);
	/* PCI INTx lines (above the ISA range) are level triggered, active low */
	if (irq >= 16) {
		level = true;
		low = true;
	}
	ioapic_route(gsi, IRQ_BASE_VECTOR + gsi, level, low);
	return 0;
}

/* Names the newest handler requested as irq without a name yet (eth1 after eth0). */
int irq_set_name(unsigned int irq, const char *name)
{
	unsigned int gsi;
	struct irq_slot *s = slot_of(irq, &gsi);

	if (!s)
		return -ENOENT;
	for (int i = IRQ_SHARED - 1; i >= 0; i--) {
		if (s[i].fn && s[i].irq == irq && !s[i].name) {
			s[i].name = name;
			return 0;
		}
	}
	return -EEXIST;
}

int irq_set_cpu(unsigned int irq, unsigned int cpu)
{
	unsigned int gsi;

	if (!slot_of(irq, &gsi))
		return -ENOENT;
	if (cpu >= num_cpus())
		return -EINVAL;
	ioapic_set_dest(gsi, cpu_percpu(cpu)->apic_id);
	WRITE_ONCE(line_cpu[gsi], cpu);
	return 0;
}

int irq_get_info(unsigned int gsi, unsigned int i, struct irq_info *info)
{
	const struct irq_slot *s = gsi < MAX_GSI && i < IRQ_SHARED ? &slots[gsi][i] : NULL;

	if (!s || !s->fn)
		return -ENOENT;
	*info = (struct irq_info){ .irq = s->irq, .gsi = gsi, .vector = IRQ_BASE_VECTOR + gsi,
				   .cpu = READ_ONCE(line_cpu[gsi]), .name = s->name,
				   .handler = (uint64_t)s->fn };
	return 0;
}

int irq_find(const char *name_or_number)
{
	unsigned int gsi;
	uint64_t n;

	for (unsigned int g = 0; g < MAX_GSI; g++)
		for (unsigned int i = 0; i < IRQ_SHARED; i++)
			if (slots[g][i].fn && slots[g][i].name &&
			    !strcmp(slots[g][i].name, name_or_number))
				return slots[g][i].irq;
	if (kstrtou64(name_or_number, &n) || n > 255 || !slot_of(n, &gsi))
		return -ENOENT;
	return n;
}

uint64_t irq_count_cpu(unsigned int cpu, unsigned int vector)
{
	uint64_t n = 0;

	if (cpu >= MAX_CPUS)
		return 0;
	if (vector < 256)
		return counts[cpu][vector];
	for (int i = 0; i < 256; i++)
		n += counts[cpu][i];
	return n;
}

uint64_t irq_count(unsigned int vector)
{
	uint64_t n = 0;

	for (unsigned int c = 0; c < MAX_CPUS; c++)
		n += irq_count_cpu(c, vector);
	return n;
}

void irq_dispatch(struct pt_regs *regs, unsigned int vector)
{
	struct percpu *cpu = this_cpu();

	counts[cpu->cpu][vector]++;
	if (vector == SPURIOUS_VECTOR)
		return;		/* no EOI for spurious interrupts */
	cpu->irq_depth++;
	if (vector == TIMER_VECTOR) {
		lapic_timer_tick();
	} else if (vector == CALL_VECTOR) {
		smp_call_interrupt(regs);
	} else if (vector >= IRQ_BASE_VECTOR && vector < IRQ_BASE_VECTOR + MAX_GSI) {
		struct irq_slot *s = slots[vector - IRQ_BASE_VECTOR];

		for (int i = 0; i < IRQ_SHARED; i++) {
			irq_handler_t fn = __atomic_load_n(&s[i].fn, __ATOMIC_ACQUIRE);

			if (fn)
				fn(s[i].data);
		}
	}
	cpu->irq_depth--;
	lapic_eoi();
	if (unlikely(cpu->guard_stop))
		guard_stop_unwind(regs);
}
