/*
 * The per-CPU area, reached through GS from the first C code on, so per-CPU
 * state (the probe engine's current probe, trap depth) has its final home
 * before there is more than one CPU. Only the boot CPU runs today.
 */
#include "arch.h"
#include "kernel.h"

#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

static struct percpu boot_cpu;

void percpu_init(void)
{
	boot_cpu.self = &boot_cpu;
	boot_cpu.cpu = 0;
	wrmsr(MSR_GS_BASE, (uint64_t)&boot_cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

unsigned int num_cpus(void)
{
	return 1;
}
