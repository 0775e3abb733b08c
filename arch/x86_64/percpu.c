/*
 * The per-CPU areas, reached through GS from the first C code on. Every
 * possible CPU has one, statically, so an AP has its area before it runs its
 * first instruction of C, and code above can set up its per-CPU state for all
 * CPUs at once.
 */
#include "arch.h"
#include "kernel.h"

#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

static struct percpu cpus[MAX_CPUS];

/* Point GS at CPU n's area; the boot CPU calls it as n = 0, each AP for itself. */
void percpu_load(unsigned int n)
{
	struct percpu *p = &cpus[n];

	p->self = p;
	p->cpu = n;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_init(void)
{
	percpu_load(0);
	cpus[0].state = CPU_ONLINE;
}

__noprobe("poke") struct percpu *cpu_percpu(unsigned int n)
{
	return n < MAX_CPUS ? &cpus[n] : NULL;
}

const char *cpu_state_name(enum cpu_state s)
{
	static const char *const names[] = {
		[CPU_ABSENT] = "absent", [CPU_BOOTING] = "booting",
		[CPU_ONLINE] = "online", [CPU_FAILED] = "failed",
	};

	return s < ARRAY_SIZE(names) ? names[s] : "?";
}
