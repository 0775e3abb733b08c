/* System console commands: version, dmesg, mem, uptime, poweroff, reboot, cpus. */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "mm.h"

static int no_args(int argc, char **argv)
{
	if (argc > 1)
		return cmd_error("%s takes no arguments", argv[0]);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	if (no_args(argc, argv))
		return -1;
	cprintf("kprobe64 %s (built %s %s, gcc %s)\n", KP_VERSION, __DATE__, __TIME__, __VERSION__);
	return 0;
}
CONSOLE_CMD(version, cmd_version, "version", "show the kernel version");

static void print_line(const char *line, void *arg)
{
	(void)arg;
	console_write(line, strlen(line));
}

static int cmd_dmesg(int argc, char **argv)
{
	if (no_args(argc, argv))
		return -1;
	log_for_each(print_line, NULL);
	return 0;
}
CONSOLE_CMD(dmesg, cmd_dmesg, "dmesg", "print the kernel log buffer");

static int cmd_mem(int argc, char **argv)
{
	struct frame_stats fs;
	struct heap_stats hs;

	if (no_args(argc, argv))
		return -1;
	frame_stats(&fs);
	heap_stats(&hs);
	cprintf("frames: %lu total, %lu free (%lu KiB free)\n", fs.total, fs.free, fs.free * 4);
	cprintf("heap: %lu objects, %lu bytes in use, %lu pages\n",
		hs.objects_in_use, hs.bytes_in_use, hs.pages);
	cprintf("heap: %lu free blocks (%lu KiB) cached in those pages for reuse "
		"(a page goes back once all its blocks are free)\n",
		hs.free_blocks, hs.free_bytes / 1024);
	cprintf("heap: %lu allocs, %lu frees, %lu failures, %lu corruptions caught\n",
		hs.allocs, hs.frees, hs.failures, hs.corruptions);
	return 0;
}
CONSOLE_CMD(mem, cmd_mem, "mem", "show physical memory and heap usage");

static int cmd_uptime(int argc, char **argv)
{
	uint64_t ns = uptime_ns();

	if (no_args(argc, argv))
		return -1;
	cprintf("up %lu.%06lu s, %lu timer ticks, %lu interrupts\n", ns / 1000000000,
		ns / 1000 % 1000000, jiffies(), irq_count(256));
	return 0;
}
CONSOLE_CMD(uptime, cmd_uptime, "uptime", "show time since boot and interrupt counts");

static int cmd_poweroff(int argc, char **argv)
{
	if (no_args(argc, argv))
		return -1;
	cprintf("powering off\n");
	machine_poweroff();
}
CONSOLE_CMD(poweroff, cmd_poweroff, "poweroff", "turn the machine off (exits QEMU)");

static int cmd_reboot(int argc, char **argv)
{
	if (no_args(argc, argv))
		return -1;
	cprintf("rebooting\n");
	machine_reboot();
}
CONSOLE_CMD(reboot, cmd_reboot, "reboot", "reset the machine");

static int cmd_cpus(int argc, char **argv)
{
	if (no_args(argc, argv))
		return -1;
	cprintf("cpu apic state   %12s %12s %12s  %s\n", "interrupts", "probe-hits", "probe-misses",
		"device irqs");
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		const struct percpu *p = cpu_percpu(i);
		enum cpu_state st = READ_ONCE(p->state);
		struct irq_info in;
		bool any = false;

		if (st == CPU_ABSENT)
			continue;
		cprintf("%3u %4u %-7s %12lu %12lu %12lu ", i, p->apic_id, cpu_state_name(st),
			irq_count_cpu(i, 256), READ_ONCE(p->kprobe_hits), READ_ONCE(p->kprobe_misses));
		for (unsigned int n = 0; n < IRQ_MAX_GSI * IRQ_MAX_SHARED; n++) {
			if (irq_get_info(n / IRQ_MAX_SHARED, n % IRQ_MAX_SHARED, &in) || in.cpu != i)
				continue;
			if (in.name)
				cprintf("%s%s(%u)", any ? "," : " ", in.name, in.irq);
			else
				cprintf("%s%u", any ? "," : " ", in.irq);
			any = true;
		}
		cprintf("%s\n", any ? "" : " -");
	}
	cprintf("%u of %u cpus online\n", num_cpus(), acpi_ncpus ? acpi_ncpus : 1);
	return 0;
}
CONSOLE_CMD(cpus, cmd_cpus, "cpus", "list the CPUs: state, interrupts, probe hits and misses");
