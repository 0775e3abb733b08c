/*
 * Kernel stacks: each CPU's main stack and its three IST stacks. Each sits
 * directly above a guard page that paging.c leaves unmapped, so running off
 * the bottom faults at once (and, for a main stack, the resulting #DF runs on
 * its own IST stack and reports it) instead of silently corrupting whatever
 * lies below. They are static, one set per possible CPU, so an AP needs no
 * allocation before it can take a trap.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

struct kstack {
	char guard[PAGE_SIZE];
	char stack[STACK_SIZE];
} __aligned(PAGE_SIZE);

struct ist_stack {
	char guard[PAGE_SIZE];
	char stack[IST_STACK_SIZE];
} __aligned(PAGE_SIZE);

/* kernel_stack[0] is the boot CPU's, entered from boot/boot.asm */
struct kstack kernel_stack[MAX_CPUS] __section(".bss.stacks");
static struct ist_stack ist_stacks[MAX_CPUS][3] __section(".bss.stacks");

asm(".globl boot_stack_high_top\n"
    ".set boot_stack_high_top, kernel_stack + 4096 + 32768\n");
_Static_assert(STACK_SIZE == 32768, "boot_stack_high_top above assumes 32 KiB");

uint64_t kernel_stack_top(unsigned int cpu)
{
	return (uint64_t)&kernel_stack[cpu].stack[STACK_SIZE];
}

uint64_t ist_stack_top(unsigned int cpu, int ist)
{
	return (uint64_t)&ist_stacks[cpu][ist - 1].stack[IST_STACK_SIZE];
}

void stacks_unmap_guards(void)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		page_unmap((uint64_t)kernel_stack[c].guard);
		for (size_t i = 0; i < ARRAY_SIZE(ist_stacks[c]); i++)
			page_unmap((uint64_t)ist_stacks[c][i].guard);
	}
}

bool stack_guard_hit(uint64_t addr, const char **which)
{
	static const char *const names[] = { "#DF IST", "NMI IST", "#MC IST" };

	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		if (addr - (uint64_t)kernel_stack[c].guard < PAGE_SIZE) {
			*which = "kernel";
			return true;
		}
		for (size_t i = 0; i < ARRAY_SIZE(ist_stacks[c]); i++) {
			if (addr - (uint64_t)ist_stacks[c][i].guard < PAGE_SIZE) {
				*which = names[i];
				return true;
			}
		}
	}
	return false;
}
