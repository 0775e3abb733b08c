/*
 * Device interrupts: IOAPIC pin -> vector 32 + pin -> the registered
 * handlers. A PCI INTx line may be wired to several devices (two e1000s
 * behind one PIRQ link), so a line holds a few handlers; each asks its own
 * device whether it raised the interrupt and returns at once if not.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define MAX_GSI 24
#define IRQ_SHARED 4	/* handlers on one line */

struct irq_slot {
	irq_handler_t fn;
	void *data;
};

static struct irq_slot slots[MAX_GSI][IRQ_SHARED];
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
