/*
 * Time: the TSC, calibrated against PIT channel 2, is the clock (uptime_ns);
 * the LAPIC timer, calibrated in the same window, ticks at HZ for jiffies.
 * Under QEMU -icount the TSC counts guest instructions, which is what makes
 * `make bench` repeatable.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define PIT_HZ		1193182
#define CAL_MS		20

static uint64_t tsc_per_khz;	/* TSC ticks per millisecond */
static uint64_t tsc_boot;
static int64_t tsc_offset[MAX_CPUS];	/* cycles each CPU's TSC is ahead of CPU 0's */
static uint32_t lapic_period;	/* LAPIC timer counts per tick, the same on every CPU */
static volatile uint64_t ticks;

/* Busy-wait CAL_MS on PIT channel 2 (gated through port 0x61, no IRQ). */
static void pit_wait_window(void)
{
	uint16_t count = PIT_HZ * CAL_MS / 1000;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* ch2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	while (!(inb(0x61) & 0x20))
		cpu_relax();
}

void time_init(void)
{
	uint64_t t0, t1;
	uint32_t lapic_ticks;

	tsc_boot = rdtsc();
	lapic_timer_start_count();
	t0 = rdtsc();
	pit_wait_window();
	t1 = rdtsc();
	lapic_ticks = lapic_timer_elapsed();
	tsc_per_khz = (t1 - t0) / CAL_MS;
	if (!tsc_per_khz)
		tsc_per_khz = 1;
	lapic_period = lapic_ticks / CAL_MS * 1000 / HZ;
	lapic_timer_periodic(lapic_period);
	pr_info("time: tsc %lu.%03lu MHz, lapic timer %u Hz\n",
		tsc_per_khz / 1000, tsc_per_khz % 1000, HZ);
}

uint64_t tsc_khz(void)
{
	return tsc_per_khz;
}

void tsc_set_offset(unsigned int cpu, int64_t off)
{
	WRITE_ONCE(tsc_offset[cpu], off);
}

/* The same clock on every CPU: each one's TSC less its measured offset. */
uint64_t uptime_ns(void)
{
	uint64_t c = rdtsc() - tsc_offset[this_cpu()->cpu] - tsc_boot,
		 per_sec = tsc_per_khz * 1000;

	if (!tsc_per_khz)
		return 0;
	/* split to keep rem * 1e6 within 64 bits */
	return c / per_sec * 1000000000ULL + c % per_sec * 1000000ULL / tsc_per_khz;
}
EXPORT_SYMBOL(uptime_ns);

void time_init_ap(void)
{
	lapic_timer_periodic(lapic_period);
}

/* Every CPU's timer ticks at HZ; the boot CPU's alone counts jiffies. */
void lapic_timer_tick(void)
{
	if (this_cpu()->cpu == 0)
		ticks++;
}

uint64_t jiffies(void)
{
	return ticks;
}

void udelay(unsigned int us)
{
	uint64_t end = rdtsc() + tsc_per_khz * us / 1000;

	while (rdtsc() < end)
		cpu_relax();
}
EXPORT_SYMBOL(udelay);

void mdelay(unsigned int ms)
{
	while (ms--)
		udelay(1000);
}
EXPORT_SYMBOL(mdelay);
