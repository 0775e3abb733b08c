/*
 * Bringing up the other CPUs. The MADT lists every enabled processor by its
 * local APIC id; the boot CPU is CPU 0 and the others are numbered in MADT
 * order. Each AP is started alone, in turn, with the INIT-SIPI-SIPI sequence
 * of the Intel SDM (vol. 3, "MP initialization"): it runs ap_boot.asm from a
 * copy below 1 MiB into long mode, then ap_entry() on its own stack, which
 * loads its own GDT/TSS, the shared IDT, its per-CPU area and its LAPIC
 * timer, reports in, and idles. The boot CPU waits for each report before it
 * starts the next, so the parameter block below 1 MiB serves them all.
 */
#include "arch.h"
#include "kernel.h"
#include "mm.h"
#include "x86_private.h"

#define AP_BOOT_PA	0x8000		/* keep in step with ap_boot.asm */
#define AP_REPORT_MS	5000		/* a loaded host may run a vCPU late */

struct ap_boot_params {
	uint64_t cr3;			/* the bring-up page table, below 4 GiB */
	uint64_t stack;
	uint64_t cpu;			/* the AP's number, for ap_entry() */
	uint64_t entry;
};

extern const char ap_boot_start[], ap_boot_end[], ap_boot_params[];

/* Work handed to an idle AP (smp_run_on), run with interrupts on. */
struct idle_work {
	smp_call_fn fn;
	void *arg;
	unsigned long req, done;
} __attribute__((aligned(64)));

static unsigned int ncpus = 1;
static uint64_t kernel_cr3;
static struct idle_work idle_work[MAX_CPUS];

__noprobe("poke") unsigned int num_cpus(void)
{
	return READ_ONCE(ncpus);
}

/*
 * An AP's life after bring-up. Interrupts are off between the check for work
 * and hlt, and sti's one-instruction shadow covers hlt itself, so the IPI
 * that announces work cannot slip in between and be slept through.
 */
static void __noreturn cpu_idle(void)
{
	struct idle_work *w = &idle_work[this_cpu()->cpu];

	for (;;) {
		unsigned long req = smp_load_acquire(&w->req);

		if (req != w->done) {
			local_irq_enable();
			w->fn(w->arg);
			local_irq_disable();
			smp_store_release(&w->done, req);
			continue;
		}
		asm volatile("sti; hlt; cli" : : : "memory");
	}
}

static void wake(void *arg)
{
	(void)arg;	/* the interrupt itself ends the hlt */
}

int smp_run_on(unsigned int cpu, smp_call_fn fn, void *arg)
{
	struct idle_work *w = &idle_work[cpu];

	if (cpu == 0 || cpu >= num_cpus())
		return -EINVAL;
	if (smp_load_acquire(&w->done) != w->req)
		return -EBUSY;
	w->fn = fn;
	w->arg = arg;
	smp_store_release(&w->req, w->req + 1);
	return smp_call_on(cpu, wake, NULL);
}

void smp_run_wait(unsigned int cpu)
{
	struct idle_work *w = &idle_work[cpu];

	if (cpu == 0 || cpu >= MAX_CPUS)
		return;
	while (smp_load_acquire(&w->done) != w->req)
		cpu_relax();
}

/* The AP's first C: still on the bring-up page table, GS not yet set. */
static void __noreturn ap_entry(uint64_t n)
{
	write_cr3(kernel_cr3);
	percpu_load(n);
	gdt_init();
	idt_load();
	lapic_init_ap();
	time_init_ap();
	smp_store_release(&this_cpu()->state, CPU_ONLINE);
	cpu_idle();
}

static uint64_t table_frame(void)
{
	uint64_t pa = frame_alloc(1);

	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/*
 * The kernel's upper half plus the low 2 MiB identity-mapped, where the
 * trampoline runs when it turns paging on. frames[] gets the three frames.
 */
static uint64_t boot_page_table(uint64_t frames[3])
{
	uint64_t *pml4, *pdpt, *pd;

	for (int i = 0; i < 3; i++) {
		frames[i] = table_frame();
		if (!frames[i] || frames[i] >= (1UL << 32))
			return 0;	/* CR3 is loaded in 32-bit mode */
	}
	pml4 = phys_to_virt(frames[0]);
	pdpt = phys_to_virt(frames[1]);
	pd = phys_to_virt(frames[2]);
	memcpy(pml4, phys_to_virt(kernel_cr3 & ~0xfffUL), PAGE_SIZE);
	pd[0] = 0 | 0x83;			/* present, writable, 2 MiB */
	pdpt[0] = frames[2] | 0x03;
	pml4[0] = frames[1] | 0x03;
	return frames[0];
}

static bool wait_online(struct percpu *p, unsigned int ms)
{
	uint64_t end = rdtsc() + tsc_khz() * ms;

	while (smp_load_acquire(&p->state) != CPU_ONLINE)
		if (rdtsc() > end)
			return false;
		else
			cpu_relax();
	return true;
}

static bool start_ap(unsigned int n, uint32_t apic)
{
	struct ap_boot_params *bp = phys_to_virt(AP_BOOT_PA + (ap_boot_params - ap_boot_start));
	struct percpu *p = cpu_percpu(n);

	bp->stack = kernel_stack_top(n);
	bp->cpu = n;
	bp->entry = (uint64_t)ap_entry;
	p->apic_id = apic;
	smp_store_release(&p->state, CPU_BOOTING);

	lapic_send_ipi(apic, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	mdelay(10);
	/* a CPU already running ignores the second SIPI */
	for (int i = 0; i < 2; i++) {
		lapic_send_ipi(apic, ICR_STARTUP | (AP_BOOT_PA >> 12));
		udelay(200);
	}
	if (wait_online(p, AP_REPORT_MS))
		return true;
	p->state = CPU_FAILED;
	return false;
}

void smp_init(void)
{
	struct ap_boot_params *bp = phys_to_virt(AP_BOOT_PA + (ap_boot_params - ap_boot_start));
	uint32_t self = this_cpu()->apic_id;
	uint64_t frames[3] = { 0 };
	unsigned int failed = 0;
	bool table_ok;

	kernel_cr3 = read_cr3();
	if (acpi_ncpus <= 1) {
		pr_info("smp: 1 cpu\n");
		return;
	}
	memcpy(phys_to_virt(AP_BOOT_PA), ap_boot_start, ap_boot_end - ap_boot_start);
	bp->cr3 = boot_page_table(frames);
	table_ok = bp->cr3 != 0;
	for (unsigned int i = 0; table_ok && i < acpi_ncpus; i++) {
		uint32_t apic = acpi_cpu_apic_ids[i];

		if (apic == self)
			continue;
		/* CPUs are numbered densely, so one that failed ends the count */
		if (failed || !start_ap(ncpus, apic)) {
			failed++;
			continue;
		}
		smp_store_release(&ncpus, ncpus + 1);
		tsc_sync_cpu(ncpus - 1);
	}
	/* a CPU that never reported in might still be reading them */
	for (int i = 0; i < 3 && !failed; i++)
		if (frames[i])
			frame_free(frames[i], 1);
	if (!table_ok)
		pr_err("smp: no memory below 4 GiB for the bring-up page table\n");
	if (failed)
		pr_err("smp: %u cpus did not start\n", failed);
	pr_info("smp: %u cpus online\n", ncpus);
}
