/*
 * Device interrupts: IOAPIC pin -> vector 32 + pin -> the registered
 * handler, delivered to one CPU: the one that requested it, until
 * irq_set_cpu() routes it elsewhere. The console (the only writer) changes
 * routes; handlers may then run on any CPU, so drivers lock what they share.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define MAX_GSI IRQ_MAX_GSI

struct irq_slot {
	irq_handler_t fn;
	void *data;
	unsigned int irq;	/* the number it was requested as */
	unsigned int cpu;	/* where the IOAPIC sends it */
	const char *name;
};

static struct irq_slot slots[MAX_GSI];

static struct irq_slot *slot_of(unsigned int irq)
{
	bool level, low;
	unsigned int gsi = acpi_isa_irq_to_gsi(irq, &level, &low);

	return gsi < MAX_GSI && slots[gsi].fn ? &slots[gsi] : NULL;
}
static uint64_t counts[MAX_CPUS][256];	/* a row per CPU: no line written by two */

int irq_request(unsigned int irq, irq_handler_t handler, void *data)
{
	bool level, low;
	unsigned int gsi = acpi_isa_irq_to_gsi(irq, &level, &low);

	if (gsi >= MAX_GSI)
		return -EINVAL;
	if (slots[gsi].fn)
		return -EBUSY;
	slots[gsi] = (struct irq_slot){ handler, data, irq, this_cpu()->cpu, NULL };
	/* PCI INTx lines (above the ISA range) are level triggered, active low */
	if (irq >= 16) {
		level = true;
		low = true;
	}
	ioapic_route(gsi, IRQ_BASE_VECTOR + gsi, level, low);
	return 0;
}

int irq_set_name(unsigned int irq, const char *name)
{
	struct irq_slot *s = slot_of(irq);

	if (!s)
		return -ENOENT;
	s->name = name;
	return 0;
}

int irq_set_cpu(unsigned int irq, unsigned int cpu)
{
	struct irq_slot *s = slot_of(irq);

	if (!s)
		return -ENOENT;
	if (cpu >= num_cpus())
		return -EINVAL;
	ioapic_set_dest(s - slots, cpu_percpu(cpu)->apic_id);
	WRITE_ONCE(s->cpu, cpu);
	return 0;
}

int irq_get_info(unsigned int gsi, struct irq_info *info)
{
	const struct irq_slot *s = gsi < MAX_GSI ? &slots[gsi] : NULL;

	if (!s || !s->fn)
		return -ENOENT;
	*info = (struct irq_info){ .irq = s->irq, .gsi = gsi, .vector = IRQ_BASE_VECTOR + gsi,
				   .cpu = READ_ONCE(s->cpu), .name = s->name,
				   .handler = (uint64_t)s->fn };
	return 0;
}

int irq_find(const char *name_or_number)
{
	uint64_t n;

	for (unsigned int g = 0; g < MAX_GSI; g++)
		if (slots[g].fn && slots[g].name && !strcmp(slots[g].name, name_or_number))
			return slots[g].irq;
	if (kstrtou64(name_or_number, &n) || n > 255 || !slot_of(n))
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
		struct irq_slot *s = &slots[vector - IRQ_BASE_VECTOR];

		if (s->fn)
			s->fn(s->data);
	}
	cpu->irq_depth--;
	lapic_eoi();
	if (unlikely(cpu->guard_stop))
		guard_stop_unwind(regs);
}
