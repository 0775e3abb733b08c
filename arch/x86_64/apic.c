/*
 * Local APIC (timer, EOI) and IOAPIC (routes device pins to vectors). The
 * legacy 8259 PICs are remapped out of the exception range and masked: every
 * device interrupt arrives through the IOAPIC.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define MSR_APIC_BASE	0x1b
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define ICR_PENDING	(1 << 12)
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0
#define LVT_MASKED	(1 << 16)
#define LVT_PERIODIC	(1 << 17)

static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;

static uint32_t lapic_read(unsigned int reg) { return lapic[reg / 4]; }
static void lapic_write(unsigned int reg, uint32_t v) { lapic[reg / 4] = v; }

static void ioapic_write(unsigned int reg, uint32_t v)
{
	ioapic[0] = reg;
	ioapic[4] = v;
}

static uint32_t ioapic_read(unsigned int reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t apic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static void pic_disable(void)
{
	/* ICW1-4: remap to 0x20/0x28 so a stray PIC interrupt is not a "fault" */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
}

void ioapic_route(unsigned int gsi, uint8_t vector, bool level, bool low)
{
	uint32_t lo = vector | (level ? 1 << 15 : 0) | (low ? 1 << 13 : 0);

	ioapic_write(0x11 + 2 * gsi, apic_id() << 24);
	ioapic_write(0x10 + 2 * gsi, lo);
}

/*
 * Send a pin's interrupts to another LAPIC: masked while the destination
 * changes, so the IOAPIC never delivers from a half-written entry. An
 * interrupt the old CPU is already handling finishes there (its EOI
 * reaches the IOAPIC all the same); a level-triggered one still asserted
 * is delivered again, to the new CPU, once unmasked.
 */
void ioapic_set_dest(unsigned int gsi, uint32_t apic)
{
	uint64_t flags = local_irq_save();
	uint32_t lo = ioapic_read(0x10 + 2 * gsi);

	ioapic_write(0x10 + 2 * gsi, lo | LVT_MASKED);
	ioapic_write(0x11 + 2 * gsi, apic << 24);
	ioapic_write(0x10 + 2 * gsi, lo);
	local_irq_restore(flags);
}

void apic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	unsigned int pins;

	pic_disable();
	wrmsr(MSR_APIC_BASE, base | (1 << 11));	/* global enable */
	lapic = ioremap(base & ~0xfffUL, 4096);
	ioapic = ioremap(acpi_ioapic_phys, 4096);
	lapic_write(LAPIC_SVR, SPURIOUS_VECTOR | (1 << 8));
	this_cpu()->apic_id = apic_id();

	pins = ((ioapic_read(1) >> 16) & 0xff) + 1;
	for (unsigned int i = 0; i < pins; i++)
		ioapic_write(0x10 + 2 * i, LVT_MASKED);
	pr_info("apic: lapic id %u, ioapic %u pins\n", apic_id(), pins);
}

/* An AP's own LAPIC, at the same address as every CPU's: software-enable it. */
void lapic_init_ap(void)
{
	lapic_write(LAPIC_SVR, SPURIOUS_VECTOR | (1 << 8));
	this_cpu()->apic_id = apic_id();
}

__noprobe("poke") void lapic_send_ipi(uint32_t dest, uint32_t low)
{
	uint64_t flags = local_irq_save();	/* the two writes must not be split */

	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, low);
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	local_irq_restore(flags);
}

/* Count LAPIC timer ticks (divide by 16) across the caller's timed window. */
void lapic_timer_start_count(void)
{
	lapic_write(LAPIC_TIMER_DCR, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
}

uint32_t lapic_timer_elapsed(void)
{
	return 0xffffffff - lapic_read(LAPIC_TIMER_CCR);
}

void lapic_timer_periodic(uint32_t ticks)
{
	lapic_write(LAPIC_TIMER_DCR, 0x3);
	lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_ICR, ticks ? ticks : 1);
}
