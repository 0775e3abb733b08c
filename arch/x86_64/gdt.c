/*
 * GDT and TSS. Long mode ignores segment bases and limits for code and data,
 * so the GDT holds just kernel code/data and the TSS, whose only job here is
 * the Interrupt Stack Table: #DF, NMI and #MC switch to known-good stacks.
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

static struct tss tss;

/* null, kernel code, kernel data, TSS (16 bytes = two slots) */
static uint64_t gdt[5] __aligned(16) = {
	0,
	0x00af9a000000ffffULL,	/* 0x08: present, DPL0, code, L=1 */
	0x00cf92000000ffffULL,	/* 0x10: present, DPL0, data, writable */
};

#define TSS_SEL 0x18

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };

	tss.ist[IST_DF - 1] = ist_stack_top(IST_DF);
	tss.ist[IST_NMI - 1] = ist_stack_top(IST_NMI);
	tss.ist[IST_MC - 1] = ist_stack_top(IST_MC);
	tss.iomap_base = sizeof(tss);	/* no I/O bitmap */

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
