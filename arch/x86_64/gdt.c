/*
 * GDT and TSS. Long mode ignores segment bases and limits for code and data,
 * so the GDT holds just kernel code/data and the TSS, whose only job here is
 * the Interrupt Stack Table: #DF, NMI and #MC switch to known-good stacks.
 * Every CPU has its own GDT and TSS (a TSS descriptor is marked busy once
 * loaded, so two CPUs cannot share one), pointing at its own IST stacks.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* null, kernel code, kernel data, TSS (16 bytes = two slots) */
struct cpu_gdt {
	uint64_t gdt[5];
	struct tss tss;
} __aligned(64);

static struct cpu_gdt cpu_gdts[MAX_CPUS];

#define TSS_SEL 0x18

/* Load this CPU's GDT and TSS (its index comes from the per-CPU area). */
void gdt_init(void)
{
	unsigned int cpu = this_cpu()->cpu;
	uint64_t *gdt = cpu_gdts[cpu].gdt;
	struct tss *tss = &cpu_gdts[cpu].tss;
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(cpu_gdts[0].gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL;	/* 0x08: present, DPL0, code, L=1 */
	gdt[2] = 0x00cf92000000ffffULL;	/* 0x10: present, DPL0, data, writable */
	tss->ist[IST_DF - 1] = ist_stack_top(cpu, IST_DF);
	tss->ist[IST_NMI - 1] = ist_stack_top(cpu, IST_NMI);
	tss->ist[IST_MC - 1] = ist_stack_top(cpu, IST_MC);
	tss->iomap_base = sizeof(*tss);	/* no I/O bitmap */

	/* 64-bit available TSS descriptor: type 9, present */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw %w2, %%ax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movw %%ax, %%es\n\t"
		     "movw %%ax, %%ss\n\t"
		     "ltr %w3"
		     : : "m"(gdtr), "i"(KERNEL_CS), "r"(KERNEL_DS), "r"(TSS_SEL)
		     : "rax", "memory");
}
