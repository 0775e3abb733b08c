/*
 * Kernel stacks. Each sits directly above a guard page that paging.c leaves
 * unmapped, so running off the bottom faults at once (and, for the main
 * stack, the resulting #DF runs on its own IST stack and reports it) instead
 * of silently corrupting whatever lies below.
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

/* the boot CPU's stack, entered from boot/boot.asm */
struct kstack kernel_stack __section(".bss.stacks");
static struct ist_stack ist_stacks[3] __section(".bss.stacks");

asm(".globl boot_stack_high_top\n"
    ".set boot_stack_high_top, kernel_stack + 4096 + 32768\n");
_Static_assert(STACK_SIZE == 32768, "boot_stack_high_top above assumes 32 KiB");

uint64_t ist_stack_top(int ist)
{
	return (uint64_t)&ist_stacks[ist - 1].stack[IST_STACK_SIZE];
}

void stacks_unmap_guards(void)
{
	page_unmap((uint64_t)kernel_stack.guard);
	for (size_t i = 0; i < ARRAY_SIZE(ist_stacks); i++)
		page_unmap((uint64_t)ist_stacks[i].guard);
}

bool stack_guard_hit(uint64_t addr, const char **which)
{
	static const char *const names[] = { "#DF IST", "NMI IST", "#MC IST" };

	if (addr - (uint64_t)kernel_stack.guard < PAGE_SIZE) {
		*which = "kernel";
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ist_stacks); i++) {
		if (addr - (uint64_t)ist_stacks[i].guard < PAGE_SIZE) {
			*which = names[i];
			return true;
		}
	}
	return false;
}
